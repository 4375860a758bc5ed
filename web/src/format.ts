/** Durations and times as people read them. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** `a=1, b=x` for a parameter object. */
export function paramsLine(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** A pino JSON log line as `12:00:01.234 INFO message {fields}`. Lines that are not JSON stay as they are. */
export function logLine(raw: string): { text: string; level: string } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { text: raw.replace(/\n$/, ''), level: 'info' };
  }
  const levels: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  const level = typeof o['level'] === 'number' ? (levels[o['level']] ?? 'info') : String(o['level'] ?? 'info');
  const t = typeof o['time'] === 'string' ? o['time'].slice(11, 23) : typeof o['time'] === 'number' ? new Date(o['time']).toISOString().slice(11, 23) : '';
  const rest = { ...o };
  for (const k of ['level', 'time', 'msg', 'task', 'attempt', 'pid', 'hostname']) delete rest[k];
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  return { text: `${t} ${level.toUpperCase().padEnd(5)} ${String(o['msg'] ?? '')}${extra}`, level };
}
