/**
 * The smallest chain: HelloTask writes a greeting; ShoutTask requires it and writes it in
 * capitals. Run it with `npx nectar run testchains/ShoutTask --param name=ada`.
 */
import { p, task, type RunContext } from 'nectar';

/** Writes `hello <name>` to out.txt. */
export class HelloTask extends task({ name: p.string({ default: 'world', description: 'who to greet' }) }) {
  async run(ctx: RunContext<HelloTask>) {
    ctx.log.info(`greeting ${this.params.name}`);
    await ctx.output.write(`hello ${this.params.name}\n`);
  }
}

/** Requires HelloTask and writes its greeting in capitals. */
export class ShoutTask extends task({ name: p.string({ default: 'world' }) }) {
  requires() {
    return new HelloTask({ name: this.params.name });
  }

  async run(ctx: RunContext<ShoutTask>) {
    const greeting = await ctx.input.readText();
    await ctx.output.write(greeting.toUpperCase());
  }
}
