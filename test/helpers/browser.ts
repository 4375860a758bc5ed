import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO } from './runtime';

/** Debian's Chromium; never a downloaded browser (`playwright install` cannot run here). */
export const CHROMIUM = process.env['NECTAR_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where the end-to-end tests leave screenshots of the main views for review (git-ignored). */
export const SCREENSHOTS = join(REPO, 'test/e2e/screenshots');

/**
 * True when the browser tests can run. Without Chromium they are skipped with a notice,
 * except under CI=true, where a missing browser is a failure.
 */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set NECTAR_CHROMIUM)`;
  if (process.env['CI'] === 'true') throw new Error(`${msg}: required under CI=true`);
  console.warn(`SKIPPING browser tests: ${msg}`);
  return false;
}

/** A headless Chromium with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
