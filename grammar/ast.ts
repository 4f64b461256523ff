/**
 * The typed syntax tree of a `.dyn` file. Every node carries its source span. After a syntax error the
 * parser still yields a tree: what could not be read becomes an `Error` node (expressions) or an
 * `ErrorStatement`, so the checker and the language server see every well-formed part of the file.
 */
import type { Span } from "../diagnostics/source.js";

export interface NodeBase {
  readonly span: Span;
}

export interface Identifier extends NodeBase {
  readonly kind: "Identifier";
  readonly name: string;
}

// ── expressions ──────────────────────────────────────────────────────────────
export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameRef
  | ListExpr
  | IntervalExpr
  | TupleExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | WithinExpr
  | RangeExpr
  | QuantityExpr
  | CallExpr
  | MemberExpr
  | IndexExpr
  | ErrorExpr;

export interface NumberLit extends NodeBase {
  readonly kind: "Number";
  /** The value with any `k`/`M` suffix applied: `50k` → 50000. */
  readonly value: number;
  /** The source text, kept so the formatter prints `50k` and `1e-3` as written. */
  readonly text: string;
}
export interface StringLit extends NodeBase {
  readonly kind: "String";
  readonly value: string;
}
export interface BoolLit extends NodeBase {
  readonly kind: "Bool";
  readonly value: boolean;
}
export interface NameRef extends NodeBase {
  readonly kind: "Name";
  readonly name: string;
}
/** `[a, b, c]` */
export interface ListExpr extends NodeBase {
  readonly kind: "List";
  readonly items: readonly Expr[];
}
/** `[lo, hi)`: a half-open interval (a closed one is written as a two-element list). */
export interface IntervalExpr extends NodeBase {
  readonly kind: "Interval";
  readonly lo: Expr;
  readonly hi: Expr;
}
/** `(a, b)` */
export interface TupleExpr extends NodeBase {
  readonly kind: "Tuple";
  readonly items: readonly Expr[];
}
/** `(a)`: kept so the formatter reproduces the parentheses a person wrote for clarity. */
export interface ParenExpr extends NodeBase {
  readonly kind: "Paren";
  readonly inner: Expr;
}
export type UnaryOp = "-" | "+" | "not";
export interface UnaryExpr extends NodeBase {
  readonly kind: "Unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
}
export type BinaryOp =
  | "+" | "-" | "*" | "/" | "^"
  | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in"
  | "and" | "or"
  | "~" | "vs"
  | "after" | "before" | "during"
  | "over" | "by";
export interface BinaryExpr extends NodeBase {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}
/** `value within tolerance of reference`, e.g. `max(sharp after 50%) within 10% of 2/lr`. */
export interface WithinExpr extends NodeBase {
  readonly kind: "Within";
  readonly value: Expr;
  readonly tolerance: Expr;
  readonly reference: Expr;
}
/** `from..to` or `from..to step s` (inclusive of `to` when the steps land on it). */
export interface RangeExpr extends NodeBase {
  readonly kind: "Range";
  readonly from: Expr;
  readonly to: Expr;
  readonly step?: Expr;
}
export type Unit = "steps" | "epochs" | "%";
/** `10k steps`, `every epoch` (no value: one), `50%`. */
export interface QuantityExpr extends NodeBase {
  readonly kind: "Quantity";
  readonly value?: Expr;
  readonly unit: Unit;
}
export type Argument = PositionalArg | NamedArg | BindingArg;
export interface PositionalArg extends NodeBase {
  readonly kind: "Positional";
  readonly value: Expr;
}
/** `n: 201` */
export interface NamedArg extends NodeBase {
  readonly kind: "Named";
  readonly name: Identifier;
  readonly value: Expr;
}
/** `x in [-1, 1]` (a domain) or `k in 5..70 step 5: sin(k*t)` (a comprehension with a body). */
export interface BindingArg extends NodeBase {
  readonly kind: "Binding";
  readonly name: Identifier;
  readonly domain: Expr;
  readonly body?: Expr;
}
export interface CallExpr extends NodeBase {
  readonly kind: "Call";
  readonly callee: Expr;
  readonly args: readonly Argument[];
}
export interface MemberExpr extends NodeBase {
  readonly kind: "Member";
  readonly object: Expr;
  readonly member: Identifier;
}
/** `at first(…)` / `at 150 steps` in `h[opt = gd, at …]`: which of another run's measurements to read. */
export type IndexItem = Expr | WildcardItem | SelectorItem | AtCadence | FirstCadence;
/** `[*]`: every layer of a group. */
export interface WildcardItem extends NodeBase {
  readonly kind: "Wildcard";
}
/** `[act = silu]`: the slice of a result at one sweep value. */
export interface SelectorItem extends NodeBase {
  readonly kind: "Selector";
  readonly name: Identifier;
  readonly value: Expr;
}
export interface IndexExpr extends NodeBase {
  readonly kind: "Index";
  readonly object: Expr;
  readonly items: readonly IndexItem[];
}
/** What could not be parsed; a diagnostic was reported for it. */
export interface ErrorExpr extends NodeBase {
  readonly kind: "Error";
}

