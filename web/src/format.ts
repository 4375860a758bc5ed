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

/** A count with thousands separators, `3,650` (as `toLocaleString('en')`, without making a locale's formatter on first paint). */
export function count(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en');
}

/** The reader's IANA time zone (the browser's). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Made when first used, not as the bundle loads (an Intl formatter costs milliseconds to make, on every page's boot). */
let localTick: Intl.DateTimeFormat | null = null;
const DAY_KEY = (zone: string): Intl.DateTimeFormat => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * A schedule's tick as people read it: in the reader's time zone with its UTC offset, and in
 * brackets the wall time in the schedule's own zone when that is another one (with its day
 * when the day differs there): `Tue 2 Jun, 04:00 GMT+2 (UTC: 02:00)`.
 */
export function tickTime(ms: number | null, zone: string): string {
  if (ms === null) return '–';
  const d = new Date(ms);
  localTick ??= new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' });
  const local = localTick.format(d);
  const here = localZone();
  if (zone === here) return local;
  try {
    const otherDay = DAY_KEY(zone).format(d) !== DAY_KEY(here).format(d);
    const there = new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit', ...(otherDay ? { weekday: 'short', day: 'numeric', month: 'short' } : {}) }).format(d);
    return `${local} (${zone}: ${there})`;
  } catch {
    // A zone this browser does not know (the server's croner did): name it, without its time.
    return `${local} (${zone})`;
  }
}

/** `a=1, b=x` for a parameter object. */
export function paramsLine(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** `14:03:07.042`: a time of day in the reader's zone, to the millisecond (as log lines show it). */
export function clockTime(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Which zone the UI's times are in: `Europe/Paris, UTC+01:00` (every time shown is the reader's local time). */
export function zoneNote(at = new Date()): string {
  const off = -at.getTimezoneOffset();
  const sign = off < 0 ? '−' : '+';
  const a = Math.abs(off);
  return `${localZone()}, UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** A pino JSON log line as `12:00:01.234 INFO message {fields}`, its time in the reader's zone. Lines that are not JSON stay as they are. */
export function logLine(raw: string): { text: string; level: string } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { text: raw.replace(/\n$/, ''), level: 'info' };
  }
  const levels: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  const level = typeof o['level'] === 'number' ? (levels[o['level']] ?? 'info') : String(o['level'] ?? 'info');
  const at = typeof o['time'] === 'string' || typeof o['time'] === 'number' ? new Date(o['time']) : null;
  const t = at && Number.isFinite(at.getTime()) ? clockTime(at) : '';
  const rest = { ...o };
  for (const k of ['level', 'time', 'msg', 'task', 'attempt', 'pid', 'hostname']) delete rest[k];
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  return { text: `${t} ${level.toUpperCase().padEnd(5)} ${String(o['msg'] ?? '')}${extra}`, level };
}
