import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_SECRET, registerSecret } from '../core/redact';
import { type SettingValue, type SettingsSchema, parseSetting, settingEnvName } from '../core/settings';

type Env = Readonly<Record<string, string | undefined>>;

/** A chain type's settings, resolved once when its chains load. */
export interface TypeSettings {
  /** Every declared setting, by name. */
  readonly schema: SettingsSchema;
  readonly values: Readonly<Record<string, SettingValue>>;
  /** Set when a value is missing or bad: what is wrong, naming the settings and the type. */
  readonly error?: string;
  /** The settings without a usable value: tasks that ask for one cannot run. */
  readonly bad: ReadonlySet<string>;
}

/**
 * Merge the settings a chain type's files declare and find their values: the environment
 * (`NECTAR_<TYPE>_<NAME>`) first, then `<dir>/<type>.json`, then the default. Secret values are
 * registered for redaction. Problems (missing, malformed, a secret too short to redact,
 * declared twice differently) come back as one message naming the settings and the type.
 */
export function resolveTypeSettings(type: string, schemas: readonly SettingsSchema[], env: Env, dir: string): TypeSettings {
  const schema: Record<string, SettingsSchema[string]> = {};
  const problems: string[] = [];
  const bad = new Set<string>();
  for (const s of schemas) {
    for (const [name, spec] of Object.entries(s)) {
      const had = schema[name];
      if (had && JSON.stringify(had) !== JSON.stringify(spec)) problems.push(`setting ${name} is declared twice, differently`);
      schema[name] = spec;
    }
  }
  const values: Record<string, SettingValue> = {};
  if (Object.keys(schema).length === 0) return { schema, values, bad };
  const file = join(dir, `${type}.json`);
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      fromFile = parsed as Record<string, unknown>;
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  for (const [name, spec] of Object.entries(schema)) {
    const envName = settingEnvName(type, name);
    const raw = env[envName] ?? fromFile[name];
    if (raw === undefined) {
      if (spec.default !== undefined) values[name] = spec.default;
      else {
        bad.add(name);
        problems.push(`setting ${name} is required: set ${envName} or "${name}" in ${file}`);
      }
      continue;
    }
    try {
      const value = parseSetting(spec, raw);
      if (spec.secret) {
        // A value this short could not be redacted without mangling ordinary text: refuse it
        // rather than let it show.
        if (String(value).length < MIN_SECRET) {
          bad.add(name);
          problems.push(`secret ${name} of type ${type} is shorter than ${MIN_SECRET} characters, too short to redact safely`);
          continue;
        }
        registerSecret(String(value));
      }
      values[name] = value;
    } catch (err) {
      // The value itself is never quoted: it may be a secret.
      bad.add(name);
      problems.push(`setting ${name} (${env[envName] !== undefined ? envName : file}): ${(err as Error).message}`);
    }
  }
  return problems.length ? { schema, values, bad, error: `chain type '${type}': ${problems.join('; ')}` } : { schema, values, bad };
}
