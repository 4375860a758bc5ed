import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RunState } from '../core/states';
import type { RunRow } from '../store/types';
import type { WebhookConfig, WebhookEvent, WebhookTarget } from './webhook-config';

export { loadWebhooks, WEBHOOK_EVENTS } from './webhook-config';
export type { WebhookConfig, WebhookEvent, WebhookTarget } from './webhook-config';

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
    case 'SKIPPED':
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

/** A schedule's partition not DONE by its deadline, as the `deadline:missed` event tells it. Times are epoch ms. */
export interface MissedDeadline {
  /** The schedule's key, `type/chain/Task/name`. */
  readonly schedule: string;
  /** The task's reference, `type/chain/Task`. */
  readonly ref: string;
  readonly taskId: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly tick: number;
  readonly deadline: number;
}

interface Delivery {
  readonly id: string;
  readonly hook: WebhookTarget;
  readonly event: WebhookEvent;
  /** What it is about, for the log: the run, or the task whose deadline passed. */
  readonly about: Readonly<Record<string, string>>;
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
        this.#send({ id, hook, event, about: { run_id: run.id }, body: JSON.stringify(webhookPayload(event, run, id, this.config.publicUrl)), attempt: 0 });
      }
    } catch (err) {
      this.logger.error({ err, run_id: run.id }, 'webhook notification failed');
    }
  }

  /** A schedule's partition was not DONE by its deadline: tell every hook that wants `deadline:missed`. Never throws. */
  deadlineMissed(m: MissedDeadline): void {
    try {
      const hooks = this.config.hooks.filter((h) => h.events.includes('deadline:missed') && hookMatches(h, m.ref));
      if (hooks.length === 0) return;
      if (this.#closed) {
        this.logger.warn({ event: 'deadline:missed', task_id: m.taskId, webhooks: hooks.map((h) => h.logUrl) }, 'webhooks closed: deadline notification not sent');
        return;
      }
      for (const hook of hooks) {
        const id = randomUUID();
        const body = {
          event: 'deadline:missed', delivery_id: id, sent_at: new Date().toISOString(),
          deadline: { schedule: m.schedule, task: m.ref, task_id: m.taskId, params: m.params, tick: m.tick, deadline: m.deadline },
        };
        this.#send({ id, hook, event: 'deadline:missed', about: { task_id: m.taskId }, body: JSON.stringify(body), attempt: 0 });
      }
    } catch (err) {
      this.logger.error({ err, task_id: m.taskId }, 'webhook notification failed');
    }
  }

  #send(d: Delivery): void {
    this.#inflight.add(d);
    const p: Promise<void> = this.#deliver(d)
      .catch((err: unknown) => this.logger.error({ err, ...this.#fields(d) }, 'webhook delivery crashed'))
      .finally(() => {
        this.#inflight.delete(d);
        this.#done.delete(p);
      });
    this.#done.add(p);
  }

  #fields(d: Delivery): Record<string, unknown> {
    return { url: d.hook.logUrl, event: d.event, ...d.about, delivery_id: d.id, attempt: d.attempt };
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
