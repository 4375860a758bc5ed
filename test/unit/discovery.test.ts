import { join } from 'node:path';
import { construct } from '../../src/core/task';
import { discover } from '../../src/discovery/discover';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';

const good = (name: string, text = name) => `
import { p, task, type RunContext } from 'nectar';
export class ${name} extends task({ n: p.int({ default: 1 }) }) {
  async run(ctx: RunContext<${name}>) { await ctx.output.write('${text}'); }
}
`;

describe('discovery', () => {
  let dir: string;
  let chains: string;
  beforeAll(() => {
    dir = tempDir();
    chains = writeChains(dir, {
      'alpha/one_chain.ts': `${good('FirstTask')}\nexport class Helper {}\nexport const notATask = 1;\nexport class FakeTask {}\n`,
      'alpha/two_chain.ts': good('FirstTask', 'second copy') + good('OtherTask'),
      'alpha/helpers.ts': 'export const x = 1;',
      'alpha/broken_chain.ts': `import { task } from 'nectar';\nthrow new Error('chain file exploded');\n`,
      'alpha/bad name_chain.ts': good('SpaceTask'),
      'bad type!/x_chain.ts': good('BangTask'),
      'beta/solo_chain.ts': good('SoloTask'),
    });
  });
  afterAll(() => rmDir(dir));

  it('registers exported *Task classes of <type>/<name>_chain.ts files', () => {
    const reg = discover(chains);
    expect(reg.tasks.map((t) => t.ref)).toEqual(['alpha/one_chain/FirstTask', 'alpha/two_chain/FirstTask', 'alpha/two_chain/OtherTask', 'beta/solo_chain/SoloTask']);
    expect(reg.types()).toEqual(['alpha', 'beta']);
  });

  it('skips bad names and reports a chain that throws, and still loads the rest', () => {
    const reg = discover(chains);
    const reasons = reg.problems.map((p) => `${p.path.slice(chains.length + 1)}: ${p.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alpha\/bad name_chain\.ts: chain name 'bad name' does not match/),
        expect.stringMatching(/^bad type!: chain type 'bad type!' does not match/),
        expect.stringMatching(/^alpha\/broken_chain\.ts: failed to load: chain file exploded/),
        expect.stringMatching(/^alpha\/one_chain\.ts: export 'FakeTask' ends in Task but is not a class extending Task/),
      ]),
    );
    expect(reasons).toContainEqual(expect.stringMatching(/export 'notATask' ends in Task but is not a class/));
    expect(reg.problems).toHaveLength(5); // Helper and helpers.ts are private to their files: not problems
    expect(reg.problems.find((p) => p.reason.includes('exploded'))?.error?.stack).toContain('broken_chain');
  });

  it('reaches two tasks of one name in one type by their chain name', () => {
    const reg = discover(chains);
    expect(() => reg.resolve('alpha/FirstTask')).toThrow(/alpha\/FirstTask is in 2 chains: use one of alpha\/one_chain\/FirstTask, alpha\/two_chain\/FirstTask/);
    expect(reg.resolve('alpha/two_chain/FirstTask').chain).toBe('two_chain');
    expect(reg.resolve('alpha/two/FirstTask').chain).toBe('two_chain');
    expect(reg.resolve('alpha/OtherTask').name).toBe('OtherTask');
    const a = construct(reg.resolve('alpha/one/FirstTask').cls);
    const b = construct(reg.resolve('alpha/two/FirstTask').cls);
    expect(a.id).toMatch(/^alpha\/one_chain\/FirstTask\/[0-9a-f]{32}$/);
    expect(b.id.startsWith('alpha/two_chain/FirstTask/')).toBe(true);
  });

  it('names an unknown task and suggests near names', () => {
    const reg = discover(chains);
    expect(() => reg.resolve('alpha/Other')).toThrow(/unknown task 'alpha\/Other'.*Did you mean alpha\/OtherTask/);
    expect(() => reg.resolve('nope')).toThrow(/unknown task 'nope'/);
  });

  it('reports a missing chains folder instead of crashing', () => {
    const reg = discover(join(dir, 'does-not-exist'));
    expect(reg.tasks).toEqual([]);
    expect(reg.problems[0]?.reason).toContain('cannot read the chains folder');
  });
});
