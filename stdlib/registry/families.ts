/**
 * The phenomenon families of the standard library, each a folder with its schemas (entries.ts) and their
 * implementations. The registry takes its probe and analysis entries from this list; the runtime's
 * implementation table (stdlib/implementations.ts) is built from the same folders.
 */
import { condensationAnalyses, condensationProbes } from "../condensation/entries.js";
import { coreAnalyses, coreProbes } from "../core/entries.js";
import { curvatureProbes } from "../curvature/entries.js";
import { diversityProbes } from "../diversity/entries.js";
import { groupAnalyses, groupProbes } from "../groups/entries.js";
import { lotteryEntries } from "../lottery/entries.js";
import { regionProbes } from "../regions/entries.js";
import { spectralProbes } from "../spectral/entries.js";
import { samplingEntries } from "../sampling/entries.js";
import type { Entry } from "./types.js";

export interface FamilyEntries {
  readonly name: string;
  readonly entries: readonly Entry[];
}

export const families: readonly FamilyEntries[] = [
  { name: "core", entries: [...coreProbes, ...coreAnalyses] },
  { name: "curvature", entries: curvatureProbes },
  { name: "condensation", entries: [...condensationProbes, ...condensationAnalyses] },
  { name: "lottery", entries: lotteryEntries },
  { name: "regions", entries: regionProbes },
  { name: "spectral", entries: spectralProbes },
  { name: "sampling", entries: samplingEntries },
  { name: "diversity", entries: diversityProbes },
  { name: "groups", entries: [...groupProbes, ...groupAnalyses] },
];
