/**
 * Every message one nectar process receives from another is checked where it is received: a
 * malformed one is dropped with a warning naming what was wrong, a good one passes as sent.
 * The schemas of each kind, then the receivers of a worker process (the child loop) and of
 * the process pool (a fake child sending bad messages). The pub/sub receivers of distributed
 * mode are tested against Redis in test/integration/messages.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { AttemptAbort } from '../../src/core/executor';
import type { AnyTask } from '../../src/core/task';
import { fromServersSchema, fromWorkersSchema, taskJobDataSchema } from '../../src/distributed/protocol';
import { childLoop } from '../../src/executors/child-loop';
import { type FromChild, fromChildSchema, type TaskRef, toChildSchema } from '../../src/executors/child-protocol';
import { ProcessPoolExecutor } from '../../src/executors/process-pool';
import type { AttemptHere } from '../../src/executors/run-attempt';
import { checked, decoded } from '../../src/executors/wire';
import { type RunContext, defineChain, p, task } from '../../src/index';
import { LocalTargetStore } from '../../src/targets/local';
import { rmDir, tempDir } from '../helpers/runtime';

class LeafTask extends task({ i: p.int() }) {
  async run(ctx: RunContext<LeafTask>) {
    await ctx.output.write(String(this.params.i));
  }
}
class AskingTask extends task({}) {
  async run(ctx: RunContext<AskingTask>) {
    await ctx.require([new LeafTask({ i: 7 })]);
    await ctx.output.write('asked');
  }
}
defineChain('msgs', 'a_chain', { LeafTask, AskingTask });

const error = { name: 'NectarError', message: 'boom', code: 'TASK_FAILED', stack: 'NectarError: boom\n    at x' };
const ref: TaskRef = { file: '/chains/msgs/a_chain.ts', type: 'msgs', chain: 'a_chain', name: 'AskingTask', params: {} };
const { file: _file, ...jobRef } = ref;

/** Each kind of message: good ones, and malformed ones with what their warning names. */
const KINDS = [
  {
    kind: 'worker -> server (pub/sub)',
    schema: fromWorkersSchema,
    good: [
      { type: 'done', results: [['msgs/a_chain/LeafTask/1', { ok: true }], ['msgs/a_chain/LeafTask/2', { ok: true, skipped: true }], ['msgs/a_chain/LeafTask/3', { ok: false, error }]] },
      { type: 'started', taskIds: ['msgs/a_chain/LeafTask/1'] },
      { type: 'log', lines: [['msgs/a_chain/LeafTask/1', '{"msg":"hi"}\n']] },
      { type: 'require', reqId: 3, worker: 'w1', taskId: 'msgs/a_chain/AskingTask/1', tasks: [jobRef] },
    ],
    bad: [
      [{ type: 'done', results: [['msgs/a_chain/LeafTask/1', { ok: 'yes' }]] }, /results\.0\.1\.ok/],
      [{ type: 'done', results: [['msgs/a_chain/LeafTask/1', { ok: false, error: { name: 'Error' } }]] }, /results\.0\.1\.error\.message/],
      [{ type: 'log', lines: ['a line without its task'] }, /lines\.0/],
      [{ type: 'require', reqId: 3, taskId: 'msgs/a_chain/AskingTask/1', tasks: [] }, /worker/],
      [{ type: 'hello' }, /type/],
    ],
  },
  {
    kind: 'server -> worker (pub/sub)',
    schema: fromServersSchema,
    good: [
      { type: 'cancel', taskId: 'msgs/a_chain/LeafTask/1', error },
      { type: 'required', reqId: 1 },
      { type: 'required', reqId: 2, error },
    ],
    bad: [
      [{ type: 'cancel', taskId: 'msgs/a_chain/LeafTask/1' }, /error/],
      [{ type: 'required', reqId: '1' }, /reqId/],
    ],
  },
  {
    kind: 'job data',
    schema: taskJobDataSchema,
    good: [{ task: jobRef, runId: 'r1', attempt: 1, origin: 's1', log: true }],
    bad: [
      [{ task: jobRef, runId: 'r1', attempt: 1, log: true }, /origin/],
      [{ task: { ...jobRef, params: 'n=1' }, runId: 'r1', attempt: 1, origin: 's1', log: true }, /task\.params/],
    ],
  },
  {
    kind: 'child -> parent (IPC)',
    schema: fromChildSchema,
    good: [{ type: 'ready' }, { type: 'log', line: 'x\n' }, { type: 'require', reqId: 1, tasks: [ref] }, { type: 'done' }, { type: 'failed', error }],
    bad: [
      [{ type: 'log' }, /line/],
      [{ type: 'require', reqId: 1, tasks: [jobRef] }, /tasks\.0\.file/],
      [{ type: 'failed', error: 'boom' }, /error/],
    ],
  },
  {
    kind: 'parent -> child (IPC)',
    schema: toChildSchema,
    good: [{ type: 'run', runId: 'r1', attempt: 2, task: ref }, { type: 'required', reqId: 1, error }],
    bad: [
      [{ type: 'run', runId: 'r1', attempt: 2, task: jobRef }, /task\.file/],
      [{ type: 'run', runId: 'r1', task: ref }, /attempt/],
    ],
  },
] as const;

