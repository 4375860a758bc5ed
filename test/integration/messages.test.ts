/**
 * The pub/sub receivers of distributed mode, against a real redis-server: a server and a
 * `nectar worker` drop a malformed message with a warning and go on with good ones; a job
 * whose data is malformed is not run but answered as a failure, so the server waiting on it
 * hears why. (The schemas of each kind: test/unit/messages.test.ts.)
 */
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import { BullMQExecutor } from '../../src/distributed/executor';
import { channels, queueName } from '../../src/distributed/protocol';
import { closeConnection, redisConnection } from '../../src/distributed/redis-connection';
import { NectarWorker } from '../../src/distributed/worker';
import { LocalTargetStore } from '../../src/targets/local';
import { haveRedis, startRedis, type TestRedis } from '../helpers/redis';
import { rmDir, tempDir } from '../helpers/runtime';

const maybe = haveRedis() ? describe : describe.skip;

/** A pino logger whose warnings land in `into`. */
const warnings = (into: string[]): pino.Logger => pino({ level: 'warn' }, { write: (line: string) => void into.push((JSON.parse(line) as { msg: string }).msg) });

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not so after 5 s: ${what}`);
}

maybe('pub/sub messages of distributed mode', () => {
  let redis: TestRedis;
  let dir: string;
  let pub: Redis;
  let sub: Redis;
  /** What `sub` heard, as parsed JSON, by channel. */
  let heard: Map<string, unknown[]>;
  const subscribers = async (channel: string): Promise<number> => Number(((await pub.pubsub('NUMSUB', channel)) as [string, number])[1]);

  beforeAll(async () => {
    redis = await startRedis();
  });
  beforeEach(() => {
    dir = tempDir();
    pub = redisConnection(redis.url);
    sub = redisConnection(redis.url);
    heard = new Map();
    sub.on('message', (ch: string, raw: string) => heard.set(ch, [...(heard.get(ch) ?? []), JSON.parse(raw)]));
  });
  afterEach(async () => {
    await Promise.all([pub, sub].map(closeConnection));
    rmDir(dir);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a server drops malformed messages from workers with a warning, and answers a good one', async () => {
    const prefix = 'srv';
    const warned: string[] = [];
    const exec = new BullMQExecutor({ url: redis.url, prefix, serverId: 's1', locate: () => undefined, instantiate: () => { throw new Error('not used'); }, logger: warnings(warned) });
    try {
      await sub.subscribe(channels.worker(prefix, 'w1'));
      await until('the server listens', async () => (await subscribers(channels.server(prefix, 's1'))) === 1 && (await subscribers(channels.done(prefix))) === 1);
      await pub.publish(channels.done(prefix), '{"type":"done",');
      await pub.publish(channels.done(prefix), JSON.stringify({ type: 'done', results: [['msgs/a_chain/LeafTask/1', { ok: 'yes' }]] }));
      await pub.publish(channels.server(prefix, 's1'), JSON.stringify({ type: 'require', reqId: 1, taskId: 'msgs/a_chain/AskingTask/1', tasks: [] }));
      await pub.publish(channels.server(prefix, 's1'), JSON.stringify({ type: 'require', reqId: 2, worker: 'w1', taskId: 'msgs/a_chain/AskingTask/1', tasks: [] }));
      await until('the server answers', () => (heard.get(channels.worker(prefix, 'w1'))?.length ?? 0) > 0);
      expect(heard.get(channels.worker(prefix, 'w1'))).toEqual([
        { type: 'required', reqId: 2, error: expect.objectContaining({ code: 'QUEUE_ERROR', message: 'no server is waiting on msgs/a_chain/AskingTask/1 here' }) },
      ]);
      expect(warned).toEqual([
        expect.stringMatching(/^message from a worker dropped: not JSON/),
        expect.stringMatching(/^message from a worker dropped: results\.0\.1\.ok/),
        expect.stringMatching(/^message from a worker dropped: worker/),
      ]);
    } finally {
      await exec.close();
    }
  });

  it('a worker drops malformed messages from servers with a warning, and fails a job whose data is malformed', async () => {
    const prefix = 'wrk';
    const warned: string[] = [];
    const worker = new NectarWorker(
      { url: redis.url, prefix, stalledInterval: 30_000, lockDuration: 30_000, store: new LocalTargetStore(dir), logger: warnings(warned), programEnv: {}, settingsOf: () => ({}), instantiate: () => { throw new Error('not used'); } },
      { concurrency: 1, grace: 1000 },
    );
    const conn = redisConnection(redis.url);
    const queue = new Queue(queueName('default'), { connection: conn, prefix });
    try {
      await worker.ready();
      await sub.subscribe(channels.done(prefix));
      await until('the worker listens', async () => (await subscribers(channels.control(prefix))) === 1 && (await subscribers(channels.worker(prefix, worker.id))) === 1);
      await pub.publish(channels.control(prefix), JSON.stringify({ type: 'cancel', taskId: 'msgs/a_chain/LeafTask/1' }));
      await pub.publish(channels.worker(prefix, worker.id), JSON.stringify({ type: 'required' }));
      // Good ones, about nothing running here: nothing to say.
      await pub.publish(channels.control(prefix), JSON.stringify({ type: 'cancel', taskId: 'msgs/a_chain/LeafTask/1', error: { name: 'NectarError', message: 'the run was cancelled', code: 'CANCELLED' } }));
      await pub.publish(channels.worker(prefix, worker.id), JSON.stringify({ type: 'required', reqId: 1 }));
      await queue.add('task', { task: 'msgs/a_chain/LeafTask', runId: 'r1' }, { jobId: 'msgs/a_chain/LeafTask/2', removeOnComplete: true });
      await until('the job is answered', () => (heard.get(channels.done(prefix))?.length ?? 0) > 0);
      expect(heard.get(channels.done(prefix))).toEqual([
        { type: 'done', results: [['msgs/a_chain/LeafTask/2', { ok: false, error: expect.objectContaining({ code: 'QUEUE_ERROR', message: expect.stringMatching(/^job msgs\/a_chain\/LeafTask\/2 on tasks-default: its data is malformed: task/) }) }]] },
      ]);
      expect(warned).toEqual([
        expect.stringMatching(/^message from a server dropped: error/),
        expect.stringMatching(/^message from a server dropped: reqId/),
        expect.stringMatching(/^job msgs\/a_chain\/LeafTask\/2 on tasks-default: its data is malformed: task.*origin/),
      ]);
    } finally {
      await queue.close();
      await closeConnection(conn);
      await worker.close();
    }
  });
});
