/**
 * Secret setting values known to this process, and the one place text is cleaned of them:
 * task log lines and serialized errors go through `redact`, so a secret a task prints or
 * puts in an error never reaches a log file, the run store, the API, events or the UI.
 */
const secrets = new Set<string>();

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Values shorter than this are not redacted (they would mangle ordinary text), so a secret
 * setting shorter than this is refused when its chain type's settings load.
 */
export const MIN_SECRET = 4;

export function registerSecret(value: string): void {
  if (value.length >= MIN_SECRET) secrets.add(value);
}

/** `text` with every known secret replaced by `[redacted]`. */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
