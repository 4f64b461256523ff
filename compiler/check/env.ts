/**
 * The names an experiment's expressions see at one sweep point: `let` constants (evaluated lazily, in
 * this point's environment, so `let lr = 0.1 / width` follows the sweep), sweep variables bound to the
 * point's values, and names that exist but have no compile-time value (probes, analyses).
 */
import type * as A from "../../grammar/ast.js";
import type { Env, Evaluator } from "./evaluate.js";
import type { Value } from "./values.js";

export interface Definitions {
  /** Constant lets by name, in source order (top-level ones first). */
  readonly lets: ReadonlyMap<string, A.Expr>;
  /** Names that are results, not constants: probes and analysis lets, with how to describe them. */
  readonly results: ReadonlyMap<string, string>;
  /** The analysis lets among them. */
  readonly analyses?: ReadonlySet<string>;
}

export class PointEnv implements Env {
  private readonly cache = new Map<string, Value | undefined>();
  private readonly evaluating = new Set<string>();

  constructor(
    private readonly defs: Definitions,
    private readonly point: ReadonlyMap<string, Value>,
    private readonly evaluator: Evaluator,
    /** Sweep variables that have no value here (while evaluating the sweep lists themselves). */
    private readonly unboundSweeps: ReadonlySet<string> = new Set(),
    /** Sweep variables whose list failed to evaluate (already reported). */
    private readonly failedSweeps: ReadonlySet<string> = new Set(),
  ) {}

  lookup(name: string): Value | undefined {
    const bound = this.point.get(name);
    if (bound) return bound;
    const expr = this.defs.lets.get(name);
    if (!expr || this.evaluating.has(name)) return undefined;
    if (!this.cache.has(name)) {
      this.evaluating.add(name);
      this.cache.set(name, this.evaluator.eval(expr, this));
      this.evaluating.delete(name);
    }
    // A let that failed to evaluate was reported where it is defined; `failed` keeps its uses silent.
    return this.cache.get(name);
  }

  failed(name: string): boolean {
    if (this.failedSweeps.has(name)) return true;
    return this.defs.lets.has(name) && this.lookup(name) === undefined && !this.evaluating.has(name);
  }

  *names(): Iterable<string> {
    yield* this.point.keys();
    yield* this.defs.lets.keys();
  }

  isAnalysis(name: string): boolean {
    return this.defs.analyses?.has(name) === true;
  }

  notConstant(name: string): string | undefined {
    if (this.unboundSweeps.has(name)) return `the sweep variable \`${name}\``;
    return this.defs.results.get(name);
  }

  /** Evaluate every let once, so errors in unused lets are reported too. */
  evaluateAll(): void {
    for (const name of this.defs.lets.keys()) this.lookup(name);
  }
}
