import { Command, CommanderError, Option } from 'commander';
import pino from 'pino';
import { outputKeys } from '../core/binding';
import { NectarError } from '../core/errors';
import { catalogue } from '../api/catalogue';
import { startServer } from '../api/server';
import { loadConfig } from '../runtime/config';
import { routeConsole, stdoutCarriesData } from '../runtime/console';
import { graphDot, rootGraph } from '../runtime/run-graph';
import { Runtime } from '../runtime/runtime';
import { parseParamFlags, parseWorkers } from './args';
import { printSummary, showProgress, summaryJson } from './output';
import { planText, staleOption } from './plan-output';
import type { StalePolicy } from '../core/options';
import { backfillCommand } from './backfill-command';
import { schedulesCommand } from './schedules-command';
import { invalidateCommand } from './invalidate-command';
import { gcCommand } from './gc-command';
import { untilStopped } from './stop';
import { type RuntimeFor, STOP_SLACK_MS, wholeNumber, workerCommand } from './worker-command';

/** Exit codes (DESIGN.md): 0 done, 1 a task failed, 2 bad usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Warnings as plain lines on stderr; a CLI user should not read JSON logs. */
function cliLogger(level: string): pino.Logger {
  return pino({ level }, {
    write(line: string) {
      const o = JSON.parse(line) as { level: number; msg: string; path?: string; error?: string };
      const level = o.level >= 50 ? 'error' : o.level >= 40 ? 'warning' : 'info';
      process.stderr.write(`${level}: ${o.msg}${o.path ? ` (${o.path})` : ''}${o.error ? `: ${o.error.split('\n')[0]}` : ''}\n`);
    },
  });
}

/**
 * The runtime of a command. `serve` and `worker` log JSON lines (pino) on stdout at `info`
 * unless NECTAR_LOG_LEVEL says otherwise; the other commands print warnings as plain lines.
 */
const runtime: RuntimeFor = (kind = 'cli') => {
  const config = loadConfig();
  return kind === 'server' ? new Runtime({ config, defaultLogLevel: 'info' }) : new Runtime({ config, logger: cliLogger(config.logLevel ?? 'warn') });
};

const out = (s: string): void => {
  process.stdout.write(s);
};

