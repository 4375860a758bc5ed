/**
 * Text cut (with an ellipsis) to fit a width in a font, measured on a canvas: a node's label
 * is cut at its box's edge, not at a count of characters that fits some strings and not
 * others. Results are cached: a family's thousands of members share a handful of widths.
 */
const FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif";
export const NAME_FONT = `600 12px ${FAMILY}`;
export const SUB_FONT = `10.5px ${FAMILY}`;

let ctx: CanvasRenderingContext2D | null | undefined;
const cache = new Map<string, string>();
const CACHE_MAX = 20_000;

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

export function fitText(text: string, fontName: string, width: number): string {
  const key = `${fontName}|${width}|${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const c = measurer(fontName);
  let out = text;
  if (c) {
    if (c.measureText(text).width > width) {
      // The longest prefix that fits with its ellipsis.
      let lo = 0;
      let hi = text.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (c.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
        else hi = mid - 1;
      }
      out = `${text.slice(0, lo)}…`;
    }
  } else if (text.length * 7 > width) out = `${text.slice(0, Math.max(0, Math.floor(width / 7) - 1))}…`;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, out);
  return out;
}

/** The width of a text in a font (px), cached; a rough estimate where there is no canvas. */
export function textWidth(text: string, fontName: string): number {
  const key = `${fontName}|w|${text}`;
  const hit = widths.get(key);
  if (hit !== undefined) return hit;
  const c = measurer(fontName);
  const w = c ? c.measureText(text).width : text.length * 6;
  if (widths.size >= CACHE_MAX) widths.clear();
  widths.set(key, w);
  return w;
}
const widths = new Map<string, number>();
