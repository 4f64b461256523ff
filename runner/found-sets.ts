/**
 * Index sets found during a run (`train[up]` with `let up = top_k(diff(psl)[steps = 150], k: 20) over point`,
 * contract/program.ts FoundSet). The run's result rows of the probes a set reads pass through `tap`, which
 * keeps those up to the set's step; the first probe that reads the set at or after that step has it
 * evaluated there, by the analysis evaluator itself (runtime/analysis) over exactly those rows — the checker
 * proved the set depends on nothing later (compiler/check/found-sets.ts), so the rows are the ones the
 * analysis gives after the run. Probes reading a set are started then (`deferredProbe`) and measure nothing
 * before. What is kept and what was found goes into the run's checkpoint (`save`/`restore`).
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import { evaluate, probeTable, SEEDS, type AnalysisEnv, type Table } from "../runtime/analysis/index.js";
import type { ResultRow } from "../runtime/analysis/results.js";
import type { FoundSet, ProbeSpec, RunSpec } from "../contract/program.js";
import type { ProbeContext } from "../runtime/train/index.js";
import type { ProbeInstance } from "../stdlib/probes/index.js";
import { analysisFunctions } from "../stdlib/implementations.js";
import type { ResultSink } from "./run-sink.js";

/** The found sets a probe's arguments read. */
export function setsReadBy(spec: ProbeSpec): FoundSet[] {
  return Object.values(spec.args).flatMap((v) => (typeof v === "object" && v !== null && "found" in v ? [(v as { found: FoundSet }).found] : []));
}

/**
 * The probes in an order where every probe comes after those the sets it reads are found from (so at a
 * set's step they have recorded before its first reader measures); otherwise as declared.
 */
export function readersLast(specs: readonly ProbeSpec[]): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  const placed = new Set<string>();
  const pending = [...specs];
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => setsReadBy(p).every((s) => s.reads.every((r) => r === p.name || placed.has(r) || !specs.some((q) => q.name === r))));
    // The checker refuses cycles; should one arrive anyway, keep the declared order.
    const [next] = pending.splice(ready < 0 ? 0 : ready, 1);
    out.push(next!);
    placed.add(next!.name);
  }
  return out;
}

/** What a checkpoint keeps of the rows a set will be found from, per probe, as columns. */
interface KeptColumns {
  readonly seed: Float64Array;
  readonly step: Int32Array;
  readonly epoch: Int32Array;
  readonly value: Float64Array;
  /** The index dimension of a per-unit probe (`point`) and each row's position along it. */
  readonly dim: string | null;
  readonly index: Int32Array | null;
}

interface SetsState {
  readonly found: Readonly<Record<string, readonly (readonly number[])[]>>;
  readonly kept: Readonly<Record<string, KeptColumns>>;
}

/** The index sets one run finds, and the rows they are found from. */
export class FoundSets {
  private readonly sets = new Map<string, FoundSet>();
  private readonly found = new Map<string, number[][]>();
  private kept = new Map<string, ResultRow[]>();

  constructor(
    private readonly run: RunSpec,
    private readonly seeds: readonly number[],
    private readonly totalSteps: number,
  ) {
    for (const p of run.probes) for (const s of setsReadBy(p)) this.sets.set(s.name, s);
  }

  /** Whether the run finds any set. */
  get any(): boolean {
    return this.sets.size > 0;
  }

  /** The step after whose measurements every set `spec` reads is known: it measures from there on. */
  startOf(spec: ProbeSpec): number {
    return Math.max(-Infinity, ...setsReadBy(spec).map((s) => s.step));
  }

  /** `sink`, keeping on the way the rows the sets not found yet will be found from. */
  tap(sink: ResultSink): ResultSink {
    if (!this.any) return sink;
    return {
      get totalSteps() {
        return sink.totalSteps;
      },
      setTotalSteps: (run, steps) => sink.setTotalSteps(run, steps),
      add: (row) => {
        if (row.step <= this.horizon(row.probe)) {
          const list = this.kept.get(row.probe);
          if (list) list.push(row);
          else this.kept.set(row.probe, [row]);
        }
        sink.add(row);
      },
    };
  }

  /** Per seed index, the rows of set `name` (ascending), found now if it was not. */
  rows(name: string): readonly (readonly number[])[] {
    const known = this.found.get(name);
    if (known) return known;
    const set = this.sets.get(name);
    if (!set) throw new DyncRuntimeError("RUN040", `no probe of run ${this.run.id} reads an index set "${name}"`);
    const rows = this.perSeed(set, this.evaluate(set));
    this.found.set(name, rows);
    // Rows no set still to be found reads are not needed any more.
    for (const probe of [...this.kept.keys()]) if (this.horizon(probe) === -Infinity) this.kept.delete(probe);
    return rows;
  }

  save(): SetsState {
    const kept = Object.fromEntries([...this.kept].map(([probe, rows]) => [probe, columns(rows)]));
    return { found: Object.fromEntries(this.found), kept };
  }

