import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { NectarError } from '../core/errors';
import type { RunState } from '../core/states';
import type { RunRow } from '../store/types';

type Env = Readonly<Record<string, string | undefined>>;

/** What a webhook can be told: how a run ended. */
export const WEBHOOK_EVENTS = ['run:succeeded', 'run:failed', 'run:cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const DEFAULT_EVENTS: readonly WebhookEvent[] = ['run:succeeded', 'run:failed'];
const ENTRY_KEYS = new Set(['url', 'events', 'chains', 'secret_env']);
/** `type`, `type/chain` or `type/chain/Task`. */
const CHAIN_FILTER = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+){0,2}$/;

/** One receiver of run notifications. */
export interface WebhookTarget {
  readonly url: string;
  /** The URL as logged: no credentials, no query string. */
  readonly logUrl: string;
  readonly events: readonly WebhookEvent[];
  /** Chain types (`elections`) or chains (`testchains/hello_chain`); undefined: every run. */
  readonly chains: readonly string[] | undefined;
  /** Signs the body (see `signature`); from the environment, never from a file. */
  readonly secret: string | undefined;
}

/** Webhook configuration as `loadWebhooks` reads it from the environment. */
export interface WebhookConfig {
  readonly hooks: readonly WebhookTarget[];
  /** Attempts per delivery, first one included (`NECTAR_WEBHOOK_ATTEMPTS`, default 6). */
  readonly attempts: number;
  /** Delay before the first retry, doubled after each (`NECTAR_WEBHOOK_BASE_DELAY_MS`, default 1000). */
  readonly baseDelayMs: number;
  /** Set (`NECTAR_PUBLIC_URL`): payloads carry the run's API URL under it. */
  readonly publicUrl: string | undefined;
}

function bad(message: string): NectarError {
  return new NectarError('BAD_CONFIG', message);
}

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
  return n;
}

function httpUrl(raw: unknown, where: string): string {
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw bad(`${where}: ${JSON.stringify(raw)} is not an http(s) URL`);
  return url.href;
}

function logUrl(href: string): string {
  const u = new URL(href);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.href;
}

function events(raw: unknown, where: string): WebhookEvent[] {
  if (!Array.isArray(raw) || raw.length === 0) throw bad(`${where}: "events" must be a non-empty array of ${WEBHOOK_EVENTS.join(', ')}`);
  return raw.map((e: unknown, i) => {
    if (!(WEBHOOK_EVENTS as readonly unknown[]).includes(e)) throw bad(`${where}: events[${i}] ${JSON.stringify(e)} is not an event; expected ${WEBHOOK_EVENTS.join(', ')}`);
    return e as WebhookEvent;
  });
}

function chains(raw: unknown, where: string): string[] {
  if (!Array.isArray(raw)) throw bad(`${where}: "chains" must be an array of chain types or type/chain names`);
  return raw.map((c: unknown, i) => {
    if (typeof c !== 'string' || !CHAIN_FILTER.test(c)) throw bad(`${where}: chains[${i}] ${JSON.stringify(c)} is not a chain type or type/chain (e.g. "elections", "testchains/hello_chain")`);
    return c;
  });
}

function secretFrom(env: Env, name: unknown, where: string): string {
  if (typeof name !== 'string' || name === '') throw bad(`${where}: "secret_env" must name an environment variable`);
  const secret = env[name];
  if (!secret) throw bad(`${where}: secret_env ${name} is not set in the environment`);
  return secret;
}

function target(url: string, o: { events?: readonly WebhookEvent[]; chains?: readonly string[]; secret?: string }): WebhookTarget {
  return Object.freeze({ url, logUrl: logUrl(url), events: o.events ?? DEFAULT_EVENTS, chains: o.chains, secret: o.secret });
}

