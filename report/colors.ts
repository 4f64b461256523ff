/**
 * Colour scales of the plots, chosen so that readers with colour-vision deficiencies can tell series apart.
 *
 * Categorical values (activations, optimizers, `silu`/`relu`) use the Okabe–Ito palette: its eight colours were
 * designed to stay distinguishable under protanopia, deuteranopia and tritanopia, which tableau10 (also fine
 * for normal vision) was not. Yellow, the weakest on white, comes last, and black is kept as the eighth.
 * Numeric values (widths, learning rates, seeds) are ordered, so they use viridis, a perceptually uniform
 * sequential scale that is also colour-blind safe; its lightest yellow end is cut off to keep contrast on white.
 */

/** Okabe & Ito (2008), "Color Universal Design", reordered for contrast on a white background. */
export const OKABE_ITO: readonly string[] = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // bluish green
  "#E69F00", // orange
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#000000", // black
  "#F0E442", // yellow
];

/** viridis at 0 and at 0.85 (the lightest end used on white, as in the scheme's extent below). */
export const VIRIDIS_DARK = "#440154";
export const VIRIDIS_LIGHT = "#9ad93d";

/** Grey of reference lines and their labels: distinct from every series colour. */
export const REFERENCE_GREY = "#555555";

/** The vega-lite colour scale for a colour dimension with `domain` (labels in legend order). */
export function colorScale(domain: readonly string[], numeric: boolean): Record<string, unknown> {
  // Two ordered values (steps 0 and 1000, two widths) are drawn from viridis's two ends, which differ in
  // hue and lightness; an ordinal scale with a scheme would otherwise place them in two neighbouring
  // shades (Vega samples a scheme at (i + ½)/n of an ordinal domain).
  if (numeric && domain.length === 2) return { domain: [...domain], range: [VIRIDIS_DARK, VIRIDIS_LIGHT] };
  if (numeric) return { domain: [...domain], scheme: { name: "viridis", extent: [0, 0.85] } };
  return { domain: [...domain], range: [...OKABE_ITO] };
}
