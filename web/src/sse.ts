import { createParser } from 'eventsource-parser';
import { authedFetch, NetworkError } from './api';

export interface StreamHandle {
  close(): void;
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'ended';

/**
 * Server-sent events over fetch (EventSource cannot send the Authorization header). The stream
 * reconnects with backoff when the connection drops before the server ends it; each
 * reconnection starts with a fresh snapshot, so nothing is missed.
 */
export function openStream(path: string, onEvent: (event: string, data: unknown) => void, onStatus: (s: StreamStatus) => void): StreamHandle {
  const ctl = new AbortController();
  let ended = false;
  const run = async (): Promise<void> => {
    let delay = 500;
    while (!ctl.signal.aborted && !ended) {
      onStatus('connecting');
      try {
        const res = await authedFetch(path, { signal: ctl.signal, headers: { Accept: 'text/event-stream' } });
        if (!res.ok || !res.body) {
          onEvent('error', { status: res.status, message: await res.text() });
          onStatus('ended');
          return;
        }
        onStatus('live');
        delay = 500;
        const parser = createParser({
          onEvent: (ev) => {
            if (ev.event === 'end' || ev.event === 'run:end') ended = true;
            onEvent(ev.event ?? 'message', JSON.parse(ev.data) as unknown);
          },
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch (err) {
        if (ctl.signal.aborted) return;
        if (!(err instanceof NetworkError) && !(err instanceof TypeError)) throw err;
      }
      if (ended || ctl.signal.aborted) break;
      onStatus('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
    if (!ctl.signal.aborted) onStatus('ended');
  };
  void run();
  return { close: () => ctl.abort() };
}
