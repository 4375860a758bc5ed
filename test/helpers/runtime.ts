import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/runtime/config';
import { Runtime } from '../../src/runtime/runtime';

export const REPO = resolve(__dirname, '../..');

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'nectar-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function rmDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every file below a folder, as paths. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Write chain files under `<dir>/chains`: `{ 'testing/a_chain.ts': source }`. Returns the chains folder. */
export function writeChains(dir: string, files: Record<string, string>): string {
  const chains = join(dir, 'chains');
  for (const [rel, src] of Object.entries(files)) {
    const path = join(chains, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, src);
  }
  mkdirSync(chains, { recursive: true });
  return chains;
}

/** A runtime over a chains folder and a temp target root, logging nothing. */
export function makeRuntime(chains: string, targets: string, env: Record<string, string> = {}): Runtime {
  const config = loadConfig({ NECTAR_CHAINS: chains, NECTAR_TARGETS: targets, ...env });
  return new Runtime({ config, logger: pino({ level: 'silent' }) });
}
