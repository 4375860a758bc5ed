import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { startServer } from '../../src/api/server';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';
import { type IntervalTimer, startUploadSweeper } from '../../src/runtime/upload-sweeper';
import { S3TargetStore } from '../../src/targets/s3';
import { rmDir, tempDir, writeChains } from '../helpers/runtime';
import { type S3Harness, s3ClientConfig, startS3 } from '../helpers/s3';

const DAY = 24 * 3600_000;
let s3: S3Harness;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

/** A pino logger whose lines are kept; `when` resolves with the first line matching. */
function captured(): { logger: Logger; lines: Record<string, unknown>[]; when(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; res: (l: Record<string, unknown>) => void }[] = [];
  const logger = pino({ level: 'info' }, {
    write(s: string) {
      const line = JSON.parse(s) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiters.splice(0)) if (w.match(line)) w.res(line);
      else waiters.push(w);
    },
  });
  return {
    logger,
    lines,
    when: (match) => {
      const seen = lines.find(match);
      return seen ? Promise.resolve(seen) : new Promise((res) => waiters.push({ match, res }));
    },
  };
}

/** A timer that fires only when the test says so. */
function manualTimer(): { timer: IntervalTimer; fire(): void; every: number[]; cancelled: () => boolean } {
  let fn: (() => void) | undefined;
  let cancelled = false;
  const every: number[] = [];
  return {
    timer: (f, ms) => {
      fn = f;
      every.push(ms);
      return () => {
        cancelled = true;
      };
    },
    fire: () => fn?.(),
    every,
    cancelled: () => cancelled,
  };
}

async function pending(bucket: string): Promise<string[]> {
  const r = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (r.Uploads ?? []).map((u) => u.Key as string).sort();
}

async function begin(bucket: string, key: string): Promise<void> {
  await s3.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
}

describe('stale multipart upload sweeper', () => {
  it('aborts uploads older than the max age, at once and on every tick; keeps fresh ones and other prefixes', async () => {
    const bucket = await s3.newBucket();
    const store = new S3TargetStore({ client: s3.client, bucket });
    await begin(bucket, 'chains/t/c/T/abc/out.bin');
    await begin(bucket, 'elsewhere/big.bin');
    const log = captured();
    const t = manualTimer();
    let now = Date.now() + DAY + 60_000;
    const sweeper = startUploadSweeper({ store, maxAgeMs: DAY, logger: log.logger, now: () => now, setTimer: t.timer });
    await sweeper.idle();
    expect(await pending(bucket)).toEqual(['elsewhere/big.bin']);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 30, aborted: 1, msg: 'aborted 1 stale multipart upload(s)' }));
    expect(t.every).toEqual([DAY]);

    // The real clock: an upload begun just now is a writer at work.
    now = Date.now();
    await begin(bucket, 'chains/t/c/T/def/out.bin');
    t.fire();
    await sweeper.idle();
    expect(await pending(bucket)).toEqual(['chains/t/c/T/def/out.bin', 'elsewhere/big.bin']);
    expect(log.lines).toContainEqual(expect.objectContaining({ aborted: 0 }));

    // A day on, the next tick aborts it.
    now = Date.now() + DAY + 60_000;
    t.fire();
    await sweeper.idle();
    expect(await pending(bucket)).toEqual(['elsewhere/big.bin']);
    await sweeper.stop();
    expect(t.cancelled()).toBe(true);
    t.fire(); // a tick that raced stop() does nothing
    await sweeper.idle();
    expect(log.lines.filter((l) => 'aborted' in l)).toHaveLength(3);
  });

  it('logs a failed sweep as a warning and never throws', async () => {
    const log = captured();
    const t = manualTimer();
    const sweeper = startUploadSweeper({ store: new S3TargetStore({ client: s3.client, bucket: 'no-such-bucket-here' }), maxAgeMs: DAY, logger: log.logger, setTimer: t.timer });
    await sweeper.idle();
    t.fire();
    await sweeper.idle();
    await sweeper.stop();
    const warnings = log.lines.filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]?.['msg']).toContain('could not abort stale multipart uploads');
    expect(warnings[0]?.['store']).toBe('s3://no-such-bucket-here');
  });

  it('runs in a server over S3 targets, and stops with it', async () => {
    const bucket = await s3.newBucket();
    const dir = tempDir();
    const client = new S3Client(s3ClientConfig(s3.endpoint));
    try {
      const log = captured();
      const config = loadConfig({ NECTAR_CHAINS: writeChains(dir, {}), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_ENV: 'test', NECTAR_BUCKET: bucket, NECTAR_S3_UPLOAD_MAX_AGE: '6h' });
      const rt = new Runtime({ config, logger: log.logger, store: new S3TargetStore({ client, bucket }) });
      const srv = await startServer(rt, { port: 0 });
      const line = await log.when((l) => 'aborted' in l);
      expect(line).toMatchObject({ aborted: 0, maxAgeMs: 6 * 3600_000, store: `s3://${bucket}` });
      await srv.close();
    } finally {
      client.destroy();
      rmDir(dir);
    }
  });

  it('does not run in a server over local targets', async () => {
    const dir = tempDir();
    try {
      const log = captured();
      const config = loadConfig({ NECTAR_CHAINS: writeChains(dir, {}), NECTAR_DB: join(dir, 'nectar.db'), NECTAR_TARGETS: join(dir, 'targets') });
      const srv = await startServer(new Runtime({ config, logger: log.logger }), { port: 0 });
      await srv.close();
      expect(log.lines.filter((l) => 'aborted' in l || String(l['msg']).includes('multipart'))).toEqual([]);
    } finally {
      rmDir(dir);
    }
  });
});