describe('messages between processes', () => {
  describe.each(KINDS)('$kind', ({ schema, good, bad }) => {
    it.each(good.map((m) => ['type' in m ? m.type : 'data', m] as const))('passes a good one (%s) as sent', (_type, m) => {
      const warn = jest.fn();
      expect(checked(schema, m, 'message', warn)).toEqual(m);
      expect(decoded(schema, JSON.stringify(m), 'message', warn)).toEqual(m);
      expect(warn).not.toHaveBeenCalled();
    });

    it.each(bad)('drops %j with a warning naming what was wrong', (m, named) => {
      const warn = jest.fn();
      expect(checked(schema, m, 'a message', warn)).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toMatch(/^a message dropped: /);
      expect(warn.mock.calls[0]?.[0]).toMatch(named);
    });
  });

  it('drops a pub/sub message that is not JSON, or not an object, with a warning', () => {
    const warn = jest.fn();
    expect(decoded(fromWorkersSchema, '{"type":"done",', 'message from a worker', warn)).toBeUndefined();
    expect(decoded(fromWorkersSchema, '"done"', 'message from a worker', warn)).toBeUndefined();
    expect(warn.mock.calls.map((c) => c[0])).toEqual([expect.stringMatching(/^message from a worker dropped: not JSON/), expect.stringMatching(/expected object/)]);
  });

  it('names a few of the problems of a batch wrong throughout, and how many more there are', () => {
    const warn = jest.fn();
    const results = Array.from({ length: 1000 }, (_, i) => [`msgs/a_chain/LeafTask/${i}`, { ok: 1 }]);
    expect(checked(fromWorkersSchema, { type: 'done', results }, 'message', warn)).toBeUndefined();
    const text = warn.mock.calls[0]?.[0] as string;
    expect(text).toMatch(/results\.0\.1\.ok.*results\.1\.1\.ok.*results\.2\.1\.ok.*\(and 997 more\)$/);
    expect(text.length).toBeLessThan(500);
  });
});

