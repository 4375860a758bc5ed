import { NectarError } from '../../src/core/errors';
import { normalizeParams, p, paramsJsonSchema } from '../../src/core/params';

const schema = {
  year: p.int({ min: 2000, max: 2100 }),
  rate: p.float({ default: 0.5 }),
  name: p.string({ default: 'world' }),
  dry: p.bool({ default: false }),
  day: p.date({ default: '2012-01-01' }),
  mode: p.enum(['fast', 'slow'] as const, { default: 'fast' }),
  tags: p.list(p.string(), { default: [] }),
};

function problems(raw: Record<string, unknown>): { code: string; params: string[] } {
  try {
    normalizeParams(schema, raw, 'T');
  } catch (e) {
    const err = e as NectarError;
    return { code: err.code, params: (err.details as { param: string }[]).map((d) => d.param) };
  }
  throw new Error('expected a failure');
}

describe('parameters', () => {
  it('fills defaults and coerces strings from query strings and CLI flags', () => {
    const out = normalizeParams(schema, { year: '2012', rate: '1.25', dry: 'true', day: '2012-03-04', tags: 'a,b', mode: 'slow' }, 'T');
    expect(out).toEqual({ year: 2012, rate: 1.25, name: 'world', dry: true, day: '2012-03-04', mode: 'slow', tags: ['a', 'b'] });
  });

  it('accepts typed values as they are', () => {
    const out = normalizeParams(schema, { year: 2012, dry: false, tags: ['x'], day: new Date(Date.UTC(2012, 0, 5)) }, 'T');
    expect(out).toMatchObject({ year: 2012, dry: false, tags: ['x'], day: '2012-01-05' });
  });

  it.each([
    [{ year: 'abc' }, 'year'],
    [{ year: '2012.5' }, 'year'],
    [{ year: 1999 }, 'year'],
    [{ year: 2012, dry: 'maybe' }, 'dry'],
    [{ year: 2012, day: '2012-02-30' }, 'day'],
    [{ year: 2012, mode: 'medium' }, 'mode'],
    [{ year: 2012, tags: 5 }, 'tags'],
  ])('refuses %j naming the parameter', (raw, param) => {
    expect(problems(raw)).toEqual({ code: 'BAD_PARAM', params: [param] });
  });

  it('reports a missing required parameter and unknown ones by name', () => {
    expect(problems({})).toEqual({ code: 'MISSING_PARAM', params: ['year'] });
    expect(problems({ year: 2012, colour: 'red' })).toEqual({ code: 'UNKNOWN_PARAM', params: ['colour'] });
  });

  it('says why in the message', () => {
    expect(() => normalizeParams(schema, { year: '1999' }, 'DailyTask')).toThrow("DailyTask: 'year': must be at least 2000, got 1999");
  });

  it('gives a JSON Schema per task', () => {
    const s = paramsJsonSchema(schema) as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(s.required).toEqual(['year']);
    expect(s.properties['year']).toEqual({ type: 'integer', minimum: 2000, maximum: 2100 });
    expect(s.properties['mode']).toEqual({ type: 'string', enum: ['fast', 'slow'], default: 'fast' });
    expect(s.properties['day']).toMatchObject({ type: 'string', format: 'date' });
    expect(s.properties['tags']).toEqual({ type: 'array', items: { type: 'string' }, default: [] });
  });

  it('checks defaults when the task is defined', () => {
    expect(() => p.int({ default: 1.5 })).toThrow('integer');
  });
});
