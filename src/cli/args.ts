import { NectarError } from '../core/errors';

/** `--param k=v` (repeatable) into a record; a key given twice is an error. */
export function parseParamFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i <= 0) throw new NectarError('USAGE', `--param ${JSON.stringify(f)}: expected name=value`);
    const k = f.slice(0, i).trim();
    if (Object.prototype.hasOwnProperty.call(out, k)) throw new NectarError('USAGE', `--param ${k} given twice`);
    out[k] = f.slice(i + 1);
  }
  return out;
}

export function parseWorkers(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new NectarError('USAGE', `--workers ${JSON.stringify(raw)}: expected a whole number from 1 to 10000`);
  return n;
}
