import type { Envelope, ErrorAnswer } from '../../src/api/wire';
import { askToken, getToken } from './token';

/** An answer of the API that is not a success: its status, stable code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {}

type Listener = (up: boolean) => void;
const listeners = new Set<Listener>();
/** Be told when the server goes away or comes back. */
export function onConnection(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function reportConnection(up: boolean): void {
  for (const fn of listeners) fn(up);
}

/** Headers for an API call: the tab's token when there is one. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** fetch with the token; a 401 asks for the token and tries again. `sent`: the first try, already sent (early.ts). */
export async function authedFetch(path: string, init: RequestInit = {}, sent?: Promise<Response>): Promise<Response> {
  for (;;) {
    let res: Response;
    try {
      res = await (sent ?? fetch(path, { ...init, headers: authHeaders((init.headers as Record<string, string> | undefined) ?? {}) }));
      sent = undefined;
    } catch (err) {
      if (init.signal?.aborted) throw err;
      reportConnection(false);
      throw new NetworkError(`cannot reach the nectar server (${(err as Error).message})`);
    }
    reportConnection(true);
    if (res.status !== 401) return res;
    await askToken(getToken() ? 'The token was refused: enter the API token again.' : 'This server needs an API token (NECTAR_API_TOKEN).');
  }
}

/**
 * Call a JSON route and unwrap its envelope; a non-2xx answer throws an ApiError. `sent`: a GET
 * of this path already sent, whose answer is taken (a 401 still asks for the token and asks again).
 */
export async function api<T>(path: string, init: RequestInit & { json?: unknown; sent?: Promise<Response> } = {}): Promise<{ status: number; message: string; data: T }> {
  const { json, sent, ...rest } = init;
  if (json !== undefined) {
    rest.body = JSON.stringify(json);
    rest.headers = { ...((rest.headers as Record<string, string> | undefined) ?? {}), 'Content-Type': 'application/json' };
  }
  const res = await authedFetch(path, rest, sent);
  const text = await res.text();
  // A success or an error answer; a proxy's JSON may be neither, hence the optional error.
  let body: Envelope<T> & Partial<Pick<ErrorAnswer, 'error'>>;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ApiError(res.status, 'BAD_ANSWER', `the server answered ${res.status} with something that is not JSON`, text.slice(0, 200));
  }
  if (!res.ok) throw new ApiError(res.status, body.error?.code ?? 'ERROR', body.message, body.error?.details);
  return { status: res.status, message: body.message, data: body.data };
}

/** Fetch a text resource (a DOT file, an output) with the token. */
export async function text(path: string): Promise<string> {
  const res = await authedFetch(path);
  const body = await res.text();
  if (!res.ok) throw new ApiError(res.status, 'ERROR', body.slice(0, 200), null);
  return body;
}

/** `/api/<base>/<id>/<rest>` with each segment of a slash-separated id (a task id, a task ref) encoded. */
export function idPath(base: string, id: string, rest = ''): string {
  return `/api/${base}/${id.split('/').map(encodeURIComponent).join('/')}${rest}`;
}

/**
 * Invalidate a task's outputs (and, with `downstream`, those built from them) once the user
 * agrees: what would go is asked first (a dry run) and `question` turns it into the
 * confirmation's text. The answer of the real call; null when the user said no.
 */
export async function invalidateConfirmed<T extends { tasks: unknown[] }>(taskId: string, downstream: boolean, question: (dry: T) => string): Promise<{ message: string; data: T } | null> {
  const url = idPath('tasks', taskId, `/invalidate?downstream=${downstream}`);
  const dry = await api<T>(`${url}&dry_run=true`, { method: 'POST' });
  if (!window.confirm(question(dry.data))) return null;
  return api<T>(url, { method: 'POST' });
}
