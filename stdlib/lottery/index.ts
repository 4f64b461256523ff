/** The lottery-ticket probes by registry name (entries: stdlib/entries/lottery.ts). */
import type { ProbeFn } from "../types.js";
import { distillProbe, neuronsProbe, paramPcaProbe, ticketR2Probe, ticketsProbe } from "./probes.js";

export const lotteryProbes: Readonly<Record<string, ProbeFn>> = {
  tickets: ticketsProbe,
  ticket_r2: ticketR2Probe,
  neurons: neuronsProbe,
  distill: distillProbe,
  param_pca: paramPcaProbe,
};
