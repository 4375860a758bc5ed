/**
 * S3 for tests: a real s3rver in a child process (see s3rver-main.js) and a fault-injecting proxy.
 *
 *   const s3 = await startS3();            // beforeAll
 *   const bucket = await s3.newBucket();   // per test, for isolation
 *   await s3.stop();                       // afterAll
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

const SCRIPT = join(__dirname, 's3rver-main.js');

/**
 * Client settings for s3rver. The checksum settings matter: by default the SDK sends stream
 * bodies aws-chunked with a CRC32 trailer, and s3rver stores that framing inside the object.
 */
export function s3ClientConfig(endpoint: string): S3ClientConfig {
  // As nectar's own clients (config.ts quietAwsSdk): the SDK's Node 20 notice is not actionable here.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export interface S3Harness {
  endpoint: string;
  /** A bucket created at start-up. */
  bucket: string;
  /** s3rver's storage folder (removed by stop()). */
  dir: string;
  client: S3Client;
  stop(): Promise<void>;
  /** Create a fresh bucket (CreateBucket through the SDK) and return its name. */
  newBucket(name?: string): Promise<string>;
}

/** Start s3rver on a free loopback port (or `port`) over a fresh temp folder. */
export async function startS3(opts: { bucket?: string; port?: number } = {}): Promise<S3Harness> {
  const bucket = opts.bucket ?? 'nectar-test';
  const dir = await mkdtemp(join(tmpdir(), 'nectar-s3rver-'));
  // The IPC channel lets the child notice when this process dies without calling stop().
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SCRIPT, dir, bucket, String(opts.port ?? 0)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let port: number;
  try {
    port = await waitReady(child);
  } catch (err) {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client(s3ClientConfig(endpoint));
  let n = 0;
  return {
    endpoint,
    bucket,
    dir,
    client,
    async newBucket(name?: string) {
      const b = name ?? `t${++n}-${randomBytes(4).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: b }));
      return b;
    },
    async stop() {
      client.destroy();
      await kill(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolve with the port from the child's `S3RVER_READY <port>` line; reject if it exits first. */
function waitReady(child: ChildProcess, timeoutMs = 15000): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`s3rver did not start: ${why}\n${err}`));
    };
    const timer = setTimeout(() => fail(`no ready line in ${timeoutMs} ms`), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^S3RVER_READY (\d+)$/m.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data').resume();
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.once('error', (e) => fail(e.message));
  });
}

/** Stop a child by PID: SIGTERM, then SIGKILL if it is still there after 2 s. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/**
 * Multipart uploads s3rver still holds on disk for a bucket (upload ids): empty once every
 * upload was completed or aborted. A check that does not go through the S3 API at all.
 */
export function pendingUploadsOnDisk(dir: string, bucket: string): string[] {
  const root = join(dir, bucket, '._S3rver_uploads');
  return existsSync(root) ? readdirSync(root) : [];
}

export interface FaultPlan {
  /** Fail requests number failEvery, 2*failEvery, ... (counting from 1). */
  failEvery?: number;
  /** Fail the first failFirst requests. */
  failFirst?: number;
  /** Status of an injected failure (default 503, S3's SlowDown). */
  status?: number;
  /** Destroy the socket (connection reset) on requests number resetEvery, 2*resetEvery, ... */
  resetEvery?: number;
}

export interface FaultProxy {
  url: string;
  stats: { requests: number; injected: number };
  stop(): Promise<void>;
}

const ERROR_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown' };

/**
 * An HTTP proxy on a free loopback port that forwards to `target` (streaming both bodies)
 * but fails some requests as the plan says. The Host header is passed on unchanged, so SigV4
 * signatures made for the proxy's address still verify upstream.
 */
export async function startFaultProxy(target: string, plan: FaultPlan): Promise<FaultProxy> {
  const upstream = new URL(target);
  const stats = { requests: 0, injected: 0 };
  const agent = new http.Agent({ keepAlive: true });
  const every = (n: number | undefined, i: number) => n !== undefined && n > 0 && i % n === 0;

  const server = http.createServer((req, res) => {
    const i = ++stats.requests;
    if (every(plan.resetEvery, i)) {
      stats.injected++;
      req.socket.destroy();
      return;
    }
    if ((plan.failFirst !== undefined && i <= plan.failFirst) || every(plan.failEvery, i)) {
      stats.injected++;
      const status = plan.status ?? 503;
      const code = ERROR_CODES[status] ?? 'InjectedFault';
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Injected fault ${i}</Message><RequestId>fault-${i}</RequestId></Error>`;
      // Read the request body first so the client sees a clean answer on a reusable socket.
      req.resume().once('end', () => {
        res.writeHead(status, { 'Content-Type': 'application/xml', 'Retry-After': '0', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    // Node already answered any `Expect: 100-continue`, so do not pass it on.
    const { expect: _expect, ...headers } = req.headers;
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.once('error', () => res.destroy());
      },
    );
    up.once('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.once('error', () => up.destroy());
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });

  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
