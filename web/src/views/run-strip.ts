import { h } from '../dom';
import { duration, time } from '../format';
import { stateClass } from '../states';

/** One run in a strip: where it links, its state (as a symbol and words), how long, when. */
export interface StripItem {
  href: string;
  state: string;
  symbol: string;
  /** The state in words, for the bar's name. */
  label: string;
  durationMs: number | null;
  at: number;
  /** This is the run being looked at. */
  current?: boolean;
}

/**
 * Runs over time as a row of bars, oldest on the left: each bar's height is how long it took
 * (the longest is full height), its colour and symbol its state, and it links to the run. The
 * shape of a task's history at a glance: it got slower, it fails every Monday.
 */
export function runStrip(items: readonly StripItem[], caption: string): HTMLElement {
  const longest = Math.max(1, ...items.map((i) => i.durationMs ?? 0));
  const oldestFirst = [...items].sort((a, b) => a.at - b.at);
  return h('figure', { class: 'run-strip' },
    h('ol', { class: 'strip-bars' }, oldestFirst.map((i) => {
      const pct = i.durationMs === null ? 0 : Math.max(6, Math.round((i.durationMs / longest) * 100));
      const name = `${i.label}${i.durationMs !== null ? `, ${duration(i.durationMs)}` : ''}, ${time(i.at)}${i.current ? ' (this run)' : ''}`;
      return h('li', {},
        h('a', { href: i.href, class: `strip-bar ${stateClass(i.state)}${i.current ? ' current' : ''}`, 'aria-label': name, title: name, 'data-state': i.state },
          h('span', { class: 'strip-fill', style: `height:${pct}%` }), h('span', { class: 'strip-sym', 'aria-hidden': 'true' }, i.symbol)));
    })),
    h('figcaption', { class: 'hint' }, caption));
}