// ── statements ───────────────────────────────────────────────────────────────
export type Statement =
  | ImportStmt
  | LetStmt
  | ExperimentStmt
  | SweepStmt
  | SeedsStmt
  | DataStmt
  | ModelStmt
  | InitStmt
  | ClauseStmt
  | TrainStmt
  | CheckpointStmt
  | ProbeStmt
  | ExpectStmt
  | PlotStmt
  | ProfileStmt
  | ErrorStatement;

export interface ImportStmt extends NodeBase {
  readonly kind: "Import";
  readonly path: StringLit;
}
export interface LetStmt extends NodeBase {
  readonly kind: "Let";
  readonly name: Identifier;
  readonly value: Expr;
}
export interface ExperimentStmt extends NodeBase {
  readonly kind: "Experiment";
  readonly name: Identifier;
  readonly body: readonly Statement[];
}
/** `sweep width in [10, 20]` or `sweep (lr, bs) in zip([…], […])`. */
export interface SweepStmt extends NodeBase {
  readonly kind: "Sweep";
  readonly vars: readonly Identifier[];
  /** True when the variables were written as a tuple `(a, b)`. */
  readonly tuple: boolean;
  readonly values: Expr;
}
export interface SeedsStmt extends NodeBase {
  readonly kind: "Seeds";
  readonly value: Expr;
}
/** `x ~ uniform(-2, 2) [1024]` inside a data block. */
export interface SampleStmt extends NodeBase {
  readonly kind: "Sample";
  readonly name: Identifier;
  readonly distribution: CallExpr | ErrorExpr;
  readonly size?: Expr;
}
/** `y = x^2` inside a data block. */
export interface AssignStmt extends NodeBase {
  readonly kind: "Assign";
  readonly name: Identifier;
  readonly value: Expr;
}
/** `resample: every_step` inside a data block: an option of the data set, written as a source takes it as an argument. */
export interface DataOptionStmt extends NodeBase {
  readonly kind: "DataOption";
  readonly name: Identifier;
  readonly value: Expr;
}
export type DataItem = SampleStmt | AssignStmt | DataOptionStmt | ErrorStatement;
/**
 * `data train { x ~ uniform(-2, 2) [1024]; y = x^2 }`, `data g = grid(x in [-1, 1], n: 201) -> sin(x)`,
 * `data digits = mnist(split: train)`.
 */
