/** A run's learning-rate schedule in steps: `.dyn` durations in epochs become steps with the run's steps per epoch. */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Duration, ScheduleWithDurations } from "../contract/program.js";
import type { ScheduleSpec } from "../runtime/schedule.js";

/** The schedule `spec` with every duration converted to steps. */
export function scheduleInSteps(spec: ScheduleWithDurations, stepsPerEpoch: number): ScheduleSpec {
  switch (spec.kind) {
    case "constant":
      return spec;
    case "step_decay":
      return { kind: "step_decay", every: durationInSteps(spec.every, stepsPerEpoch), factor: spec.factor };
    case "cosine":
      return { kind: "cosine", steps: durationInSteps(spec.steps, stepsPerEpoch), floor: spec.floor };
    case "warmup":
      return { kind: "warmup", steps: durationInSteps(spec.steps, stepsPerEpoch), then: scheduleInSteps(spec.then, stepsPerEpoch) };
    default:
      throw new DyncRuntimeError("RUN040", `unknown schedule ${JSON.stringify(spec)}`);
  }
}

/** `{ steps }` as is; `{ epochs }` times steps per epoch. */
export function durationInSteps(duration: Duration, stepsPerEpoch: number): number {
  return "steps" in duration ? duration.steps : duration.epochs * stepsPerEpoch;
}
