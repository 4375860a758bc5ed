import { Dag } from '../../src/dag/graph';
import { type RunContext, defineChain, p, task } from '../../src/index';

class LeafTask extends task({ i: p.int() }) {
  run() {}
}
class MidTask extends task({ i: p.int() }) {
  requires() {
    return { shared: new LeafTask({ i: 0 }), own: new LeafTask({ i: this.params.i }) };
  }
  run() {}
}
class RootTask extends task({ n: p.int() }) {
  requires() {
    return Array.from({ length: this.params.n }, (_, i) => new MidTask({ i: i + 1 }));
  }
  async run(ctx: RunContext<RootTask>) {
    await ctx.output.write('');
  }
}
class DeepTask extends task({ i: p.int() }) {
  requires() {
    return this.params.i > 0 ? new DeepTask({ i: this.params.i - 1 }) : undefined;
  }
  run() {}
}
class SelfTask extends task({}) {
  requires() {
    return new SelfTask();
  }
  run() {}
}
class BadRequiresTask extends task({}) {
  requires() {
    return ['not a task'] as never;
  }
  run() {}
}
class LoopTask extends task({ i: p.int() }) {
  requires() {
    return new LoopTask({ i: (this.params.i + 1) % 3 });
  }
  run() {}
}
defineChain('unit', 'dag_chain', { LeafTask, MidTask, RootTask, DeepTask, SelfTask, BadRequiresTask, LoopTask });

describe('DAG', () => {
  it('has each shared dependency once', async () => {
    const dag = new Dag();
    await dag.expand([new RootTask({ n: 3 })], true);
    // root + 3 mids + shared leaf 0 + leaves 1..3
    expect(dag.size).toBe(8);
    const shared = new LeafTask({ i: 0 }).id;
    expect(dag.graph.successors(shared)?.length).toBe(3);
    const order = dag.topoOrder();
    expect(order[order.length - 1]).toBe(new RootTask({ n: 3 }).id);
    for (const e of dag.graph.edges()) expect(order.indexOf(e.v)).toBeLessThan(order.indexOf(e.w));
  });

  it('builds a 20,000-deep chain without recursion', async () => {
    const dag = new Dag();
    await dag.expand([new DeepTask({ i: 19_999 })], true);
    expect(dag.size).toBe(20_000);
    expect(dag.topoOrder()[0]).toBe(new DeepTask({ i: 0 }).id);
  });

  it('does not expand complete tasks when pruning', async () => {
    const mid1 = new MidTask({ i: 1 }).id;
    const dag = new Dag(async (tasks) => tasks.map((t) => t.id === mid1));
    await dag.expand([new RootTask({ n: 2 })], true);
    expect(dag.complete.has(mid1)).toBe(true);
    expect(dag.has(new LeafTask({ i: 1 }).id)).toBe(false); // only mid1 needed leaf 1
    expect(dag.has(new LeafTask({ i: 0 }).id)).toBe(true); // mid2 still needs the shared leaf
  });

  it('reports cycles naming the tasks in them', async () => {
    await expect(new Dag().expand([new SelfTask()])).rejects.toMatchObject({ code: 'CYCLE' });
    const err = (await new Dag().expand([new LoopTask({ i: 0 })]).catch((e: unknown) => e)) as { code: string; details: { cycle: string[] } };
    expect(err.code).toBe('CYCLE');
    const ids = [0, 1, 2].map((i) => new LoopTask({ i }).id);
    expect(new Set(err.details.cycle)).toEqual(new Set(ids));
    expect(err.details.cycle).toHaveLength(4);
  });

  it('names the task whose requires() returns something else than tasks', async () => {
    await expect(new Dag().expand([new BadRequiresTask()])).rejects.toThrow('BadRequiresTask(): requires() must return a task, a list or a record of tasks');
  });
});
