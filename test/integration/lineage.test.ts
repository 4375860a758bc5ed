import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Lineage, parseLineage } from '../../src/core/lineage';
import type { Runtime } from '../../src/runtime/runtime';
import { makeRuntime, rmDir, tempDir, writeChains } from '../helpers/runtime';

const CHAIN = `
import { p, task, type RunContext } from 'nectar';
export class LeafTask extends task({ i: p.int() }, { version: '3' }) {
  async run(ctx: RunContext<LeafTask>) { await ctx.output.write('leaf ' + this.params.i); }
}
export class MidTask extends task({ n: p.int() }) {
  requires() { return Array.from({ length: this.params.n }, (_, i) => new LeafTask({ i })); }
  async run(ctx: RunContext<MidTask>) { await ctx.output.write(String(ctx.input.length)); }
}
export class TopTask extends task({ n: p.int() }) {
  requires() { return new MidTask({ n: this.params.n }); }
  async run(ctx: RunContext<TopTask>) {
    const extra = await ctx.require(new LeafTask({ i: 99 }));
    await ctx.output.write((await ctx.input.readText()) + (await extra.readText()));
  }
}
`;

let dir: string;
let rt: Runtime;
beforeAll(() => {
  dir = tempDir();
  rt = makeRuntime(writeChains(dir, { 'lin/lin_chain.ts': CHAIN }), join(dir, 'targets'));
});
afterAll(async () => {
  await rt.close();
  rmDir(dir);
});

const lineageOf = (id: string): Lineage => {
  const l = parseLineage(readFileSync(join(dir, 'targets', 'chains', id, 'lineage.json'), 'utf8'));
  if (!l) throw new Error(`no lineage for ${id}`);
  return l;
};

describe('lineage', () => {
  it('records the version, the inputs static and dynamic, and fingerprints derived from the inputs', async () => {
    const top = rt.instantiate('lin/TopTask', { n: 2 });
    const r = await rt.run(top, { runId: 'run-1' });
    expect(r.state).toBe('SUCCEEDED');
    const mid = rt.instantiate('lin/MidTask', { n: 2 });
    const leaves = [0, 1, 99].map((i) => rt.instantiate('lin/LeafTask', { i }));

    const leaf = lineageOf(leaves[0]!.id);
    expect(leaf).toMatchObject({ format: 1, id: leaves[0]!.id, version: '3', runId: 'run-1', inputs: [], upstream: {} });

    const m = lineageOf(mid.id);
    expect(m.version).toBeNull();
    expect(m.inputs.map((i) => i.id)).toEqual([leaves[0]!.id, leaves[1]!.id]);
    expect(m.inputs[0]).toEqual({ id: leaves[0]!.id, version: '3', fingerprint: leaf.fingerprint, builtAt: leaf.builtAt });
    expect(m.upstream).toEqual({ 'lin/lin_chain/LeafTask': '3' });

    const t = lineageOf(top.id);
    expect(t.inputs.map((i) => [i.id, i.dynamic ?? false])).toEqual([
      [mid.id, false],
      [leaves[2]!.id, true],
    ]);
    expect(t.inputs[0]?.fingerprint).toBe(m.fingerprint);
    expect(t.inputs[1]?.fingerprint).toBe(lineageOf(leaves[2]!.id).fingerprint);
    expect(t.upstream).toEqual({ 'lin/lin_chain/MidTask': null, 'lin/lin_chain/LeafTask': '3' });
    // Distinct builds, distinct fingerprints; params.json keeps its content.
    expect(new Set([leaf.fingerprint, m.fingerprint, t.fingerprint]).size).toBe(3);
    expect(JSON.parse(readFileSync(join(dir, 'targets', 'chains', top.id, 'params.json'), 'utf8'))).toEqual({ n: 2 });
  });

  it('an input built in an earlier run: read, or known from its family index when its class never had inputs', async () => {
    const mid3 = rt.instantiate('lin/MidTask', { n: 3 });
    expect((await rt.run(mid3, { runId: 'run-2' })).ran).toBe(2); // LeafTask(i=2), then MidTask(n=3)
    const [old, built] = [0, 2].map((i) => rt.instantiate('lin/LeafTask', { i }));
    const m = lineageOf(mid3.id);
    // No LeafTask was ever built from anything: its fingerprint is that of no inputs, its build time not read.
    expect(m.inputs[0]).toEqual({ id: old!.id, version: '3', fingerprint: lineageOf(old!.id).fingerprint, builtAt: null });
    expect(m.inputs[2]).toEqual({ id: built!.id, version: '3', fingerprint: lineageOf(built!.id).fingerprint, builtAt: lineageOf(built!.id).builtAt });
    // MidTask instances are built from LeafTasks (its family says so): an old one is read.
    const top3 = rt.instantiate('lin/TopTask', { n: 3 });
    expect((await rt.run(top3, { runId: 'run-3' })).state).toBe('SUCCEEDED');
    const t = lineageOf(top3.id);
    expect(t.inputs[0]).toEqual({ id: mid3.id, version: null, fingerprint: m.fingerprint, builtAt: m.builtAt });
    expect(t.upstream).toEqual({ 'lin/lin_chain/MidTask': null, 'lin/lin_chain/LeafTask': '3' });
  });

  it('a failed attempt leaves no lineage', async () => {
    const chains = writeChains(dir, { 'bad/bad_chain.ts': `import { task } from 'nectar';\nexport class BadTask extends task({}) { run() { throw new Error('no'); } }\n` });
    const bad = makeRuntime(chains, join(dir, 'targets'));
    const task = bad.instantiate('bad/BadTask');
    expect((await bad.run(task)).state).toBe('FAILED');
    expect(() => readFileSync(join(dir, 'targets', 'chains', task.id, 'lineage.json'))).toThrow(/ENOENT/);
    await bad.close();
  });
});