function fileHooks(env: Env, file: string): WebhookTarget[] {
  const what = `NECTAR_WEBHOOKS=${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw bad(`${what}: cannot read the file (${(err as Error).message})`);
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw bad(`${what}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(list)) throw bad(`${what}: expected a JSON array of { "url", "events", "chains", "secret_env" } entries`);
  return list.map((entry: unknown, i) => {
    const where = `${what}: entry [${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`${where}: expected an object`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (!ENTRY_KEYS.has(key)) throw bad(`${where}: unknown key "${key}"${key === 'secret' ? ' (secrets stay out of the file: put it in an environment variable and name it with "secret_env")' : `; expected ${[...ENTRY_KEYS].join(', ')}`}`);
    }
    return target(httpUrl(e['url'], `${where}: url`), {
      ...(e['events'] === undefined ? {} : { events: events(e['events'], where) }),
      ...(e['chains'] === undefined ? {} : { chains: chains(e['chains'], where) }),
      ...(e['secret_env'] === undefined ? {} : { secret: secretFrom(env, e['secret_env'], where) }),
    });
  });
}

/**
 * Webhooks from the environment: `NECTAR_WEBHOOKS` (path to a JSON array of
 * `{ url, events?, chains?, secret_env? }`, relative to `cwd`) and/or one global hook from
 * `NECTAR_WEBHOOK_URL` (+ `NECTAR_WEBHOOK_SECRET`, `NECTAR_WEBHOOK_EVENTS` comma-separated).
 * Anything wrong throws NectarError('BAD_CONFIG') naming the variable, file and entry.
 */
export function loadWebhooks(env: Env = process.env, cwd = process.cwd()): WebhookConfig {
  const hooks: WebhookTarget[] = [];
  const file = env['NECTAR_WEBHOOKS'];
  if (file) hooks.push(...fileHooks(env, resolve(cwd, file)));
  const url = env['NECTAR_WEBHOOK_URL'];
  const secret = env['NECTAR_WEBHOOK_SECRET'];
  const list = env['NECTAR_WEBHOOK_EVENTS'];
  if (url) {
    const evs = list ? events(list.split(',').map((s) => s.trim()).filter(Boolean), `NECTAR_WEBHOOK_EVENTS=${JSON.stringify(list)}`) : undefined;
    hooks.push(target(httpUrl(url, 'NECTAR_WEBHOOK_URL'), { ...(evs ? { events: evs } : {}), ...(secret ? { secret } : {}) }));
  } else if (secret || list) {
    throw bad(`${secret ? 'NECTAR_WEBHOOK_SECRET' : 'NECTAR_WEBHOOK_EVENTS'} is set but NECTAR_WEBHOOK_URL is not`);
  }
  const pub = env['NECTAR_PUBLIC_URL'];
  return Object.freeze({
    hooks: Object.freeze(hooks),
    attempts: intVar(env, 'NECTAR_WEBHOOK_ATTEMPTS', 6, 1, 20),
    baseDelayMs: intVar(env, 'NECTAR_WEBHOOK_BASE_DELAY_MS', 1000, 1, 60_000),
    publicUrl: pub ? httpUrl(pub, 'NECTAR_PUBLIC_URL').replace(/\/+$/, '') : undefined,
  });
}

/** The event a run's final state gives; undefined while it has not ended. */
export function eventOf(state: RunState): WebhookEvent | undefined {
  switch (state) {
    case 'SUCCEEDED':
      return 'run:succeeded';
    case 'FAILED':
      return 'run:failed';
    case 'CANCELLED':
      return 'run:cancelled';
    case 'QUEUED':
    case 'RUNNING':
      return undefined;
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** True when a hook's chain filter lets a run of task reference `ref` (`type/chain/Task`) through. */
export function hookMatches(hook: WebhookTarget, ref: string): boolean {
  return hook.chains === undefined || hook.chains.some((c) => ref === c || ref.startsWith(`${c}/`));
}

/** The JSON body of a delivery. Times of the run are epoch milliseconds, as in `GET /api/runs/:id`. */
export function webhookPayload(event: WebhookEvent, run: RunRow, deliveryId: string, publicUrl?: string): Record<string, unknown> {
  return {
    event,
    delivery_id: deliveryId,
    sent_at: new Date().toISOString(),
    run: {
      run_id: run.id,
      task: run.ref,
      task_id: run.rootTaskId,
      params: run.params,
      state: run.state,
      created_at: run.createdAt,
      started_at: run.startedAt ?? null,
      ended_at: run.endedAt ?? null,
      duration_ms: run.startedAt !== undefined && run.endedAt !== undefined ? run.endedAt - run.startedAt : null,
      counts: run.counts ?? null,
      error: run.error ? { message: run.error.message, code: run.error.code ?? null } : null,
      ...(publicUrl ? { url: `${publicUrl}/api/runs/${run.id}` } : {}),
    },
  };
}

/**
 * The `X-Nectar-Signature` header value: `sha256=` followed by the hex HMAC-SHA256, keyed
 * with the secret, of `<X-Nectar-Timestamp>.<raw request body>` (the timestamp is unix
 * seconds, fresh on each attempt). Receivers recompute it over the bytes they received,
 * compare in constant time, and may reject old timestamps to stop replays.
 */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Knobs tests turn; the defaults suit production. */
export interface WebhookOptions {
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** Longest wait between attempts (Retry-After included); default 60 s. */
  maxDelayMs?: number;
  /** How long `close` waits for deliveries in flight; default 5 s. */
  closeGraceMs?: number;
}

interface Delivery {
  readonly id: string;
  readonly hook: WebhookTarget;
  readonly event: WebhookEvent;
  readonly runId: string;
  readonly body: string;
  attempt: number;
}

/** `Retry-After` in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(raw: string | null): number | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Sends run notifications: one POST per matching hook, in the background (a run never waits
 * for it nor fails because of it), retried with exponential backoff on network errors,
 * timeouts, 429 and 5xx; other answers are final. Every attempt of one delivery carries the
 * same `X-Nectar-Delivery` id, so receivers can drop duplicates.
 */
export class Webhooks {
  readonly #inflight = new Set<Delivery>();
  readonly #done = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  readonly #timeoutMs: number;
  readonly #maxDelayMs: number;
  readonly #closeGraceMs: number;
  #closed = false;

  constructor(
    readonly config: WebhookConfig,
    private readonly logger: Logger,
    o: WebhookOptions = {},
  ) {
    this.#timeoutMs = o.timeoutMs ?? 10_000;
    this.#maxDelayMs = o.maxDelayMs ?? 60_000;
    this.#closeGraceMs = o.closeGraceMs ?? 5_000;
    if (config.hooks.length > 0) {
      logger.info({ webhooks: config.hooks.map((h) => ({ url: h.logUrl, events: h.events, chains: h.chains ?? 'all', signed: h.secret !== undefined })) }, `${config.hooks.length} webhook(s) configured`);
    }
  }

  /** Deliveries not finished yet. */
  get pending(): number {
    return this.#inflight.size;
  }

  /** A run has ended and been recorded: notify every hook that wants it. Never throws. */
  runEnded(run: RunRow): void {
    try {
      const event = eventOf(run.state);
      if (event === undefined) {
        if (this.config.hooks.length > 0) this.logger.warn({ run_id: run.id, state: run.state }, 'run ended without a final state recorded: no webhook sent');
        return;
      }
      const hooks = this.config.hooks.filter((h) => h.events.includes(event) && hookMatches(h, run.ref));
      if (hooks.length === 0) return;
      if (this.#closed) {
        this.logger.warn({ event, run_id: run.id, webhooks: hooks.map((h) => h.logUrl) }, 'webhooks closed: run notification not sent');
        return;
      }
      for (const hook of hooks) {
        const id = randomUUID();
        const d: Delivery = { id, hook, event, runId: run.id, body: JSON.stringify(webhookPayload(event, run, id, this.config.publicUrl)), attempt: 0 };
        this.#inflight.add(d);
        const p: Promise<void> = this.#deliver(d)
          .catch((err: unknown) => this.logger.error({ err, ...this.#fields(d) }, 'webhook delivery crashed'))
          .finally(() => {
            this.#inflight.delete(d);
            this.#done.delete(p);
          });
        this.#done.add(p);
      }
    } catch (err) {
      this.logger.error({ err, run_id: run.id }, 'webhook notification failed');
    }
  }

  #fields(d: Delivery): Record<string, unknown> {
    return { url: d.hook.logUrl, event: d.event, run_id: d.runId, delivery_id: d.id, attempt: d.attempt };
  }

  async #deliver(d: Delivery): Promise<void> {
    const attempts = this.config.attempts;
    for (d.attempt = 1; ; d.attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': 'nectar',
        'X-Nectar-Event': d.event,
        'X-Nectar-Delivery': d.id,
        'X-Nectar-Timestamp': String(timestamp),
      };
      if (d.hook.secret !== undefined) headers['X-Nectar-Signature'] = signature(d.hook.secret, timestamp, d.body);
      let status: number | undefined;
      let wait: number | undefined;
      let error: string | undefined;
      try {
        const res = await fetch(d.hook.url, {
          method: 'POST',
          headers,
          body: d.body,
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#stop.signal]),
        });
        status = res.status;
        wait = retryAfterMs(res.headers.get('retry-after'));
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        const e = err as Error;
        error = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : String((e.cause as Error | undefined)?.message ?? e.message);
      }
      if (status !== undefined && status >= 200 && status < 300) {
        this.logger.info({ ...this.#fields(d), status }, 'webhook delivered');
        return;
      }
      const retryable = status === undefined || status === 429 || status >= 500;
      if (!retryable || d.attempt >= attempts) {
        const why = retryable ? `no success after ${attempts} attempt(s)` : `HTTP ${status} is final`;
        this.logger.error({ ...this.#fields(d), status, error }, `webhook delivery failed: ${why}`);
        return;
      }
      const delay = Math.min(this.#maxDelayMs, wait ?? this.config.baseDelayMs * 2 ** (d.attempt - 1));
      this.logger.warn({ ...this.#fields(d), status, error, retry_in_ms: delay }, 'webhook attempt failed: will retry');
      try {
        await sleep(delay, undefined, { signal: this.#stop.signal });
      } catch {
        return;
      }
    }
  }

  /**
   * Stop taking notifications; wait (at most `closeGraceMs`) for deliveries in flight, then
   * abort what is left and log each delivery given up on.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#done.size === 0) return;
    const grace = new AbortController();
    await Promise.race([Promise.allSettled([...this.#done]), sleep(this.#closeGraceMs, undefined, { signal: grace.signal }).catch(() => undefined)]);
    grace.abort();
    for (const d of this.#inflight) this.logger.warn(this.#fields(d), 'webhook delivery given up: the server is stopping');
    this.#stop.abort();
    await Promise.allSettled([...this.#done]);
  }
}
