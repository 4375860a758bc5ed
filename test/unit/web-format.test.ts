import { count } from '../../web/src/format';

describe('the UI formats counts', () => {
  it('with thousands separators, as toLocaleString("en") does', () => {
    for (const n of [0, 1, 999, 1000, 3650, 10_000, 1_234_567, -1234, 2.5]) expect(count(n)).toBe(n.toLocaleString('en'));
  });
});
