/** Webhook configuration (`NECTAR_WEBHOOKS`, `NECTAR_WEBHOOK_*`): read and checked once, at start-up. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NectarError } from '../core/errors';
import { intVar } from './config-vars';

type Env = Readonly<Record<string, string | undefined>>;

/** What a webhook can be told: how a run ended, and a schedule's partition not DONE by its deadline. */
export const WEBHOOK_EVENTS = ['run:succeeded', 'run:failed', 'run:cancelled', 'deadline:missed'] as const;
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
  return raw.map((raw: unknown, i) => {
    // `deadline.missed` is read as `deadline:missed` (either spelling of an event is accepted).
    const e = typeof raw === 'string' ? raw.replace('.', ':') : raw;
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
export function loadWebhooks(env: Env, cwd: string): WebhookConfig {
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

