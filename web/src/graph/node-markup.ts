import { esc } from '../dom';
import { TASK_STATES } from '../../../src/api/wire';
import { stateClass, taskLook } from '../states';
import { duration } from '../format';
import { fitText, NAME_FONT, SUB_FONT, textWidth } from './fit-text';
import type { Point } from './layout';
import { ranFor, type VisNode } from './model';

/**
 * How one node of the graph is drawn: its size, its SVG markup and its accessible name. A
 * node's words are one <text> (its name, its parameters, "stale") whose lines are tspans, so
 * that what it shows reads as one phrase; its accessible name starts with that phrase, cut as
 * shown, then says the rest in full (the whole parameters when they were cut, the state).
 */
export const TASK_W = 200;
export const TASK_H = 46;
export const FAMILY_W = 212;
export const FAMILY_H = 62;

export function sizeOf(n: VisNode): { width: number; height: number } {
  return n.kind === 'family' ? { width: FAMILY_W, height: FAMILY_H } : { width: TASK_W, height: TASK_H };
}

function countsLine(n: VisNode): string {
  if (!n.counts) return n.sub;
  return TASK_STATES.filter((s) => (n.counts?.[s] ?? 0) > 0)
    .map((s) => `${taskLook(s).symbol} ${n.counts?.[s] ?? 0}`)
    .join('  ');
}

/** What a node shows in words: its name, how long it ran (a family: the spread), and second line, cut to its box. */
function shown(n: VisNode): { name: string; dur: string; sub: string } {
  const { width: w } = sizeOf(n);
  if (n.kind === 'family') {
    const dur = n.spread ? (n.spread.min === n.spread.max ? duration(n.spread.max) : `${duration(n.spread.min)}–${duration(n.spread.max)}`) : '';
    return { name: fitText(n.label, NAME_FONT, w - 40), dur, sub: countsLine(n) };
  }
  const ran = ranFor(n.task);
  const dur = ran === undefined ? '' : duration(ran);
  // Room for the duration at the right of the first line (measured like the rest).
  const durW = dur ? Math.ceil(textWidth(` ${dur}`, SUB_FONT)) + 4 : 0;
  return { name: fitText(n.label, NAME_FONT, w - 36 - durW), dur, sub: fitText(n.sub, SUB_FONT, w - 36) };
}

export function ariaLabel(n: VisNode): string {
  const { name, dur, sub } = shown(n);
  // In the order the node shows them: a task's duration on its first line, a family's on its second.
  const phrase = (n.kind === 'family' ? [name, sub, dur] : [name, dur, sub]).filter(Boolean).join(' ');
  if (n.kind === 'family') {
    const parts = TASK_STATES.filter((s) => (n.counts?.[s] ?? 0) > 0).map((s) => `${n.counts?.[s] ?? 0} ${taskLook(s).label}`);
    return `${phrase}: collapsed family of ${n.size ?? 0} tasks, ${parts.join(', ')}`;
  }
  const full = name !== n.label || sub !== n.sub ? `; in full: ${n.label} ${n.sub}` : '';
  return `${phrase}${n.task?.stale ? ' stale' : ''}${full}: ${taskLook(n.state).label}${n.task?.stale ? ', was stale' : ''}`;
}

/** The stacked bar of a family: one segment per state, width by count. */
function familyBar(n: VisNode, w: number): string {
  const total = n.size ?? 1;
  let x = -w / 2 + 10;
  const inner = w - 20;
  let out = '';
  for (const s of TASK_STATES) {
    const c = n.counts?.[s] ?? 0;
    if (!c) continue;
    const sw = (inner * c) / total;
    out += `<rect class="seg ${stateClass(s)}" x="${x.toFixed(1)}" y="${FAMILY_H / 2 - 12}" width="${sw.toFixed(1)}" height="6"/>`;
    x += sw;
  }
  return out;
}

export function nodeInner(n: VisNode): string {
  const { width: w, height: hh } = sizeOf(n);
  const sym = taskLook(n.state).symbol;
  const { name, dur, sub } = shown(n);
  // The second line's leading space keeps the phrase's words apart; its x moves back by about a space.
  if (n.kind === 'family') {
    return `<rect class="box" x="${-w / 2}" y="${-hh / 2}" width="${w}" height="${hh}" rx="8"/>` +
      `<rect class="box stack" x="${-w / 2 + 4}" y="${-hh / 2 - 4}" width="${w}" height="${hh}" rx="8"/>` +
      `<text class="sym" x="${-w / 2 + 12}" y="-8">${sym}</text>` +
      `<text class="label"><tspan class="name" x="${-w / 2 + 30}" y="-8">${esc(name)}</tspan>` +
      `<tspan class="sub counts" x="${-w / 2 + 9}" y="11"> ${esc(sub)}</tspan>` +
      (dur ? `<tspan class="dur" x="${w / 2 - 10}" y="11" text-anchor="end"> ${esc(dur)}</tspan>` : '') + '</text>' + familyBar(n, w);
  }
  const skipped = (n.task?.skipped && n.state === 'DONE' ? ' skipped' : '') + (n.task?.stale ? ' stale' : '');
  return `<rect class="box${skipped}" x="${-w / 2}" y="${-hh / 2}" width="${w}" height="${hh}" rx="6"/>` +
    `<text class="sym" x="${-w / 2 + 10}" y="-3">${sym}</text>` +
    `<text class="label"><tspan class="name" x="${-w / 2 + 28}" y="-3">${esc(name)}</tspan>` +
    (dur ? `<tspan class="dur" x="${w / 2 - 8}" y="-3" text-anchor="end"> ${esc(dur)}</tspan>` : '') +
    (sub ? `<tspan class="sub" x="${-w / 2 + 25}" y="13"> ${esc(sub)}</tspan>` : '') +
    (n.task?.stale ? `<tspan class="stale-mark" x="${w / 2 - 6}" y="${-hh / 2 - 3}" text-anchor="end"> stale</tspan>` : '') +
    '</text>';
}

export function pathOf(points: Point[]): string {
  if (points.length === 0) return '';
  return `M${points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('L')}`;
}