export interface DataStmt extends NodeBase {
  readonly kind: "Data";
  readonly name: Identifier;
  readonly source?: Expr;
  readonly target?: Expr;
  readonly block?: readonly DataItem[];
}
/** One line of a model block: `conv1 = conv2d(filters: 32, kernel: 3)` or `flatten`. */
export interface LayerStmt extends NodeBase {
  readonly kind: "Layer";
  readonly name?: Identifier;
  readonly value: Expr;
}
export type ModelItem = LayerStmt | ErrorStatement;
/** `model net = mlp(…)` or `model net { layers… }`. */
export interface ModelStmt extends NodeBase {
  readonly kind: "Model";
  readonly name: Identifier;
  readonly value?: Expr;
  readonly layers?: readonly ModelItem[];
}
/** `init net.hidden[*] ~ normal(std: m ^ -gamma)` or `init phase(gamma: 1.75, gamma_prime: 0)`. */
export interface InitStmt extends NodeBase {
  readonly kind: "Init";
  readonly target?: Expr;
  readonly scheme: Expr;
}
export type ClauseKeyword = "loss" | "regularize" | "optimizer" | "schedule";
/** `loss mse`, `regularize l2(1e-4)`, `optimizer adam(lr: 1e-2)`, `schedule step_decay(…)`. */
export interface ClauseStmt extends NodeBase {
  readonly kind: "Clause";
  readonly keyword: ClauseKeyword;
  readonly value: Expr;
}
/** `batch full`, `batch 128`, `shuffle once`. */
export interface TrainOption extends NodeBase {
  readonly kind: "TrainOption";
  readonly name: "batch" | "shuffle";
  readonly value: Expr;
}
/** `train 50k steps, batch full`. */
export interface TrainStmt extends NodeBase {
  readonly kind: "Train";
  readonly duration: Expr;
  readonly options: readonly TrainOption[];
}
/** `checkpoint every 500 steps`: how often a run saves its whole state for `dync run --resume`. */
export interface CheckpointStmt extends NodeBase {
  readonly kind: "Checkpoint";
  readonly interval: Expr;
}
export type Cadence = EveryCadence | AtCadence | FirstCadence;
/** `every 10 steps`, `every epoch`, `every 10%` (a share of training). */
export interface EveryCadence extends NodeBase {
  readonly kind: "Every";
  readonly interval: Expr;
}
/** `at end`, `at [start, 100, 1000, end]`. */
export interface AtCadence extends NodeBase {
  readonly kind: "At";
  readonly points: Expr;
}
/** `at first(sharp > 2/lr)`: once, at the first step where the condition holds. */
export interface FirstCadence extends NodeBase {
  readonly kind: "AtFirst";
  readonly condition: Expr;
}
export interface ProbeStmt extends NodeBase {
  readonly kind: "Probe";
  readonly name: Identifier;
  /** `probe top[opt = gd] = …`: measured only in the runs at these sweep values (absent: in every run). */
  readonly only?: readonly IndexItem[];
  readonly value: Expr;
  readonly cadences: readonly Cadence[];
}
export interface ExpectStmt extends NodeBase {
  readonly kind: "Expect";
  readonly condition: Expr;
}
export interface PlotStmt extends NodeBase {
  readonly kind: "Plot";
  readonly value: Expr;
}
/** `profile quick { seeds 8; train 2k steps }`: overrides applied with `--profile quick`. */
export interface ProfileStmt extends NodeBase {
  readonly kind: "Profile";
  readonly name: Identifier;
  readonly body: readonly Statement[];
}
/** A statement that could not be parsed; a diagnostic was reported for it. */
export interface ErrorStatement extends NodeBase {
  readonly kind: "ErrorStatement";
}

export interface Comment extends NodeBase {
  readonly kind: "Comment";
  readonly text: string;
  readonly block: boolean;
}

export interface Program extends NodeBase {
  readonly kind: "Program";
  readonly items: readonly Statement[];
  readonly comments: readonly Comment[];
}

export type Node =
  | Program
  | Statement
  | DataItem
  | ModelItem
  | TrainOption
  | Cadence
  | Expr
  | Argument
  | IndexItem
  | Identifier
  | Comment;
