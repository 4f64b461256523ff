/** Probes that read what the training step already computed: the batch loss and the learning rate. */
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";

/**
 * The loss of the current training batch, per seed, as the update saw it (training mode, before the step);
 * no extra forward pass. Not measured at `end`, where no update follows: use `loss(model, data)` for that.
 */
export const trainLossProbe = defineProbe(entries.trainLoss, { measure: (_args, ctx) => (ctx.loss ? Float64Array.from(ctx.loss.perSeed.dataSync()) : undefined) });

/** The learning rate of the current update (after the schedule), the same for every seed. Not measured at `end`. */
export const learningRateProbe = defineProbe(entries.lr, {
  measure: (_args, ctx) => (ctx.lr === null ? undefined : new Float64Array(ctx.seeds.length).fill(ctx.lr)),
});
