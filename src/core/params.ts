import type { Json } from './identity';
import { NectarError } from './errors';

/** A JSON Schema fragment, as served to the API and UI. */
export type JsonSchema = { [key: string]: Json };

/**
 * One typed parameter. Each kind owns its parsing: `parse` accepts the typed value or its
 * string form (query strings, CLI flags), validates it and returns the normalised value,
 * which must be JSON-safe because it enters the task hash and `params.json`.
 * Our own small kinds rather than a schema library: string coercion ("false" is false,
 * "2012-01-05" is a date), canonical normal forms and a per-kind JSON Schema are the whole
 * job, and generic coercion (e.g. `Boolean("false")`) gets exactly those wrong.
 */
export interface Param<T extends Json, D extends boolean = boolean> {
  /** Type-level only: whether a default exists (then the parameter may be left out). */
  readonly __hasDefault?: D;
  readonly kind: string;
  readonly default: T | undefined;
  readonly description: string | undefined;
  /** Returns the normalised value or throws a message saying why the value is bad. */
  parse(raw: unknown): T;
  schema(): JsonSchema;
}

interface Common<T> {
  default?: T;
  description?: string;
}

/** Thrown inside `parse`; turned into a BAD_PARAM error naming the parameter. */
class Invalid extends Error {}

/** Whether options carry a default, at the type level. */
type HasDefault<O> = O extends { default: unknown } ? true : false;

function make<T extends Json, D extends boolean>(
  kind: string,
  opts: Common<T>,
  parse: (raw: unknown) => T,
  schema: JsonSchema,
): Param<T, D> {
  const p: Param<T, D> = {
    kind,
    default: undefined,
    description: opts.description,
    parse,
    schema() {
      const s: JsonSchema = { ...schema };
      if (opts.description !== undefined) s['description'] = opts.description;
      if (p.default !== undefined) s['default'] = p.default;
      return s;
    },
  };
  // Defaults go through the same parser: a bad default fails when the task is defined.
  if (opts.default !== undefined) (p as { default: T | undefined }).default = parse(opts.default);
  return p;
}

function describe(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : String(JSON.stringify(raw) ?? raw);
}

function parseNumber(raw: unknown, integer: boolean): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') n = Number(raw.trim());
  else throw new Invalid(`expected ${integer ? 'an integer' : 'a number'}, got ${describe(raw)}`);
  if (!Number.isFinite(n)) throw new Invalid(`expected ${integer ? 'an integer' : 'a number'}, got ${describe(raw)}`);
  if (integer && !Number.isInteger(n)) throw new Invalid(`expected an integer, got ${describe(raw)}`);
  return n;
}

function bounds(n: number, min: number | undefined, max: number | undefined): number {
  if (min !== undefined && n < min) throw new Invalid(`must be at least ${min}, got ${n}`);
  if (max !== undefined && n > max) throw new Invalid(`must be at most ${max}, got ${n}`);
  return n;
}

interface NumberOpts extends Common<number> {
  min?: number;
  max?: number;
}

function numberSchema(type: string, o: NumberOpts): JsonSchema {
  const s: JsonSchema = { type };
  if (o.min !== undefined) s['minimum'] = o.min;
  if (o.max !== undefined) s['maximum'] = o.max;
  return s;
}

interface StringOpts extends Common<string> {
  pattern?: RegExp;
  minLength?: number;
  maxLength?: number;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The parameter kinds. */
export const p = {
  string<const O extends StringOpts = {}>(o: O = {} as O): Param<string, HasDefault<O>> {
    const s: JsonSchema = { type: 'string' };
    if (o.pattern) s['pattern'] = o.pattern.source;
    if (o.minLength !== undefined) s['minLength'] = o.minLength;
    if (o.maxLength !== undefined) s['maxLength'] = o.maxLength;
    return make('string', o, (raw) => {
      if (typeof raw !== 'string') {
        if (typeof raw === 'number' || typeof raw === 'boolean') raw = String(raw);
        else throw new Invalid(`expected a string, got ${describe(raw)}`);
      }
      const v = raw as string;
      if (o.minLength !== undefined && v.length < o.minLength) throw new Invalid(`must be at least ${o.minLength} characters`);
      if (o.maxLength !== undefined && v.length > o.maxLength) throw new Invalid(`must be at most ${o.maxLength} characters`);
      if (o.pattern && !o.pattern.test(v)) throw new Invalid(`must match ${o.pattern.source}, got ${describe(v)}`);
      return v;
    }, s);
  },

  int<const O extends NumberOpts = {}>(o: O = {} as O): Param<number, HasDefault<O>> {
    return make('int', o, (raw) => bounds(parseNumber(raw, true), o.min, o.max), numberSchema('integer', o));
  },

  float<const O extends NumberOpts = {}>(o: O = {} as O): Param<number, HasDefault<O>> {
    return make('float', o, (raw) => bounds(parseNumber(raw, false), o.min, o.max), numberSchema('number', o));
  },

  bool<const O extends Common<boolean> = {}>(o: O = {} as O): Param<boolean, HasDefault<O>> {
    return make('bool', o, (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const v = raw.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
      }
      throw new Invalid(`expected true or false, got ${describe(raw)}`);
    }, { type: 'boolean' });
  },

