/**
 * The raw BullMQ floor of bench/distributed.ts: a worker process whose jobs do nothing.
 * argv: <redis url> <queue> <prefix> <concurrency>. Prints "ready" once it takes jobs.
 */
import { Worker } from 'bullmq';
import Redis from 'ioredis';

const [url, queue, prefix, concurrency] = process.argv.slice(2) as [string, string, string, string];
const connection = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker(queue, async () => undefined, { connection, prefix, concurrency: Number(concurrency) });
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  void worker.close().then(() => connection.quit()).then(() => process.exit(0));
});
