import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
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

/**
 * A page in a fresh context at 1400×900, in Europe/Berlin with en-GB formats (so that the
 * local times a test reads are fixed), whose page errors go to `errors`; opened at `url`.
 */
export async function openBerlinPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return page;
}

/** The trimmed text of the first element matching `selector`. */
export const textOf = async (page: Page, selector: string): Promise<string> => ((await page.textContent(selector)) ?? '').trim();
