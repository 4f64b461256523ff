/** HTML building blocks for the report: escaping, and making several inline SVGs coexist on one page. */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A relative link target with each path segment percent-encoded (`tensors/sharp/width=8/seed0.npy`). */
export function hrefOf(relativePath: string): string {
  return relativePath.split("/").map(encodeURIComponent).join("/");
}

/**
 * An SVG made ready to inline next to others: ids (clip paths, gradients) get a per-figure prefix so that
 * two figures' `clip1` cannot capture each other's references, and the XML prologue, if any, is dropped.
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, "")
    // A fixed width and height would keep the full height when CSS narrows the figure (blank bands above and
    // below); the viewBox alone keeps the aspect ratio, and the natural width becomes the largest.
    .replace(/^<svg([^>]*?) width="([\d.]+)" height="([\d.]+)"/, (_, attrs: string, w: string) => `<svg${attrs} width="100%" style="max-width: ${w}px"`)
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/** Milliseconds as `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${String(Math.round(s - 60 * min)).padStart(2, "0")} s`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}
