import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** Debian's redis-server (apt-get install -y redis-server), or NECTAR_REDIS_SERVER. */
export const REDIS_SERVER = process.env['NECTAR_REDIS_SERVER'] ?? '/usr/bin/redis-server';

/**
 * True when the Redis tests can run. Without redis-server they are skipped with a notice,
 * except under CI=true, where a missing binary is a failure.
 */
export function haveRedis(): boolean {
  if (existsSync(REDIS_SERVER)) return true;
  const msg = `redis-server not found at ${REDIS_SERVER} (apt-get install -y redis-server, or set NECTAR_REDIS_SERVER)`;
  if (process.env['CI'] === 'true') throw new Error(`${msg}: required under CI=true`);
  console.warn(`SKIPPING Redis tests: ${msg}`);
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own on a free loopback port, no persistence; `restart()` keeps the port. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stop (SIGKILL, as a crash) and start again on the same port, empty. */
  restart(downMs?: number): Promise<void>;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  child.stdout?.resume();
  return child;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    stop: () => stopChild(child, 'SIGTERM'),
    async restart(downMs = 500) {
      await stopChild(child, 'SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      child = await launch(port);
    },
  };
}

/** `redis-cli` one-shot, for assertions on what is in Redis. */
export function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
  return r.stdout.trim();
}
