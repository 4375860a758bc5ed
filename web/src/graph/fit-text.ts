/**
 * Text cut (with an ellipsis) to fit a width in a font, measured on a canvas: a node's label
 * is cut at its box's edge, not at a count of characters that fits some strings and not
 * others. Results are cached: a family's thousands of members share a handful of widths.
 */
const FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif";
export const NAME_FONT = `600 12px ${FAMILY}`;
export const SUB_FONT = `10.5px ${FAMILY}`;

let ctx: CanvasRenderingContext2D | null | undefined;
const CACHE_MAX = 20_000;
/** Where there is no canvas (tests outside a browser): a rough width per character. */
const CHAR_W = 7;

let font = '';

/** The canvas context set to `f` (setting a context's font parses it: done only when it changes). */
function measurer(f: string): CanvasRenderingContext2D | null {
  if (ctx === undefined) ctx = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  if (ctx && font !== f) {
    ctx.font = f;
    font = f;
  }
  return ctx;
}

/** What `make` gives for `key`, remembered (a bounded cache: cleared when full). */
function remembered<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const v = make();
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, v);
  return v;
}

const widths = new Map<string, number>();
const fits = new Map<string, string>();

/** The width of a text in a font (px), cached. */
export function textWidth(text: string, fontName: string): number {
  return remembered(widths, `${fontName}|${text}`, () => measurer(fontName)?.measureText(text).width ?? text.length * CHAR_W);
}

export function fitText(text: string, fontName: string, width: number): string {
  return remembered(fits, `${fontName}|${width}|${text}`, () => {
    if (textWidth(text, fontName) <= width) return text;
    // The longest prefix that fits with its ellipsis.
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (textWidth(`${text.slice(0, mid)}…`, fontName) <= width) lo = mid;
      else hi = mid - 1;
    }
    return `${text.slice(0, lo)}…`;
  });
}
