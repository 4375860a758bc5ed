import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, NonRetryableError, deserializeError, serializeError } from '../../src/core/errors';
import { REPO } from '../helpers/runtime';

describe('error codes', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

  it.each(Object.entries(ERROR_CODES))('%s is documented in the README with its HTTP status', (code, { status }) => {
    expect(readme).toContain(`| \`${code}\` | ${status} |`);
  });

  it('crosses a process boundary with name, message, stack and code', () => {
    const e = new NonRetryableError('bad input');
    const back = deserializeError(JSON.parse(JSON.stringify(serializeError(e))));
    expect(back).toBeInstanceOf(NonRetryableError);
    expect(back.message).toBe('bad input');
    expect(back.stack).toBe(e.stack);
    expect((back as Error & { code?: string }).code).toBe('NON_RETRYABLE');
  });
});
