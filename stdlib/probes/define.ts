/**
 * `defineProbe(entry, implementation)`: a probe's implementation typed by its registry entry. The entry (a
 * `probeEntry({...})` in the family's entries.ts, schema only) fixes the implementation's arguments (each
 * param's value type, `| null` for optional ones without a default; model and data references arrive as
 * the run's `Model` and `EvalData`) and its return type (from `result`). The runner fills defaults and
 * resolves references in one place (`startProbe`), so implementations never re-apply a default.
 *
 * Lifecycle per run (one seed batch): `setup(args, run)` once before training, then `measure(ctx)` at
 * each cadence, then `finish()`. Per-run state lives in the object `setup` returns; a probe without
 * state gives `measure(args, ctx, run)` only. For checkpoints (`dync run --resume`) the object `setup`
 * returns also gives `save()` (its state as plain data and typed arrays) and `restore(state)` (applied to
 * a fresh instance after `setup`); one without them cannot be checkpointed, and a run that asks for
 * checkpoints with it is refused (RUN032) rather than resumed with state it lost.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { describeType, type Entry, type Param, type ParamType } from "../registry/types.js";
import { fitsType } from "../registry/validate.js";
import type { EvalData } from "./eval-data.js";
import type { ProbeEnv, ProbeValue, SeedFields, SeedIndexed, SeedScalars, SeedTensors } from "./types.js";

/** The value an argument of type `T` has when an implementation receives it. */
export type ArgValue<T extends ParamType> = T extends { readonly t: "number" }
  ? number
  : T extends { readonly t: "bool" }
    ? boolean
    : T extends { readonly t: "string" }
      ? string
      : T extends { readonly t: "choice"; readonly options: readonly (infer O)[] }
        ? O
        : T extends { readonly t: "list"; readonly of: infer U extends ParamType }
          ? readonly ArgValue<U>[]
          : T extends { readonly t: "interval" }
            ? readonly [number, number]
            : T extends { readonly t: "duration" }
              ? { readonly steps: number } | { readonly epochs: number }
              : T extends { readonly t: "ref"; readonly of: "model" }
                ? Model
                : T extends { readonly t: "ref"; readonly of: "data" }
                  ? EvalData
                  : T extends { readonly t: "ref" }
                    ? { readonly ref: string }
                    : T extends { readonly t: "oneOf"; readonly of: readonly (infer U extends ParamType)[] }
                      ? ArgValue<U>
                      : unknown;

/** A param's value: `| null` when it is optional without a default (`default: null`). */
export type ArgOf<P extends Param> = P extends { readonly default: null } ? ArgValue<P["type"]> | null : ArgValue<P["type"]>;

/** The arguments of an entry's implementation, by param name. */
export type ProbeArgs<E extends Entry> = { readonly [P in E["params"][number] as P["name"]]: ArgOf<P> };

type Fields<R> = R extends { readonly fields: readonly (infer F extends string)[] } ? F : "value";

/** The return type a `result` schema gives: a matrix per seed, per-unit values along `index`, named fields, or one number per seed. */
export type ResultOf<R> = R extends { readonly matrix: true }
  ? SeedTensors
  : R extends { readonly index: infer D extends string }
    ? { readonly kind: "indexed"; readonly dim: D; readonly fields: { readonly [K in Fields<R>]?: readonly (Float64Array | undefined)[] } }
    : R extends { readonly fields: readonly string[] }
      ? { readonly kind: "fields"; readonly fields: { readonly [K in Fields<R>]: SeedScalars } }
      : SeedScalars;

/** What a probe measures at one call (any shape when its arguments choose it, `resultFor`); `undefined` when it has nothing to measure then (`train_loss` at `end`). */
export type ProbeResult<E extends Entry> = ResultOf<E["result"]> | ArgumentShaped<E> | undefined;

/** Any shape for a probe whose arguments choose it (`resultFor`); nothing more for the others. */
type ArgumentShaped<E extends Entry> = E extends { readonly resultFor: object } ? SeedIndexed | SeedFields | SeedTensors : never;

