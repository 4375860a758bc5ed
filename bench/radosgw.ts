/**
 * A throwaway single-node Ceph for benches: one monitor, one in-memory OSD (memstore) and
 * radosgw on loopback, all in a fresh temp folder (conf, data, logs, pid files, admin
 * sockets), started as child processes and stopped by PID. Needs Debian's `radosgw`,
 * `ceph-mon` and `ceph-osd` packages (Ceph 16); without them startRadosgw() prints a notice
 * and gives undefined.
 *
 *   const rgw = await startRadosgw();
 *   if (rgw) { const client = radosgwClient(rgw); ...; await rgw.stop(); }
 */
import { S3Client } from '@aws-sdk/client-s3';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Radosgw {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];

function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A free loopback port (bound then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function conf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = 127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool delete = true
mon allow pool size one = true
osd objectstore = memstore
osd crush chooseleaf type = 0
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon data = ${dir}/mon/$id
osd data = ${dir}/osd/$id
keyring = ${dir}/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stop a child by PID: SIGTERM, then SIGKILL after graceMs (memstore's OSD is slow to exit). */
async function kill(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, check: () => Promise<boolean>, children: ChildProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode})`);
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what}: not ready in ${timeoutMs} ms`);
}

/** Start mon + memstore OSD + radosgw in a fresh temp folder; undefined if Ceph is not installed. */
export async function startRadosgw(): Promise<Radosgw | undefined> {
  const missing = BINARIES.filter((b) => !onPath(b));
  if (missing.length > 0) {
    process.stderr.write(`radosgw: not available (missing ${missing.join(', ')}; apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)\n`);
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'nectar-ceph-'));
  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of [...children].reverse()) await kill(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const d of ['mon', 'osd/0', 'log', 'run']) await mkdir(join(dir, d), { recursive: true });
    const fsid = randomUUID();
    const monPort = await freePort();
    let rgwPort = await freePort();
    while (rgwPort === monPort) rgwPort = await freePort();
    const cfg = join(dir, 'ceph.conf');
    await writeFile(cfg, conf(dir, fsid, monPort, rgwPort));
    const ceph = (...a: string[]) => run('ceph', ['-c', cfg, '--connect-timeout', '10', ...a], { timeout: 30_000 });
    const daemon = (bin: string, ...a: string[]): ChildProcess => {
      const c = spawn(bin, ['-c', cfg, '-f', ...a], { stdio: 'ignore' });
      c.once('error', () => undefined);
      children.push(c);
      return c;
    };

    await run('monmaptool', ['--create', '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')]);
    await run('ceph-mon', ['-c', cfg, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemon('ceph-mon', '-i', 'a');
    const osdUuid = randomUUID();
    await waitFor('ceph-mon', async () => (await ceph('osd', 'new', osdUuid)).stdout.trim() === '0', children, 30_000);
    await run('ceph-osd', ['-c', cfg, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    daemon('ceph-osd', '-i', '0');
    await waitFor('ceph-osd', async () => /1 up/.test((await ceph('osd', 'stat')).stdout), children, 30_000);
    daemon('radosgw', '-n', 'client.rgw');
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor('radosgw', async () => (await fetch(endpoint)).ok, children, 60_000);
    const accessKeyId = `NECTAR${randomBytes(7).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('hex');
    await run('radosgw-admin', ['-c', cfg, 'user', 'create', '--uid=nectar', '--display-name=nectar', `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], { timeout: 30_000 });
    let stopped: Promise<void> | undefined;
    return { endpoint, accessKeyId, secretAccessKey, stop: () => (stopped ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** An SDK client for a started radosgw: path-style, checksums only when required (as SETUP-NOTES found it needs). */
export function radosgwClient(rgw: { endpoint: string; accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint: rgw.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
