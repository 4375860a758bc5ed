/**
 * The chain the executor contract runs, as source for `writeChains`. No task here names an
 * executor: the run chooses one, so the same classes are judged on every executor. Tasks that
 * must be seen from the test write the pid they ran in, and take file paths as parameters
 * (markers, gates) rather than an environment variable a worker process may not have.
 */
export const EXECUTOR_CHAIN_FILE = 'contract/exec_chain.ts';

export const EXECUTOR_CHAIN = `
import { existsSync, writeFileSync } from 'node:fs';
import { NectarError, NonRetryableError, p, program, task, type RunContext } from 'nectar';

/** Two outputs: a text and the pid of the process that ran the attempt. */
export class SuccessTask extends task({ tag: p.string() }) {
  output() {
    return { data: this.target('data.txt'), pid: this.target('pid.txt') };
  }
  async run(ctx: RunContext<SuccessTask>) {
    await ctx.output.data.write(\`hello \${this.params.tag}\`);
    await ctx.output.pid.write(String(process.pid));
  }
}

export class CodedFailTask extends task({ tag: p.string() }) {
  run(): void {
    throw new NectarError('BAD_PARAM', \`coded failure \${this.params.tag}\`);
  }
}

export class PlainFailTask extends task({ tag: p.string() }) {
  run(): void {
    throw new Error(\`plain failure \${this.params.tag}\`);
  }
}

export class NonRetryableTask extends task({ tag: p.string() }, { retries: 2, retryDelay: 1 }) {
  run(ctx: RunContext<NonRetryableTask>): void {
    ctx.log.info('trying');
    throw new NonRetryableError(\`give up \${this.params.tag}\`);
  }
}

/** Fails its first two attempts with a plain error, succeeds on the third. */
export class FlakyTask extends task({ tag: p.string() }, { retries: 2, retryDelay: 1 }) {
  async run(ctx: RunContext<FlakyTask>) {
    ctx.log.info('trying');
    if (ctx.attempt < 3) throw new Error(\`attempt \${ctx.attempt} fails\`);
    await ctx.output.write(\`attempt \${ctx.attempt}\`);
  }
}

/** Drops its marker, then sleeps ignoring its abort signal, then tries to write. */
async function sleepThenWrite(marker: string, ms: number, write: (s: string) => Promise<void>): Promise<void> {
  writeFileSync(marker, String(Date.now()));
  await new Promise((r) => setTimeout(r, ms));
  await write('late');
}

export class TimedOutTask extends task({ marker: p.string(), ms: p.int() }, { timeout: 500 }) {
  async run(ctx: RunContext<TimedOutTask>) {
    await sleepThenWrite(this.params.marker, this.params.ms, (s) => ctx.output.write(s));
  }
}

export class CancelledTask extends task({ marker: p.string(), ms: p.int() }) {
  async run(ctx: RunContext<CancelledTask>) {
    await sleepThenWrite(this.params.marker, this.params.ms, (s) => ctx.output.write(s));
  }
}

export class DayTask extends task({ day: p.int() }) {
  async run(ctx: RunContext<DayTask>) {
    await ctx.output.write(\`d\${this.params.day}:\${process.pid}\`);
  }
}

/** Asks for its days at run time, then reads them. */
export class ReportTask extends task({ days: p.int() }) {
  async run(ctx: RunContext<ReportTask>) {
    const deps = await ctx.require(Array.from({ length: this.params.days }, (_, day) => new DayTask({ day })));
    let s = '';
    for (const d of deps) s += \`\${(await d.readText()).split(':')[0]};\`;
    await ctx.output.write(s);
  }
}

export class TextTask extends task({ text: p.string() }) {
  async run(ctx: RunContext<TextTask>) {
    await ctx.output.write(this.params.text);
  }
}

/** An external program: reads its input file and a parameter, writes its output, prints a line. */
export class CountTask extends program({ n: p.int(), text: p.string() }) {
  requires() {
    return new TextTask({ text: this.params.text });
  }
  command() {
    const script = "const fs = require('node:fs'); const text = fs.readFileSync(process.env.NECTAR_INPUT, 'utf8'); fs.writeFileSync(process.env.NECTAR_OUTPUT, 'n=' + process.env.NECTAR_PARAM_N + ' input=' + text + ' ppid=' + process.ppid); console.log('counted')";
    return [process.execPath, '-e', script, '--'];
  }
}

/** Writes its first output, then throws. */
export class HalfTask extends task({ tag: p.string() }) {
  output() {
    return { first: this.target('first.txt'), second: this.target('second.txt') };
  }
  async run(ctx: RunContext<HalfTask>) {
    await ctx.output.first.write('first');
    throw new Error(\`after the first output \${this.params.tag}\`);
  }
}

/** Logs, then waits (up to 20 s) for the test to create its gate file: it only finishes if its line was seen live. */
export class GateTask extends task({ gate: p.string() }) {
  async run(ctx: RunContext<GateTask>) {
    ctx.log.info({ gate: this.params.gate }, 'waiting for the gate');
    for (let i = 0; i < 400 && !existsSync(this.params.gate); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(this.params.gate)) throw new Error('the gate never opened: the log line did not arrive while the task ran');
    ctx.log.info('through the gate');
    await ctx.output.write('opened');
  }
}
`;