/** What a probe knows of its run besides its arguments. */
export interface ProbeRun {
  /** The loss the run trains with. */
  readonly loss: LossKind;
  /** The probe's name in the experiment (`probe local = …`), or its entry's name when started without one: what its random draws fork by. */
  readonly name: string;
  /** The run's seed values, by seed index. */
  readonly seeds: readonly number[];
  /** The run's board: what its probes publish for later probes (ProbeEnv.board). */
  readonly board: Map<string, unknown>;
}

/** A probe's per-run state in a checkpoint: JSON data, numbers (NaN included) and typed arrays. */
export type ProbeState = unknown;

/** One probe of one run: measured at each cadence, finished once. */
export interface ProbeInstance<R = ProbeValue> {
  measure(ctx: ProbeContext): R | Promise<R>;
  /**
   * Sees every training step's batch at the parameters its update starts from (after the step's
   * measurements), whatever the cadence: for state accumulated over the actual steps. Records nothing.
   */
  observe?(ctx: ProbeContext): void;
  /** Per-run state for a checkpoint; absent on a stateful probe that cannot be checkpointed. */
  save?(): ProbeState;
  /** Continue from `save()`'s state, on an instance fresh from `setup` of the same run. */
  restore?(state: ProbeState): void;
  /** Releases per-run state (called once, after training, also when the run failed). */
  finish?(): void;
}

/** A probe without per-run state. */
export interface StatelessProbe<E extends Entry> {
  measure(args: ProbeArgs<E>, ctx: ProbeContext, run: ProbeRun): ProbeResult<E> | Promise<ProbeResult<E>>;
}

/** A probe with per-run state: `setup` runs once per run and returns the instance that measures. */
export interface StatefulProbe<E extends Entry> {
  setup(args: ProbeArgs<E>, run: ProbeRun): ProbeInstance<ProbeResult<E>>;
}

/** A probe as the runner sees it: its entry, and how to start it on a run's lowered arguments. */
export interface ProbeDefinition {
  readonly entry: Entry;
  /** `name`: the probe's name in the experiment (default: the entry's name). */
  start(args: Readonly<Record<string, unknown>>, env: ProbeEnv, name?: string): ProbeInstance;
}

/** The implementation of probe `entry`; its arguments and result are typed by the entry. */
export function defineProbe<const E extends Entry & { readonly kind: "probe" }>(entry: E, impl: StatelessProbe<E> | StatefulProbe<E>): ProbeDefinition {
  return {
    entry,
    start(lowered, env, name = entry.name) {
      const args = resolveArgs(entry, lowered, env) as ProbeArgs<E>;
      const run: ProbeRun = { loss: env.loss, name, seeds: env.seeds, board: env.board };
      if ("setup" in impl) return impl.setup(args, run) as ProbeInstance;
      // No per-run state: nothing to save, nothing to restore.
      return { measure: (ctx) => impl.measure(args, ctx, run) as ProbeValue | Promise<ProbeValue>, save: () => null, restore: () => {} };
    },
  };
}

/**
 * Arguments as an implementation receives them: every param present (its default when the lowered
 * arguments leave it out or null), checked against its type, model and data references resolved.
 */
export function resolveArgs(entry: Entry, lowered: Readonly<Record<string, unknown>>, env: ProbeEnv): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const p of entry.params) {
    const given = lowered[p.name];
    const value = given === undefined || (given === null && p.default !== undefined) ? p.default : given;
    if (value === undefined) throw new DyncRuntimeError("RUN040", `${entry.name} needs argument ${p.name} (${describeType(p.type)})`);
    if (p.type.t === "ref" && p.type.of === "model") args[p.name] = env.model(lowered, p.name);
    else if (p.type.t === "ref" && p.type.of === "data") args[p.name] = env.data(lowered, p.name);
    else {
      if (value !== null && !fitsType(p.type, value)) {
        throw new DyncRuntimeError("RUN040", `${entry.name} argument ${p.name} must be ${describeType(p.type)}, got ${JSON.stringify(value)}`);
      }
      args[p.name] = value;
    }
  }
  return args;
}