describe('the loop of a worker process', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmDir(dir));

  /** A loop over a store in `dir`, with what it sent and warned; `next` waits for the first message of a type. */
  function loop(): { receive: (raw: unknown) => void; sent: FromChild[]; warned: string[]; next(type: FromChild['type']): Promise<FromChild> } {
    const sent: FromChild[] = [];
    const warned: string[] = [];
    const instantiate = (r: TaskRef): { task: AnyTask; here: AttemptHere } => ({ task: r.name === 'LeafTask' ? new LeafTask(r.params as { i: number }) : new AskingTask(), here: { settings: {}, programEnv: {} } });
    const receive = childLoop({
      store: new LocalTargetStore(dir),
      instantiate,
      send: (m) => void sent.push(m),
      warn: (text) => warned.push(text),
    });
    const next = async (type: FromChild['type']): Promise<FromChild> => {
      for (let i = 0; i < 500; i++) {
        const found = sent.find((m) => m.type === type);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`the loop sent no ${type}: ${JSON.stringify(sent)}`);
    };
    return { receive, sent, warned, next };
  }

  it('drops a malformed message from the parent with a warning, and still runs a good one', async () => {
    const l = loop();
    l.receive({ type: 'run', runId: 'r1', task: ref });
    l.receive('run');
    l.receive({ type: 'required', reqId: 'one' });
    expect(l.warned).toEqual([
      expect.stringMatching(/^message from the parent process dropped: attempt/),
      expect.stringMatching(/^message from the parent process dropped: .*expected object/),
      expect.stringMatching(/^message from the parent process dropped: reqId/),
    ]);
    expect(l.sent).toEqual([]);
    l.receive({ type: 'run', runId: 'r1', attempt: 1, task: { ...ref, name: 'LeafTask', params: { i: 3 } } });
    expect(await l.next('done')).toEqual({ type: 'done' });
    expect(l.sent.filter((m) => m.type === 'failed')).toEqual([]);
  });

  it('asks the parent for dynamic requirements and goes on once the reply comes', async () => {
    const l = loop();
    l.receive({ type: 'run', runId: 'r1', attempt: 1, task: ref });
    const ask = await l.next('require');
    expect(ask).toEqual({ type: 'require', reqId: 1, tasks: [{ file: ref.file, type: 'msgs', chain: 'a_chain', name: 'LeafTask', params: { i: 7 } }] });
    // A reply to no request is ignored.
    l.receive({ type: 'required', reqId: 99 });
    l.receive({ type: 'required', reqId: 1 });
    expect(await l.next('done')).toEqual({ type: 'done' });
    expect(l.warned).toEqual([]);
  });

  it('fails the attempt with the error the reply carries', async () => {
    const l = loop();
    l.receive({ type: 'run', runId: 'r1', attempt: 1, task: ref });
    const ask = await l.next('require');
    l.receive({ type: 'required', reqId: ask.type === 'require' ? ask.reqId : 0, error });
    expect(await l.next('failed')).toMatchObject({ type: 'failed', error: { name: 'NectarError', code: 'TASK_FAILED', message: 'boom' } });
  });
});

describe('the process pool', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmDir(dir));

  it('drops malformed messages from a worker process with a warning, and acts on good ones', async () => {
    // A worker process of another version: some of what it says is not nectar's protocol.
    const entry = join(dir, 'child.js');
    writeFileSync(
      entry,
      `process.send('hello');
      process.send({ type: 'ready' });
      process.on('message', (m) => {
        if (m.type !== 'run') return;
        process.send({ type: 'log' });
        process.send({ type: 'failed', error: 'boom' });
        process.send({ type: 'finished' });
        process.send({ type: 'log', line: '{"msg":"a good line"}\\n' });
        process.send({ type: 'done' });
      });
      process.on('disconnect', () => process.exit(0));`,
    );
    const warned: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warned.push((JSON.parse(line) as { msg: string }).msg) });
    const pool = new ProcessPoolExecutor({ size: 1, entry, locate: () => ({ file: ref.file, type: 'msgs', chain: 'a_chain', name: 'LeafTask' }), instantiate: () => new LeafTask({ i: 1 }), logger });
    const lines: string[] = [];
    try {
      await pool.execute({
        runId: 'r1',
        task: new LeafTask({ i: 1 }),
        attempt: 1,
        store: new LocalTargetStore(dir),
        abort: new AttemptAbort(),
        onLog: (line) => lines.push(line),
        require: () => Promise.resolve(),
      });
    } finally {
      await pool.close();
    }
    expect(warned).toEqual([
      expect.stringMatching(/^message from a worker process dropped: .*expected object/),
      expect.stringMatching(/^message from a worker process dropped: line/),
      expect.stringMatching(/^message from a worker process dropped: error/),
      expect.stringMatching(/^message from a worker process dropped: type/),
    ]);
    expect(lines.some((l) => l.includes('a good line'))).toBe(true);
  });
});