  /** A calendar date, normalised to `YYYY-MM-DD`. Accepts that string or a Date (its UTC day). */
  date<const O extends Common<string> & { min?: string; max?: string } = {}>(o: O = {} as O): Param<string, HasDefault<O>> {
    const s: JsonSchema = { type: 'string', format: 'date' };
    if (o.min !== undefined) s['formatMinimum'] = o.min;
    if (o.max !== undefined) s['formatMaximum'] = o.max;
    return make('date', o, (raw) => {
      let v: string;
      if (raw instanceof Date && !Number.isNaN(raw.getTime())) v = raw.toISOString().slice(0, 10);
      else if (typeof raw === 'string') v = raw.trim();
      else throw new Invalid(`expected a date YYYY-MM-DD, got ${describe(raw)}`);
      const m = DATE_RE.exec(v);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!d || d.toISOString().slice(0, 10) !== v) throw new Invalid(`expected a date YYYY-MM-DD, got ${describe(raw)}`);
      if (o.min !== undefined && v < o.min) throw new Invalid(`must be on or after ${o.min}, got ${v}`);
      if (o.max !== undefined && v > o.max) throw new Invalid(`must be on or before ${o.max}, got ${v}`);
      return v;
    }, s);
  },

  /** One of a fixed set of strings. */
  enum<const V extends string, const O extends Common<V> = {}>(values: readonly V[], o: O = {} as O): Param<V, HasDefault<O>> {
    return make('enum', o, (raw) => {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as V;
      throw new Invalid(`must be one of ${values.join(', ')}, got ${describe(raw)}`);
    }, { type: 'string', enum: [...values] });
  },

  /** A list of one kind; from a string, comma-separated or a JSON array. Order is kept. */
  list<T extends Json, const O extends Common<T[]> = {}>(of: Param<T>, o: O = {} as O): Param<T[], HasDefault<O>> {
    return make('list', o, (raw) => {
      let items: unknown[];
      if (Array.isArray(raw)) items = raw;
      else if (typeof raw === 'string') {
        const t = raw.trim();
        if (t.startsWith('[')) {
          let parsed: unknown;
          try { parsed = JSON.parse(t); } catch { throw new Invalid(`expected a JSON array or comma-separated list, got ${describe(raw)}`); }
          if (!Array.isArray(parsed)) throw new Invalid(`expected a list, got ${describe(raw)}`);
          items = parsed;
        } else items = t === '' ? [] : t.split(',').map((x) => x.trim());
      } else throw new Invalid(`expected a list, got ${describe(raw)}`);
      return items.map((item, i) => {
        try { return of.parse(item); } catch (e) { throw new Invalid(`item ${i}: ${(e as Error).message}`); }
      });
    }, { type: 'array', items: of.schema() });
  },
};

/** A task's parameter declaration: names to kinds. */
export type ParamSchema = { readonly [name: string]: Param<Json, boolean> };

type ValueOf<P> = P extends Param<infer T, boolean> ? T : never;
type Defaulted<P> = P extends Param<Json, true> ? true : false;
type Simplify<T> = { [K in keyof T]: T[K] };

/** The normalised parameter values a task sees as `this.params`. */
export type ParamsOf<S extends ParamSchema> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** What a caller may pass: typed values or their strings; parameters with a default may be left out. */
export type ParamsInput<S extends ParamSchema> = Simplify<
  { [K in keyof S as Defaulted<S[K]> extends true ? never : K]: ValueOf<S[K]> | string } & {
    [K in keyof S as Defaulted<S[K]> extends true ? K : never]?: ValueOf<S[K]> | string;
  }
>;

/** The constructor arguments of a task: optional when every parameter has a default. */
export type ParamsArgs<S extends ParamSchema> = {} extends ParamsInput<S> ? [params?: ParamsInput<S>] : [params: ParamsInput<S>];

export interface ParamProblem {
  param: string;
  reason: string;
}

/**
 * Validate and normalise raw parameters against a schema: defaults filled, strings coerced,
 * unknown names refused. All problems are reported at once, each naming its parameter.
 */
export function normalizeParams(schema: ParamSchema, raw: { readonly [k: string]: unknown }, owner: string): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  const problems: ParamProblem[] = [];
  for (const name of Object.keys(raw)) {
    if (!Object.prototype.hasOwnProperty.call(schema, name) && raw[name] !== undefined) {
      const known = Object.keys(schema);
      problems.push({ param: name, reason: `unknown parameter (${owner} takes ${known.length ? known.join(', ') : 'no parameters'})` });
    }
  }
  for (const name of Object.keys(schema).sort()) {
    const param = schema[name];
    if (!param) continue;
    const given = raw[name];
    if (given === undefined) {
      if (param.default !== undefined) out[name] = param.default;
      else problems.push({ param: name, reason: 'required parameter is missing' });
      continue;
    }
    try {
      out[name] = param.parse(given);
    } catch (e) {
      problems.push({ param: name, reason: e instanceof Invalid ? e.message : String(e) });
    }
  }
  if (problems.length > 0) {
    const all = (prefix: string): boolean => problems.every((x) => x.reason.startsWith(prefix));
    const code = all('required parameter') ? 'MISSING_PARAM' : all('unknown parameter') ? 'UNKNOWN_PARAM' : 'BAD_PARAM';
    const text = problems.map((x) => `'${x.param}': ${x.reason}`).join('; ');
    throw new NectarError(code, `${owner}: ${text}`, problems);
  }
  return out;
}

/** JSON Schema of a task's parameters. */
export function paramsJsonSchema(schema: ParamSchema): JsonSchema {
  const properties: JsonSchema = {};
  const required: string[] = [];
  // In declaration order: forms and docs show parameters as the chain author ordered them.
  for (const name of Object.keys(schema)) {
    const param = schema[name];
    if (!param) continue;
    properties[name] = param.schema();
    if (param.default === undefined) required.push(name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
