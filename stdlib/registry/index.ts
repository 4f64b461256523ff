/** The standard library's registry: every entry, from one list per kind and the phenomenon families. */
import { dataSources } from "../entries/data.js";
import { layers } from "../entries/layers.js";
import { encodings, models } from "../entries/models.js";
import { plots } from "../entries/plots.js";
import { families } from "./families.js";
import { activations, distributions, inits, losses, optimizers, regularizers, schedules } from "../entries/training.js";
import { Registry } from "./registry.js";

export * from "./types.js";
export { argsFromSpec, brokenRules, fitsNumber, fitsType, specFields, validateArgs, withDefaults, type ArgProblem } from "./validate.js";
export { Registry } from "./registry.js";
export { papers } from "./citations.js";
export { families, type FamilyEntries } from "./families.js";

export const registry = new Registry([
  ...activations,
  ...inits,
  ...distributions,
  ...optimizers,
  ...schedules,
  ...losses,
  ...regularizers,
  ...encodings,
  ...models,
  ...layers,
  ...dataSources,
  ...families.flatMap((f) => f.entries),
  ...plots,
]);
