import { h } from '../dom';
import { time } from '../format';
import type { RunTriggerJson } from '../../../src/api/wire';

/** What started a run, as a small tag (`◷ schedule nightly`, `▦ backfill 1b2c3d4e 2012-03-04`); nothing for a run asked for directly. */
export function triggerTag(t: RunTriggerJson | null): HTMLElement | null {
  if (!t) return null;
  if (t.kind === 'backfill') {
    return h('span', { class: 'tag trigger backfill', 'data-trigger': `backfill:${t.backfill}`, title: `Started by ${t.label}: partition ${t.partition}` },
      h('span', { 'aria-hidden': 'true' }, '▦'), ` ${t.label}`);
  }
  const when = t.manual ? `asked for at ${time(t.tick)}` : `the tick of ${time(t.tick)}`;
  return h('span', { class: `tag trigger${t.manual ? ' manual' : ''}`, 'data-trigger': t.schedule, title: `Started by ${t.label}: ${when}` },
    h('span', { 'aria-hidden': 'true' }, '◷'), ` ${t.label}`);
}
