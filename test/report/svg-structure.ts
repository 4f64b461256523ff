/** Reading the structure of Vega's SVG output in tests: mark groups by name, their shapes, texts by role. */

/** The contents of every `<g class="mark-TYPE role-mark NAME_marks">` group (per facet cell; a line mark has one per series). */
export function markGroups(svg: string, name: string): string[] {
  const re = new RegExp(`<g class="mark-\\w+ role-mark ${name}_marks"[^>]*>(.*?)</g>`, "gs");
  return [...svg.matchAll(re)].map((m) => m[1]!);
}

/** Shapes (path/line/rect elements) in a mark group. */
export function shapes(group: string): number {
  return (group.match(/<(path|line|rect)\b/g) ?? []).length;
}

/** Total shapes over all groups of a mark. */
export function markShapes(svg: string, name: string): number {
  return markGroups(svg, name).reduce((a, g) => a + shapes(g), 0);
}

/** The texts of elements inside groups with `role-ROLE` (axis-title, axis-label, legend-label, title-text…). */
export function texts(svg: string, role: string): string[] {
  const re = new RegExp(`<g class="mark-text role-${role}"[^>]*>(.*?)</g>`, "gs");
  return [...svg.matchAll(re)].flatMap((m) => [...withoutEmptyTexts(m[1]!).matchAll(/<text[^>]*>(.*?)<\/text>/gs)].map((t) => unescape(t[1]!)));
}

/** Texts of text marks named NAME (reference labels, fit labels). */
export function markTexts(svg: string, name: string): string[] {
  return markGroups(svg, name).flatMap((g) => [...withoutEmptyTexts(g).matchAll(/<text[^>]*>(.*?)<\/text>/gs)].map((t) => unescape(t[1]!)));
}

function unescape(s: string): string {
  return s.replace(/<tspan[^>]*>/g, "").replace(/<\/tspan>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** Vega writes hidden (overlapping) tick labels as empty `<text …/>`. */
function withoutEmptyTexts(s: string): string {
  return s.replace(/<text[^>]*\/>/g, "");
}
