import { type Browser, chromium } from 'playwright-core';

/** The Chromium the UI benches drive: `/usr/bin/chromium`, or NECTAR_CHROMIUM. */
export const CHROMIUM = process.env['NECTAR_CHROMIUM'] ?? '/usr/bin/chromium';

/** Headless Chromium as the UI benches run it (no GPU, no sandbox, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'] });
}
