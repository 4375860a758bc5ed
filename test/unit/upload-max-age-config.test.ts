import { NectarError } from '../../src/core/errors';
import { loadConfig } from '../../src/runtime/config';

const age = (raw?: string): number => loadConfig(raw === undefined ? {} : { NECTAR_S3_UPLOAD_MAX_AGE: raw }, '/tmp').s3UploadMaxAge;

describe('NECTAR_S3_UPLOAD_MAX_AGE', () => {
  it('defaults to one day', () => {
    expect(age()).toBe(24 * 3600_000);
    expect(age('')).toBe(24 * 3600_000);
  });

  it.each([
    ['1d', 86_400_000],
    ['6h', 6 * 3600_000],
    ['30m', 30 * 60_000],
    ['7200', 7_200_000],
    ['90s', 90_000],
    ['120000ms', 120_000],
  ])('reads %s', (raw, ms) => {
    expect(age(raw)).toBe(ms);
  });

  it.each(['1w', '-1d', '1.5h', 'soon', '10s', '0', '400d'])('refuses %j with BAD_CONFIG naming the variable', (raw) => {
    let err: unknown;
    try {
      age(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NectarError);
    expect((err as NectarError).code).toBe('BAD_CONFIG');
    expect((err as NectarError).message).toContain(`NECTAR_S3_UPLOAD_MAX_AGE=${JSON.stringify(raw)}`);
  });
});
