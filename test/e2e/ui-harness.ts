import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { REPO, rmDir, tempDir } from '../helpers/runtime';
import { call, startTestServer } from '../helpers/server';

/** What a browser suite gets: the browser, the server's base URL and its folder, and ways to start and await runs. */
export interface UiHarness {
  readonly browser: Browser;
  readonly base: string;
  readonly dir: string;
  /** Start a task (`/api/chains/...`): its run id (the start must be a 202). */
  post(path: string): Promise<string>;
  /** Wait for a run to end: its state. */
  settled(runId: string): Promise<string>;
  /** Page errors seen since the last test: each test must see none. */
  readonly pageErrors: string[];
}

/**
 * A real server over the example chains and a headless Chromium for one suite, started
 * before its tests and stopped after them; each test fails if a page threw.
 */
export function uiHarness(prefix: string, beforeTests?: (h: UiHarness) => Promise<void>): UiHarness {
  const state = { browser: undefined as Browser | undefined, base: '', dir: '', close: undefined as (() => Promise<void>) | undefined };
  const pageErrors: string[] = [];
  const h: UiHarness = {
    get browser() {
      return state.browser as Browser;
    },
    get base() {
      return state.base;
    },
    get dir() {
      return state.dir;
    },
    pageErrors,
    async post(path) {
      const a = await call(`${state.base}${path}`, { method: 'POST' });
      expect(a.status).toBe(202);
      return a.body.data['run_id'] as string;
    },
    async settled(runId) {
      for (let i = 0; i < 1500; i++) {
        const s = (await call(`${state.base}/api/runs/${runId}`)).body.data['state'] as string;
        if (s !== 'QUEUED' && s !== 'RUNNING') return s;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`run ${runId} did not end`);
    },
  };
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));
  beforeAll(async () => {
    state.browser = await launchChromium();
    state.dir = tempDir(prefix);
    const s = await startTestServer(join(REPO, 'chains'), state.dir);
    state.base = s.base;
    state.close = () => s.srv.close();
    await beforeTests?.(h);
  });
  afterAll(async () => {
    await state.browser?.close();
    await state.close?.();
    rmDir(state.dir);
  });
  return h;
}
