import { deserializeError, serializeError } from '../core/errors';
import type { RequiredMessage } from './wire';

/**
 * The asking side of the request/reply channel of dynamic requirements: a task in a worker
 * process or a `nectar worker` calls `ctx.require()`, and the process that schedules it
 * answers once what was asked for is complete. Each request gets an id its reply names, so
 * that replies may come in any order, over IPC or pub/sub alike.
 */
export class Requests {
  #next = 1;
  readonly #pending = new Map<number, { resolve(): void; reject(err: Error): void }>();

  /** Send a request (`send` gets its id); resolves when its reply says done, rejects with the reply's error. */
  ask(send: (reqId: number) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const reqId = this.#next++;
      this.#pending.set(reqId, { resolve, reject });
      try {
        send(reqId);
      } catch (err) {
        this.#pending.delete(reqId);
        throw err;
      }
    });
  }

  /** A reply came: settle the request it names. A reply to no pending request (answered already) is ignored. */
  settle(m: RequiredMessage): void {
    const req = this.#pending.get(m.reqId);
    if (!req) return;
    this.#pending.delete(m.reqId);
    if (m.error) req.reject(deserializeError(m.error));
    else req.resolve();
  }
}

/** The answering side: do what was asked, then reply once, with the error (serialized) if it failed. */
export function answer(reqId: number, work: () => Promise<void>, reply: (m: RequiredMessage) => void): Promise<void> {
  return Promise.resolve()
    .then(work)
    .then(
      () => reply({ type: 'required', reqId }),
      (err: unknown) => reply({ type: 'required', reqId, error: serializeError(err) }),
    );
}
