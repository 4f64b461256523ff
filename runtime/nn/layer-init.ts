/**
 * Resolving a model's `init` option (a named scheme, one layer init for all, the phase scheme, or per-layer
 * overrides) into the init of each layer and the output scale it implies.
 */
import { DyncRuntimeError } from "../errors.js";
import { type InitSchemeName, type LayerInit, namedScheme, phaseLayerInits, phaseScales } from "../init.js";
import type { LayeredInit, MlpInit } from "../../contract/model-specs.js";
export type { PhaseInit, LayeredInit, MlpInit } from "../../contract/model-specs.js";

/** Resolve the `init` option into a per-layer lookup and the output scale it implies. */
export function layerInits(o: {
  readonly init?: MlpInit;
  readonly hidden: readonly number[];
  readonly outputScale?: number;
}): { forLayer: (name: string) => LayerInit; outputScale: number } {
  const init = o.init ?? "torch_default";
  if (typeof init === "object" && "kind" in init && init.kind === "phase") {
    if (o.hidden.length !== 1) {
      throw new DyncRuntimeError("RUN040", `the phase init is defined for one hidden layer, got ${o.hidden.length}`);
    }
    if (o.outputScale !== undefined) {
      throw new DyncRuntimeError("RUN040", "the phase init sets the output scale 1/α; do not give outputScale too");
    }
    const phase = phaseLayerInits(phaseScales(init.gamma, init.gamma_prime, o.hidden[0]!, init.alpha));
    return { forLayer: (name) => (name === "out" ? phase.out : phase.hidden), outputScale: phase.outputScale };
  }
  const outputScale = o.outputScale ?? 1;
  if (!(Number.isFinite(outputScale) && outputScale !== 0)) {
    throw new DyncRuntimeError("RUN040", `outputScale must be a finite non-zero number, got ${outputScale}`);
  }
  const asLayer = (x: InitSchemeName | LayerInit): LayerInit => (typeof x === "string" ? namedScheme(x) : x);
  if (typeof init === "string" || ("weight" in init && "bias" in init)) {
    const all = asLayer(init as InitSchemeName | LayerInit);
    return { forLayer: () => all, outputScale };
  }
  const layered = init as LayeredInit;
  const base = asLayer(layered.default ?? "torch_default");
  return { forLayer: (name) => ({ ...base, ...(layered.layers?.[name] ?? {}) }), outputScale };
}
