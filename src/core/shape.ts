/** One, a list, or a record of things: the shapes `requires()` and `output()` may return. */
export type Shape<T> = T | readonly T[] | { readonly [key: string]: T };

/** Every item of a shape, in a stable order (list order; record keys sorted). */
export function flattenShape<T>(shape: Shape<T> | undefined | void, isItem: (x: unknown) => x is T): T[] {
  if (shape === undefined || shape === null) return [];
  if (isItem(shape)) return [shape];
  if (Array.isArray(shape)) return shape.filter((x): x is T => x !== undefined && x !== null);
  const rec = shape as { readonly [key: string]: T };
  return Object.keys(rec).sort().map((k) => rec[k]).filter((x): x is T => x !== undefined && x !== null);
}

/** The same shape with every item mapped. */
export function mapShape<T, U>(shape: Shape<T> | undefined | void, isItem: (x: unknown) => x is T, fn: (item: T) => U): U | U[] | { [key: string]: U } | undefined {
  if (shape === undefined || shape === null) return undefined;
  if (isItem(shape)) return fn(shape);
  if (Array.isArray(shape)) return (shape as readonly T[]).map(fn);
  const rec = shape as { readonly [key: string]: T };
  const out: { [key: string]: U } = {};
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (v !== undefined) out[k] = fn(v);
  }
  return out;
}

/** True when `shape` is a valid shape of items (used to report bad `requires()`/`output()` returns). */
export function isShapeOf<T>(shape: unknown, isItem: (x: unknown) => x is T): boolean {
  if (shape === undefined || shape === null || isItem(shape)) return true;
  if (Array.isArray(shape)) return shape.every((x) => isItem(x));
  if (typeof shape === 'object' && Object.getPrototypeOf(shape) === Object.prototype) {
    return Object.values(shape as object).every((x) => isItem(x));
  }
  return false;
}
