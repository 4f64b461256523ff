/** The lottery family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { distillProbe, neuronCurveProbe, neuronsProbe, paramPcaProbe, ticketR2Probe, ticketsProbe, wbCurveProbe } from "./probes.js";

export const lotteryProbeImplementations: readonly ProbeDefinition[] = [ticketsProbe, ticketR2Probe, neuronsProbe, wbCurveProbe, distillProbe, paramPcaProbe, neuronCurveProbe];
