/** The standard library's registry: every entry, from one list per family. */
import { condensationAnalyses, condensationProbes } from "../entries/condensation.js";
import { dataSources } from "../entries/data.js";
import { lotteryEntries } from "../entries/lottery.js";
import { encodings, models } from "../entries/models.js";
import { plots } from "../entries/plots.js";
import { analyses, probes } from "../entries/probes.js";
import { activations, distributions, inits, losses, optimizers, regularizers, schedules } from "../entries/training.js";
import { Registry } from "./registry.js";

export * from "./types.js";
export { argsFromSpec, brokenRules, fitsNumber, fitsType, specFields, validateArgs, withDefaults, type ArgProblem } from "./validate.js";
export { Registry } from "./registry.js";
export { papers } from "./citations.js";

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
  ...dataSources,
  ...probes,
  ...analyses,
  ...condensationProbes,
  ...condensationAnalyses,
  ...lotteryEntries,
  ...plots,
]);
