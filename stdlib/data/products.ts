/** Products of several inputs (lottery-scaling notes, E7: targets x₁x₂ … x₁⋯x₅ on U[−2, 2]^d). */
import type { Dataset } from "../../runtime/dataset.js";
import type { Rng } from "../../runtime/rng.js";
import { checkCount, uniformInputs } from "./inputs.js";
import { withTarget, type TargetFn } from "./target.js";

/** The target (x₁, …, x_d) ↦ x₁·x₂·…·x_d over every input column. */
export function productTarget(): TargetFn {
  return (cols) => {
    const n = cols[0]?.length ?? 0;
    const out = new Float64Array(n).fill(1);
    for (const col of cols) for (let i = 0; i < n; i++) out[i] *= col[i]!;
    return out;
  };
}

/** n points uniform on [lo, hi)^d (default [−2, 2)) with target x₁·…·x_d; inputs named x1..xd. */
export function productOfInputs(
  rng: Rng,
  options: { name: string; d: number; n: number; lo?: number; hi?: number },
): Dataset {
  const d = checkCount(options.d, "d");
  const names = Array.from({ length: d }, (_, j) => `x${j + 1}`);
  const inputs = uniformInputs(rng, { n: options.n, lo: options.lo ?? -2, hi: options.hi ?? 2, names });
  return withTarget(options.name, inputs, productTarget());
}
