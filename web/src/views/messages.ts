import { ApiError, NetworkError } from '../api';
import { h } from '../dom';

/** A calm error state with what happened and a way forward. */
export function errorState(err: unknown, retry?: () => void): HTMLElement {
  const down = err instanceof NetworkError;
  const title = down ? 'The nectar server cannot be reached' : err instanceof ApiError ? `${err.code} (${err.status})` : 'Something went wrong';
  const text = down ? 'It may be stopped or restarting. Nothing is lost: runs go on on the server, and this page will show them once it is back.' : (err as Error).message;
  return h('section', { class: 'error-state', role: 'alert' },
    h('h1', {}, title),
    h('p', {}, text),
    retry ? h('button', { type: 'button', onclick: () => retry() }, 'Try again') : null,
  );
}
