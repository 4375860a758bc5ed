/**
 * One line a figure: `name: value unit (ratio to its floor; targets)`. A broken figure
 * prints as FAILED with the reason, never as a number.
 */
import type { Figure, Unit } from './figures';

export function fmt(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return `? ${unit}`;
  if (unit === 'tasks/s') return `${Math.round(value)} tasks/s`;
  if (unit === 'x') return value.toFixed(1);
  return value < 0.1 ? `${value.toFixed(3)} s` : value < 10 ? `${value.toFixed(2)} s` : `${value.toFixed(1)} s`;
}

function checksText(f: Figure): string | undefined {
  if (!f.checks || f.checks.length === 0) return undefined;
  const each = f.checks.map((c) => `${c.what}${c.met ? '' : ' MISSED'}`).join(', ');
  return `${f.checks.length > 1 ? 'targets' : 'target'} ${each}`;
}

export function line(f: Figure, prefix = ''): string {
  const name = `${prefix}${f.name}`;
  if (f.error !== undefined) return `${name}: FAILED (${f.error})`;
  let head = fmt(f.value, f.unit);
  if (f.unit === 's' && f.peakMB !== undefined) head += `, peak ${Math.round(f.peakMB)} MB`;
  const notes: string[] = [];
  if (f.floor && f.ratio !== undefined) {
    notes.push(
      f.unit === 'tasks/s'
        ? `${f.ratio.toFixed(2)} of raw floor ${fmt(f.floor.value, f.floor.unit)}`
        : `${f.ratio.toFixed(1)}x raw floor ${fmt(f.floor.value, f.floor.unit)}`,
    );
  }
  const checks = checksText(f);
  if (checks) notes.push(checks);
  return notes.length > 0 ? `${name}: ${head} (${notes.join('; ')})` : `${name}: ${head}`;
}
