/**
 * The request/reply channel of dynamic requirements (`ctx.require()` in a worker process or a
 * `nectar worker`): the asking side numbers its requests and settles each by its reply, the
 * answering side replies once, with the error if what was asked failed.
 */
import { NectarError, NonRetryableError } from '../../src/core/errors';
import { Requests, answer } from '../../src/executors/requests';
import type { RequiredMessage } from '../../src/executors/wire';

/** Settles to 'pending' if `p` has not settled by the next turn of the event loop. */
const stateOf = (p: Promise<unknown>): Promise<string> =>
  Promise.race([p.then(() => 'resolved', () => 'rejected'), new Promise<string>((r) => setImmediate(() => r('pending')))]);

describe('the asking side', () => {
  it('numbers requests and settles each by the reply naming it, in any order', async () => {
    const r = new Requests();
    const sent: number[] = [];
    const a = r.ask((id) => sent.push(id));
    const b = r.ask((id) => sent.push(id));
    expect(sent).toEqual([1, 2]);
    r.settle({ type: 'required', reqId: 2 });
    expect(await stateOf(b)).toBe('resolved');
    expect(await stateOf(a)).toBe('pending');
    r.settle({ type: 'required', reqId: 1 });
    expect(await stateOf(a)).toBe('resolved');
  });

  it('rejects with the error the reply carries, rebuilt (code kept)', async () => {
    const r = new Requests();
    const a = r.ask(() => undefined);
    r.settle({ type: 'required', reqId: 1, error: { name: 'NectarError', message: 'dynamic requirement x ended FAILED', code: 'TASK_FAILED' } });
    await expect(a).rejects.toMatchObject({ name: 'NectarError', message: 'dynamic requirement x ended FAILED', code: 'TASK_FAILED' });
  });

  it('ignores a reply to no pending request, and a second reply to one', async () => {
    const r = new Requests();
    const a = r.ask(() => undefined);
    r.settle({ type: 'required', reqId: 7 });
    expect(await stateOf(a)).toBe('pending');
    r.settle({ type: 'required', reqId: 1 });
    r.settle({ type: 'required', reqId: 1, error: { name: 'Error', message: 'late' } });
    expect(await stateOf(a)).toBe('resolved');
  });

  it('rejects a request that could not be sent, and keeps nothing of it', async () => {
    const r = new Requests();
    const a = r.ask(() => {
      throw new Error('channel closed');
    });
    await expect(a).rejects.toThrow('channel closed');
    const b = r.ask(() => undefined);
    r.settle({ type: 'required', reqId: 1 });
    expect(await stateOf(b)).toBe('pending');
    r.settle({ type: 'required', reqId: 2 });
    expect(await stateOf(b)).toBe('resolved');
  });
});

describe('the answering side', () => {
  it('replies without an error once the work is done', async () => {
    const replies: RequiredMessage[] = [];
    let done = false;
    await answer(4, async () => {
      await new Promise((r) => setTimeout(r, 5));
      done = true;
    }, (m) => replies.push(m));
    expect(done).toBe(true);
    expect(replies).toEqual([{ type: 'required', reqId: 4 }]);
  });

  it('replies with the error, serialized, when the work fails or throws at once', async () => {
    const replies: RequiredMessage[] = [];
    await answer(5, () => Promise.reject(new NectarError('TASK_FAILED', 'dynamic requirement x ended FAILED')), (m) => replies.push(m));
    await answer(6, () => {
      throw new NonRetryableError('no such task');
    }, (m) => replies.push(m));
    expect(replies).toEqual([
      { type: 'required', reqId: 5, error: expect.objectContaining({ name: 'NectarError', code: 'TASK_FAILED', message: 'dynamic requirement x ended FAILED' }) },
      { type: 'required', reqId: 6, error: expect.objectContaining({ name: 'NonRetryableError', message: 'no such task', nonRetryable: true }) },
    ]);
  });

  it('round-trips with the asking side', async () => {
    const asker = new Requests();
    const ok = asker.ask((reqId) => void answer(reqId, () => Promise.resolve(), (m) => asker.settle(m)));
    const failed = asker.ask((reqId) => void answer(reqId, () => Promise.reject(new NectarError('QUEUE_ERROR', 'nobody waits')), (m) => asker.settle(m)));
    await expect(ok).resolves.toBeUndefined();
    await expect(failed).rejects.toMatchObject({ code: 'QUEUE_ERROR', message: 'nobody waits' });
  });
});
