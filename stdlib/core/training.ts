/** Probes that read what the training step already computed: the batch loss, the learning rate and the optimizer's statistics. */
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

/**
 * A statistic of the optimizer's most recent update (`optimizer_stat(above_threshold)`). A run whose
 * optimizer does not report it (one point of a sweep over optimizers) records nothing; the checker makes
 * sure some run of the profile does (DYN2057).
 */
export const optimizerStatProbe = defineProbe(entries.optimizerStat, {
  measure: ({ name }, ctx) => ctx.optimizer.statistic?.(name),
});
