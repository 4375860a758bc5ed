import { h } from '../dom';
import { time } from '../format';
import type { RunTriggerJson } from '../../../src/api/wire';

/** What started a run, as a small tag (`◷ schedule nightly`); nothing for a run asked for directly. */
export function triggerTag(t: RunTriggerJson | null): HTMLElement | null {
  if (!t) return null;
  const when = t.manual ? `asked for at ${time(t.tick)}` : `the tick of ${time(t.tick)}`;
  return h('span', { class: `tag trigger${t.manual ? ' manual' : ''}`, 'data-trigger': t.schedule, title: `Started by ${t.label}: ${when}` },
    h('span', { 'aria-hidden': 'true' }, '◷'), ` ${t.label}`);
}
