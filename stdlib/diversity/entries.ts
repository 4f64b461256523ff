/** The feature-diversity family's schemas (Liu et al. 2021, trap of feature diversity). Schema only. */
import type { Entry } from "../registry/types.js";
import { commonDirection } from "./common-direction-entry.js";

export const diversityProbes: readonly Entry[] = [commonDirection];
