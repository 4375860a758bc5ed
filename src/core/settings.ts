import { NectarError } from './errors';

/** A setting's value: what a task reads from `ctx.settings`. */
export type SettingValue = string | number | boolean;

/** One setting a chain type declares. */
export interface SettingSpec {
  readonly kind: 'string' | 'int' | 'bool';
  /** Never shown: redacted from logs, errors, the store, the API and the UI. */
  readonly secret: boolean;
  readonly default?: SettingValue;
  readonly description?: string;
}

export type SettingsSchema = { readonly [name: string]: SettingSpec };

const SETTINGS = Symbol.for('nectar.settings');

interface Common<T> {
  default?: T;
  description?: string;
}

/** The kinds of settings. `secret()` is a string that is never shown anywhere. */
export const setting = {
  string: (o: Common<string> = {}): SettingSpec => ({ kind: 'string', secret: false, ...o }),
  int: (o: Common<number> = {}): SettingSpec => ({ kind: 'int', secret: false, ...o }),
  bool: (o: Common<boolean> = {}): SettingSpec => ({ kind: 'bool', secret: false, ...o }),
  secret: (o: { description?: string } = {}): SettingSpec => ({ kind: 'string', secret: true, ...o }),
};

/**
 * Declare the settings of a chain type (a database URL, an API key): export the result as
 * `settings` from any chain file of the type. Values come from the environment
 * (`NECTAR_<TYPE>_<NAME>`) or the type's settings file; they never enter task ids.
 */
export function defineSettings<const S extends SettingsSchema>(schema: S): S {
  for (const [name, spec] of Object.entries(schema)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new NectarError('BAD_TASK_DEFINITION', `setting name ${JSON.stringify(name)} must be letters, digits and _ (starting with a letter)`);
    if (spec.secret && spec.default !== undefined) throw new NectarError('BAD_TASK_DEFINITION', `secret setting ${name} cannot have a default`);
  }
  Object.defineProperty(schema, SETTINGS, { value: true, enumerable: false });
  return schema;
}

export function isSettingsSchema(x: unknown): x is SettingsSchema {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SETTINGS] === true;
}

/** `elections` + `API_KEY` -> `NECTAR_ELECTIONS_API_KEY`. */
export function settingEnvName(type: string, name: string): string {
  return `NECTAR_${type.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_${name.toUpperCase()}`;
}

/** A raw value (environment text or JSON from the settings file) as its kind; throws a reason otherwise. */
export function parseSetting(spec: SettingSpec, raw: unknown): SettingValue {
  switch (spec.kind) {
    case 'string':
      if (typeof raw === 'string') return raw;
      throw new Error('expected a string');
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (Number.isSafeInteger(n)) return n;
      throw new Error('expected a whole number');
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      throw new Error('expected true or false');
    default: {
      const never: never = spec.kind;
      return never;
    }
  }
}
