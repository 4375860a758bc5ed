import { fingerprintOf, type Lineage, type LineageInput, lineageText, makeLineage, parseLineage } from '../../src/core/lineage';

const leafId = (i: number): string => `t/c/Leaf/${i.toString(16).padStart(32, '0')}`;

function lineageOf(n: number): Lineage {
  const inputs: LineageInput[] = Array.from({ length: n }, (_, i) => ({ id: leafId(i), version: i % 2 ? '2' : null, fingerprint: i % 3 ? fingerprintOf(leafId(i), null, []) : null, builtAt: null }));
  return makeLineage({ id: 't/c/Root/abc', version: '1', runId: 'r1', builtAt: '2026-12-02T00:00:00.000Z', inputs, upstreamOf: () => undefined });
}

describe('lineage', () => {
  it('writes a large lineage in pieces that join to its JSON', () => {
    for (const n of [0, 1, 999, 1000, 2501]) {
      const l = lineageOf(n);
      const text = [...lineageText(l)].join('');
      expect(text).toBe(`${JSON.stringify(l)}\n`);
      expect(parseLineage(text)).toEqual(l);
    }
  });

  it('fingerprints a build from its id, version and inputs in the order it read them', () => {
    const a = { id: leafId(1), fingerprint: 'f1' };
    const b = { id: leafId(2), fingerprint: 'f2' };
    const root = 't/c/Root/abc';
    // No inputs: the hash in the id (itself the md5 of the parameters and version).
    expect(fingerprintOf(leafId(7), '3', [])).toBe(leafId(7).split('/').pop());
    const ab = fingerprintOf(root, '1', [a, b]);
    expect(ab).toMatch(/^[0-9a-f]{32}$/);
    expect(fingerprintOf(root, '1', [a, b])).toBe(ab);
    expect(fingerprintOf(root, '2', [a, b])).not.toBe(ab);
    expect(fingerprintOf(root, '1', [b, a])).not.toBe(ab);
    expect(fingerprintOf(root, '1', [a, { ...b, fingerprint: 'f3' }])).not.toBe(ab);
    expect(fingerprintOf(root, '1', [a, { ...b, fingerprint: null }])).not.toBe(ab);
  });
});
