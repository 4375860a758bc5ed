/**
 * The bench's task classes: every task is a no-op whose run writes a 16-byte `out.txt`
 * (nectar itself adds `params.json` and `log`). Located with `defineChain`, no chain file.
 */
import { defineChain, p, task, type RunContext } from '../src/index';
import { payload } from './payload';

/** One of the `n` leaves of a fan-in. */
export class LeafTask extends task({ i: p.int(), n: p.int() }) {
  async run(ctx: RunContext<LeafTask>): Promise<void> {
    await ctx.output.write(payload(this.params.i));
  }
}

/** Requires `n` leaves (fan-in). */
export class RootTask extends task({ n: p.int() }) {
  override requires(): LeafTask[] {
    const n = this.params.n;
    const leaves = new Array<LeafTask>(n);
    for (let i = 0; i < n; i++) leaves[i] = new LeafTask({ i, n });
    return leaves;
  }

  async run(ctx: RunContext<RootTask>): Promise<void> {
    await ctx.output.write(payload(this.params.n));
  }
}

/** Link `i` of an `n`-deep chain: requires link `i - 1`. */
export class LinkTask extends task({ i: p.int(), n: p.int() }) {
  override requires(): LinkTask | undefined {
    return this.params.i > 0 ? new LinkTask({ i: this.params.i - 1, n: this.params.n }) : undefined;
  }

  async run(ctx: RunContext<LinkTask>): Promise<void> {
    await ctx.output.write(payload(this.params.i));
  }
}

defineChain('bench', 'noop_chain', { LeafTask, RootTask, LinkTask });
