import { createHash } from 'node:crypto';
import { canonicalJson, paramsHash } from '../../src/core/identity';
import { defineChain, p, task } from '../../src/index';

class DailyTask extends task({ year: p.int(), city: p.string({ default: 'Boston' }) }) {
  run() {}
}
class VersionedTask extends task({ year: p.int() }, { version: '2' }) {
  run() {}
}
defineChain('elections', 'daily_chain', { DailyTask, VersionedTask });

describe('task identity', () => {
  it('is <type>/<chain>/<Task>/<md5 of canonical JSON of normalised params>', () => {
    const t = new DailyTask({ year: 2012 });
    const md5 = createHash('md5').update('{"city":"Boston","year":2012}').digest('hex');
    expect(t.id).toBe(`elections/daily_chain/DailyTask/${md5}`);
  });

  it('is the same for params in another order or given as strings', () => {
    const a = new DailyTask({ year: 2012, city: 'Boston' });
    const b = new DailyTask({ city: 'Boston', year: '2012' });
    const c = new DailyTask({ year: '2012' });
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect(new DailyTask({ year: 2013 }).id).not.toBe(a.id);
  });

  it('changes with the task version', () => {
    const v = new VersionedTask({ year: 2012 });
    expect(v.id.endsWith(paramsHash({ year: 2012 }, '2'))).toBe(true);
    expect(paramsHash({ year: 2012 }, '2')).not.toBe(paramsHash({ year: 2012 }));
  });

  it('requires required parameters at compile time and at run time', () => {
    // @ts-expect-error year has no default, so it must be given
    expect(() => new DailyTask({ city: 'Salem' })).toThrow("DailyTask: 'year': required parameter is missing");
    // @ts-expect-error the constructor needs its parameters
    expect(() => new DailyTask()).toThrow('required parameter is missing');
  });

  it('refuses output names nectar uses itself', () => {
    expect(() => new DailyTask({ year: 2012 }).target('log')).toThrow("output name 'log' is reserved");
    expect(() => new DailyTask({ year: 2012 }).target('params.json')).toThrow('reserved');
    expect(() => new DailyTask({ year: 2012 }).target('../x')).toThrow('unsafe');
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