export async function main(argv: readonly string[]): Promise<number> {
  routeConsole();
  let code: number = EXIT.OK;
  const program = new Command('nectar')
    .description('A DAG-based ETL task runner: idempotent tasks, content-hashed targets.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('list')
    .description('list the discovered tasks')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      if (o.json) stdoutCarriesData();
      const rt = runtime();
      if (o.json) return out(`${JSON.stringify({ tasks: catalogue(rt), problems: rt.registry.problems }, null, 2)}\n`);
      for (const t of rt.registry.tasks) {
        const params = Object.entries(t.cls.paramSchema).map(([k, v]) => `${k}${v.default === undefined ? '' : `=${JSON.stringify(v.default)}`}`);
        out(`${t.type}/${t.name}  (${t.chain})  ${params.join(' ')}\n`);
      }
      if (rt.registry.tasks.length === 0) out(`no tasks found under ${rt.registry.root}\n`);
    });

  const withTask = (c: Command): Command =>
    c.argument('<task>', 'type/Task or type/chain/Task').option('-p, --param <name=value>', 'a parameter (repeatable)', collect, []);

  withTask(program.command('run').description('run a task and everything it needs that is not complete'))
    .option('-w, --workers <n>', 'tasks at once')
    .addOption(new Option('--executor <kind>', 'where tasks run unless they choose').choices(['inprocess', 'process', 'bullmq']))
    .option('--json', 'print the summary as JSON')
    .option('--print', "write the root task's output to stdout (the summary goes to stderr)")
    .addOption(staleOption())
    .action(async (ref: string, o: { param: string[]; workers?: string; executor?: 'inprocess' | 'process' | 'bullmq'; json?: boolean; print?: boolean; stale: StalePolicy }) => {
      if (o.print && o.json) throw new NectarError('USAGE', '--print and --json both want stdout: choose one');
      if (o.print || o.json) stdoutCarriesData();
      const workers = parseWorkers(o.workers);
      const rt = runtime();
      const root = rt.instantiate(ref, parseParamFlags(o.param));
      await rt.checkTargets();
      // Ctrl-C or SIGTERM cancels the run: tasks stop, their partial writes are removed, and the
      // summary says what was cancelled. A second signal exits at once.
      const ctl = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        if (ctl.signal.aborted) {
          process.stderr.write(`${signal} again: exiting now\n`);
          process.exit(EXIT.FAILED);
        }
        ctl.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const runId = crypto.randomUUID();
      const stop = o.json ? () => undefined : showProgress(rt.events, runId);
      try {
        const r = await rt.run(root, { workers, executor: o.executor, signal: ctl.signal, runId, stale: o.stale });
        stop();
        const outputs = { [root.id]: outputKeys(root) };
        if (o.json) out(`${JSON.stringify(summaryJson(r, outputs), null, 2)}\n`);
        else printSummary(r, outputs, rt.store.location, o.print ? (s) => process.stderr.write(s) : undefined);
        if (o.print && r.state === 'SUCCEEDED') {
          // Every output of the root, in declaration order, as bytes.
          for (const key of outputKeys(root)) process.stdout.write(await rt.store.target(key).readBytes());
        }
        code = r.state === 'SUCCEEDED' ? EXIT.OK : EXIT.FAILED;
      } finally {
        stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await rt.close();
      }
    });

  withTask(program.command('graph').description('print the DAG under a task'))
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'json']).default('dot'))
    .action(async (ref: string, o: { param: string[]; format: 'dot' | 'json' }) => {
      stdoutCarriesData();
      const rt = runtime();
      const graph = await rootGraph(rt, rt.instantiate(ref, parseParamFlags(o.param)));
      out(o.format === 'dot' ? graphDot(graph) : `${JSON.stringify(graph, null, 2)}\n`);
    });

  withTask(program.command('plan').description('show which outputs exist, which are stale and why, and which tasks would run, running nothing'))
    .option('--json', 'machine-readable output')
    .addOption(staleOption())
    .action(async (ref: string, o: { param: string[]; json?: boolean; stale: StalePolicy }) => {
      if (o.json) stdoutCarriesData();
      const rt = runtime();
      await rt.checkTargets();
      const plan = await rt.plan(rt.instantiate(ref, parseParamFlags(o.param)), { stale: o.stale });
      if (o.json) return out(`${JSON.stringify({ plan }, null, 2)}\n`);
      out(planText(plan));
    });

  program
    .command('serve')
    .description('start the HTTP API')
    .option('--port <port>', 'port (default $PORT or 5000)')
    .option('--grace <seconds>', 'on SIGTERM: how long the server may take to record and close what is in flight', '10')
    .action(async (o: { port?: string; grace: string }) => {
      const grace = wholeNumber('--grace', o.grace, 0, 86_400) * 1000;
      // The server logs JSON lines (pino) on stdout: one per request, plus warnings.
      const rt = runtime('server');
      const port = o.port === undefined ? rt.config.port : Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NectarError('USAGE', `--port ${JSON.stringify(o.port)}: expected a port number`);
      await rt.checkTargets();
      const srv = await startServer(rt, { port, ...(rt.config.apiToken ? { token: rt.config.apiToken } : {}) });
      process.stderr.write(`nectar serving ${rt.registry.tasks.length} tasks on http://127.0.0.1:${srv.port}${rt.config.apiToken ? ' (bearer token required)' : ''}\n`);
      await untilStopped({ boundMs: grace + STOP_SLACK_MS, stop: () => srv.close(grace) });
    });

  workerCommand(program, runtime);
  schedulesCommand(program, runtime, out, (c) => (code = c));
  backfillCommand(program, runtime, out, (c) => (code = c));
  invalidateCommand(program, runtime, out);
  gcCommand(program, runtime, out);

  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof NectarError) {
      process.stderr.write(`error: ${err.message}\n`);
      // Bad usage or configuration is 2; a broken chain (bad requires/output) is a failure, 1.
      return err.status < 500 || err.code === 'BAD_CONFIG' ? EXIT.USAGE : EXIT.FAILED;
    }
    throw err;
  }
}
