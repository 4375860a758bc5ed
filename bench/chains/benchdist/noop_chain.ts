/**
 * The distributed bench's tasks (bench/distributed.ts): the same no-ops as bench/tasks.ts
 * (a 16-byte out.txt each), in a chain file, because `nectar worker` processes load chains
 * from files.
 */
import { p, task, type RunContext } from 'nectar';

function payload(i: number): string {
  return `${String(i).padStart(15, '0')}\n`;
}

/** One of the `n` leaves of a fan-in. */
export class LeafTask extends task({ i: p.int(), n: p.int() }) {
  async run(ctx: RunContext<LeafTask>): Promise<void> {
    await ctx.output.write(payload(this.params.i));
  }
}

/** Requires `n` leaves (fan-in). */
export class RootTask extends task({ n: p.int() }) {
  requires(): LeafTask[] {
    return Array.from({ length: this.params.n }, (_, i) => new LeafTask({ i, n: this.params.n }));
  }

  async run(ctx: RunContext<RootTask>): Promise<void> {
    await ctx.output.write(payload(this.params.n));
  }
}

/** Link `i` of an `n`-deep chain: requires link `i - 1`. */
export class LinkTask extends task({ i: p.int(), n: p.int() }) {
  requires(): LinkTask[] {
    return this.params.i > 0 ? [new LinkTask({ i: this.params.i - 1, n: this.params.n })] : [];
  }

  async run(ctx: RunContext<LinkTask>): Promise<void> {
    await ctx.output.write(payload(this.params.i));
  }
}