  restore(state: unknown): void {
    const saved = state as Partial<SetsState> | undefined;
    if (!saved || typeof saved.found !== "object" || typeof saved.kept !== "object" || saved.found === null || saved.kept === null) {
      throw new DyncRuntimeError("RUN032", `the checkpoint of run ${this.run.id} holds no index sets found during the run`, "delete it to restart that run from step 0");
    }
    this.found.clear();
    for (const [name, rows] of Object.entries(saved.found)) this.found.set(name, rows.map((r) => [...r]));
    this.kept = new Map(Object.entries(saved.kept).map(([probe, c]) => [probe, this.rowsOf(probe, c)]));
  }

  /** The last step whose rows of `probe` a set not found yet reads (−∞: none). */
  private horizon(probe: string): number {
    let last = -Infinity;
    for (const s of this.sets.values()) if (!this.found.has(s.name) && s.reads.includes(probe)) last = Math.max(last, s.step);
    return last;
  }

  /** The set's analysis over the rows kept up to its step: the indicator table per seed and point. */
  private evaluate(set: FoundSet): Table {
    const lets = new Map(set.lets.map((l) => [l.name, l.expr] as const));
    const evaluated = new Map<string, Table>();
    const env: AnalysisEnv = {
      probe: (name) => probeTable((this.kept.get(name) ?? []).filter((r) => r.step <= set.step), []),
      analysis: (name) => {
        const cached = evaluated.get(name);
        if (cached) return cached;
        const expr = lets.get(name);
        if (!expr) throw new DyncRuntimeError("RUN040", `index set "${set.name}" reads analysis "${name}", which its definition does not carry`);
        const table = evaluate(expr, env);
        evaluated.set(name, table);
        return table;
      },
      totalSteps: () => this.totalSteps,
      functions: analysisFunctions,
    };
    return evaluate(set.expr, env);
  }

  /** Per seed index, the points where the indicator is 1, ascending; all seeds must have as many. */
  private perSeed(set: FoundSet, table: Table): number[][] {
    const dim = table.dims.find((d) => d !== SEEDS);
    if (table.dims.length !== 2 || !table.dims.includes(SEEDS) || dim === undefined) {
      throw new DyncRuntimeError("RUN040", `index set "${set.name}" found at step ${set.step} has dimensions ${table.dims.join(", ")}, not seeds and one index`);
    }
    const rows = this.seeds.map((seed) =>
      table.rows
        .filter((r) => r.key[SEEDS] === seed && (r.value === 1 || r.value === true))
        .map((r) => Number(r.key[dim]))
        .sort((a, b) => a - b),
    );
    const sizes = rows.map((r) => r.length);
    if (sizes.some((n) => n === 0 || n !== sizes[0])) {
      const listed = sizes.map((n, s) => `${n} for seed ${this.seeds[s]}`).join(", ");
      throw new DyncRuntimeError(
        "RUN040",
        `index set "${set.name}" found at step ${set.step} has ${listed}; a group read by a probe needs the same number of rows for every seed`,
        "a seed whose values are NaN (it diverged) or missing at that step gets fewer rows: measure the probes the set reads at that step, and train stably up to it",
      );
    }
    return rows;
  }

  private rowsOf(probe: string, c: KeptColumns): ResultRow[] {
    return Array.from(c.value, (value, i) => ({
      run: this.run.id,
      point: this.run.point,
      seed: c.seed[i]!,
      step: c.step[i]!,
      epoch: c.epoch[i]!,
      probe,
      value,
      ...(c.dim !== null && c.index ? { index: { [c.dim]: c.index[i]! } } : {}),
    }));
  }
}

function columns(rows: readonly ResultRow[]): KeptColumns {
  const dim = rows[0]?.index ? Object.keys(rows[0].index)[0]! : null;
  return {
    seed: Float64Array.from(rows, (r) => r.seed),
    step: Int32Array.from(rows, (r) => r.step),
    epoch: Int32Array.from(rows, (r) => r.epoch),
    value: Float64Array.from(rows, (r) => r.value),
    dim,
    index: dim === null ? null : Int32Array.from(rows, (r) => r.index![dim]!),
  };
}

/**
 * A probe that reads a set found during the run: it measures nothing before `from` (its value is
 * undefined, so nothing is recorded), and is started — its group resolved to the found rows — at its first
 * measurement from there on. Its checkpoint state says whether it had started, and the started probe's own.
 */
export function deferredProbe(start: () => ProbeInstance, from: number): ProbeInstance {
  let inner: ProbeInstance | undefined;
  return {
    measure(ctx: ProbeContext) {
      if (ctx.step < from) return undefined as never;
      inner ??= start();
      return inner.measure(ctx);
    },
    observe(ctx: ProbeContext) {
      if (inner?.observe) inner.observe(ctx);
    },
    save() {
      if (inner && !inner.save) throw new DyncRuntimeError("RUN032", "this probe keeps per-run state that cannot be checkpointed (it has no save/restore)");
      return { started: inner !== undefined, state: inner ? inner.save!() : null };
    },
    restore(state: unknown) {
      const saved = state as { started?: unknown; state?: unknown } | null;
      if (!saved || typeof saved.started !== "boolean") throw new DyncRuntimeError("RUN032", "the checkpoint's state of a probe reading an index set is not readable");
      if (!saved.started) return;
      inner = start();
      if (!inner.restore) throw new DyncRuntimeError("RUN032", "this probe keeps per-run state that cannot be checkpointed (it has no save/restore)");
      inner.restore(saved.state);
    },
    finish() {
      inner?.finish?.();
    },
  };
}
