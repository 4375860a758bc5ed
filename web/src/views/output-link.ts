import { authedFetch } from '../api';
import { h } from '../dom';
import { getToken } from '../token';

/**
 * A link to a task output. Presigned S3 URLs and tokenless servers are plain links; with a
 * token, local outputs are fetched with it and opened from a blob (a link cannot send a header).
 */
export function outputLink(url: string, label?: string): HTMLAnchorElement {
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? 'output');
  const a = h('a', { href: url, class: 'output-link', target: '_blank', rel: 'noopener' }, label ?? name);
  a.addEventListener('click', async (e) => {
    const sameOrigin = new URL(url, location.href).origin === location.origin;
    if (!getToken() || !sameOrigin) return;
    e.preventDefault();
    const res = await authedFetch(url);
    const blob = await res.blob();
    const obj = URL.createObjectURL(blob);
    window.open(obj, '_blank', 'noopener');
    setTimeout(() => URL.revokeObjectURL(obj), 60_000);
  });
  return a;
}
