/**
 * Every diagnostic dync can report, in one table: code, severity, a short name and a message template.
 * Placeholders `{name}` in a template are typed parameters: `diagnostic("DYN1001", span, { char: "@" })`
 * fails to compile when the code is unknown or a parameter is missing. docs/diagnostics.md is generated
 * from this table.
 *
 * Ranges: DYN1xxx lexical and syntax errors, DYN2xxx names and types (the checker), DYN3xxx run plan,
 * DYN4xxx command line and files.
 */
export type Severity = "error" | "warning" | "info";

export interface MessageSpec {
  readonly name: string;
  readonly severity: Severity;
  readonly message: string;
  /** One or two sentences for the generated docs: when it happens and how to fix it. */
  readonly help: string;
}

export const messages = {
  // ── lexical ────────────────────────────────────────────────────────────────
  DYN1001: {
    name: "unexpected-character",
    severity: "error",
    message: "unexpected character {char}",
    help: "The character cannot start any token of the language. Remove it, or quote it inside a string.",
  },
  DYN1002: {
    name: "unterminated-string",
    severity: "error",
    message: "unterminated string: a string must end with `\"` on the same line",
    help: 'Close the string with a double quote. Use `\\"` for a quote and `\\n` for a newline inside it.',
  },
  DYN1003: {
    name: "invalid-number",
    severity: "error",
    message: "invalid number `{text}`: {reason}",
    help: "Numbers are written `12`, `0.5`, `1e-3`, or with a count suffix `50k` (×1000) and `2M` (×1,000,000).",
  },
  DYN1004: {
    name: "unterminated-comment",
    severity: "error",
    message: "unterminated block comment: `/*` has no matching `*/`",
    help: "Close the comment with `*/`, or use `//` for a comment that runs to the end of the line.",
  },
  DYN1005: {
    name: "invalid-escape",
    severity: "error",
    message: "unknown escape `{escape}` in string",
    help: 'Strings support `\\\\`, `\\"`, `\\n`, `\\t` and `\\u{…}` escapes.',
  },
  DYN1006: {
    name: "invalid-encoding",
    severity: "error",
    message: "the file is not valid UTF-8 (first bad byte at offset {offset})",
    help: "Save the file as UTF-8.",
  },
  DYN1007: {
    name: "binary-file",
    severity: "error",
    message: "this looks like a binary file, not `.dyn` source (it contains a NUL byte)",
    help: "Check the path: dync reads `.dyn` text files.",
  },
  // ── syntax ─────────────────────────────────────────────────────────────────
  DYN1101: {
    name: "expected-token",
    severity: "error",
    message: "expected {expected}{context}, found {found}",
    help: "The parser needed a specific symbol or keyword here. The message names it and what came instead.",
  },
  DYN1102: {
    name: "expected-construct",
    severity: "error",
    message: "expected {expected}{context}, found {found}",
    help: "The parser needed a whole construct here, such as an expression, a duration or a statement.",
  },
  DYN1103: {
    name: "unclosed-delimiter",
    severity: "error",
    message: "{open} opened here is never closed",
    help: "Every `{`, `(` and `[` needs its matching `}`, `)` or `]`.",
  },
  DYN1104: {
    name: "unexpected-closing",
    severity: "error",
    message: "unexpected {found}: nothing is open here",
    help: "A closing bracket has no matching opening bracket. Remove it or add the opening one.",
  },
  DYN1105: {
    name: "statement-outside-experiment",
    severity: "error",
    message: "`{keyword}` belongs inside an experiment block",
    help: "At the top level of a file only `import`, `let`, `data`, `model` and `experiment` may appear.",
  },
  DYN1106: {
    name: "statement-not-in-block",
    severity: "error",
    message: "`{keyword}` cannot appear inside {block}",
    help: "Data blocks hold samples and assignments (`x ~ uniform(-1, 1) [256]`, `y = x^2`); model blocks hold layers.",
  },
  DYN1107: {
    name: "too-deep",
    severity: "error",
    message: "expression nested too deeply (more than {limit} levels)",
    help: "Split the expression with `let` definitions.",
  },
  DYN1108: {
    name: "interval-arity",
    severity: "error",
    message: "a half-open interval `[a, b)` needs exactly two bounds, found {count}",
    help: "Write `[lo, hi)` for an interval that excludes its upper end, or `[a, b, c]` for a list.",
  },
  DYN1112: {
    name: "operator-after-reduction",
    severity: "error",
    message: "`{op}` cannot follow `{keyword} {group}`: `{keyword}` binds looser than {what}, so the expression ended before `{op}`",
    help: "A reduction `… over dims` or `… by dims` takes everything to its left and only a name or a tuple of names to its right, so an operator after it has no left operand. Put the reduction in parentheses: `(sum(x) over point) / 3`, `(mean(x) over pair) after 50%`.",
  },
  // ── names, types and values ────────────────────────────────────────────────
  DYN1109: {
    name: "empty-item",
    severity: "error",
    message: "a comma with nothing before it",
    help: "Lists and arguments separate items with single commas: `[10, 20]`; one trailing comma is allowed (`[10, 20,]`), a repeated one (`[10,,]`) is a typo.",
  },
  DYN1110: {
    name: "chain-too-long",
    severity: "error",
    message: "expression too long (more than {limit} operators, calls or indexings deep)",
    help: "dync limits how deep an expression's tree may grow so that checking it cannot exhaust the stack. Split a long chain such as `a + b + c + …` with `let` definitions.",
  },
  DYN1111: {
    name: "number-not-finite",
    severity: "error",
    message: "`{text}` is too large for a 64-bit float (it would be infinite)",
    help: "Numbers are IEEE-754 doubles, whose largest finite value is about 1.8e308. Write `inf` where infinity is meant.",
  },
  DYN2001: {
    name: "unknown-name",
    severity: "error",
    message: "unknown name `{name}`",
    help: "The name is not a `let`, a sweep variable, a data set, a model, a probe or a standard-library entry. Check the spelling; the hint suggests the closest known name.",
  },
  DYN2002: {
    name: "bad-operand",
    severity: "error",
    message: "`{op}` cannot be applied to {operand}",
    help: "Arithmetic works on numbers (and `*`/`+` on lists: `[128] * 4`, `[1] + [2]`); `and`, `or`, `not` on booleans.",
  },
  DYN2003: {
    name: "not-constant",
    severity: "error",
    message: "{what} has no value before training, so it cannot be used as {context}",
    help: "Sweep lists, seeds, durations and registry arguments are evaluated by the compiler; they may use `let` constants and sweep variables, not measured results.",
  },
  DYN2004: {
    name: "wrong-type",
    severity: "error",
    message: "{what} must be {expected}, not {got}",
    help: "The value has the wrong type for where it is used.",
  },
  DYN2005: {
    name: "wrong-arguments",
    severity: "error",
    message: "`{fn}` takes {expected}; got {count}",
    help: "The call has the wrong number or form of arguments.",
  },
  DYN2006: {
    name: "unit-mismatch",
    severity: "error",
    message: "`{op}` cannot combine {left} with {right}",
    help: "Durations keep their unit: `10k steps + 500 steps` is fine, `10 steps + 3 epochs` is not. A count may scale a duration (`2 * 10 steps`).",
  },
  DYN2007: {
    name: "bad-range",
    severity: "error",
    message: "this range is invalid: {problem}",
    help: "Ranges are written `from..to` or `from..to step s` with a positive step, and include `to` when the steps land on it.",
  },
  DYN2008: {
    name: "zip-lengths",
    severity: "error",
    message: "`zip` needs lists of equal length; got lengths {lengths}",
    help: "`sweep (lr, bs) in zip([…], […])` pairs the i-th elements; give every list the same number of elements.",
  },
  DYN2009: {
    name: "division-by-zero",
    severity: "error",
    message: "division by zero",
    help: "The divisor evaluates to 0 at compile time.",
  },
  DYN2010: {
    name: "unknown-entry",
    severity: "error",
    message: "unknown {kind} `{name}`",
    help: "The name is not in the standard library for this role; see docs/stdlib.md for every entry. The hint suggests the closest name.",
  },
  DYN2011: {
    name: "unknown-parameter",
    severity: "error",
    message: "`{fn}` has no parameter `{param}`",
    help: "The hint lists the parameters it has, or the closest one to what was written.",
  },
  DYN2012: {
    name: "missing-argument",
    severity: "error",
    message: "`{fn}` needs `{param}`: {type}",
    help: "This parameter has no default; give it, e.g. `{param}: …`.",
  },
  DYN2013: {
    name: "duplicate-argument",
    severity: "error",
    message: "`{param}` is given twice to `{fn}`",
    help: "Each parameter may be given once, positionally or by name.",
  },
  DYN2014: {
    name: "argument-rule",
    severity: "error",
    message: "`{fn}`: {rule}",
    help: "The arguments each fit their own type, but not together: an entry's rules (listed under it in docs/stdlib.md) say which combinations are allowed, e.g. `sgd(nesterov: true)` needs `momentum` > 0 and `dampening: 0`. Change one of the arguments the message names.",
  },
  DYN2020: {
    name: "duplicate-statement",
    severity: "error",
    message: "an experiment has one `{keyword}` statement; this is a second one",
    help: "To try several values, sweep them: `sweep opt in [sgd(lr: 0.1), adam(lr: 1e-3)]` then `optimizer opt`. A profile overrides them key by key with `profile NAME { … }`.",
  },
  DYN2021: {
    name: "missing-statement",
    severity: "error",
    message: "experiment `{name}` has no `{keyword}` statement",
    help: "Every experiment needs training data, a model, an optimizer and a `train` duration.",
  },
  DYN2022: {
    name: "duplicate-name",
    severity: "error",
    message: "`{name}` is already defined",
    help: "Names of lets, sweep variables, data sets, models and probes must be distinct within an experiment.",
  },
  DYN2023: {
    name: "unknown-reference",
    severity: "error",
    message: "unknown {what} `{name}`",
    help: "The name must be defined in this experiment (or at the top level of the file).",
  },
  DYN2024: {
    name: "sweep-variable-column-clash",
    severity: "error",
    message: "sweep variable `{name}` would clash with the metrics column `{name}`",
    help: "Each sweep variable becomes a column of metrics.csv and metrics.jsonl beside the columns every row has (the run id, seed, step, epoch, probe name, value and tensor file; the hint lists their names), and a variable with one of those names would overwrite that column. Rename the variable.",
  },
  DYN2025: {
    name: "sweep-variable-reserved-name",
    severity: "error",
    message: "sweep variable `{name}` would clash with {what}",
    help: "A sweep variable is a dimension of every result: analyses reduce and select over it beside the dimensions `seeds` and `steps`, and results.csv gives it a column beside its own columns kind, name, line and field. A variable named like one of those would be taken for it (an analysis then mixes the two, or results.csv has two columns of one name). Rename the variable.",
  },
  DYN2030: {
    name: "shape-mismatch",
    severity: "error",
    message: "{what}: the model has {expected} but the data has {actual}",
    help: "Input and output widths are inferred from the training data when `in:`/`out:` are left out; give them only to check them.",
  },
  DYN2031: {
    name: "not-in-target",
    severity: "error",
    message: "{what} cannot be used in a target expression",
    help: "Targets are pointwise functions of the input variables: arithmetic, math functions, constants, sweep variables and comprehensions like `sum(k in 1..5: sin(k*x))`.",
  },
  DYN2032: {
    name: "bad-data",
    severity: "error",
    message: "{problem}",
    help: "A data block samples input variables (`x ~ uniform(-2, 2) [1024]`) and assigns targets (`y = x^2`); every sample needs a size, and all sizes must agree.",
  },
  DYN2033: {
    name: "bad-conv-model",
    severity: "error",
    message: "{problem}",
    help: "`cnn(filters: [...], kernel: 5, …)` trains on image data (`mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `gratings`), whose `[H, W, C]` shape it takes; every conv block (and its pooling) must leave at least one pixel. Its layers start from per-layer inits (`init net.layers[*] ~ …`); `init phase(…)` is for one-hidden-layer MLPs.",
  },
  DYN2034: {
    name: "bad-seed",
    severity: "error",
    message: "seed {seed} {problem}",
    help: "Seeds are distinct whole numbers in [0, 4294967295] (`seeds 8` means 0 … 7). The random generator reads a seed as a 32-bit unsigned integer, so a larger seed would silently repeat a smaller one's networks and data.",
  },
  DYN2035: {
    name: "inputs-disagree",
    severity: "error",
    message: "{problem}",
    help: "The model reads its inputs by position, so every data set of an experiment gives it the same input variables in the same order. A `grid`, `points` or `chebyshev` data set names its inputs; a data block offers the variables it samples, and those another data set lacks are latent (read by the target, not by the model). docs/language.md, \"Inputs and latent variables\".",
  },
  DYN2040: {
    name: "bad-cadence",
    severity: "error",
    message: "{problem}",
    help: "Cadences are `every N steps`, `every N epochs`, `every 10%` (a share of each run's training), `at end`, `at [start, 100, end]`, `at 25%` or `at first(condition)`; times must lie within training, shares between 0% and 100%.",
  },
  DYN2041: {
    name: "bad-analysis",
    severity: "error",
    message: "{problem}",
    help: "Analyses combine probe results with reductions (`median(x) over seeds`), selections (`x[width = 10]`), fits (`fit_power_law(y ~ width)`), arithmetic and comparisons.",
  },
  DYN2042: {
    name: "unknown-profile",
    severity: "error",
    message: "experiment `{experiment}` has no profile `{profile}`",
    help: "Profiles are declared in the experiment with `profile NAME { … }`.",
  },
  DYN2043: {
    name: "heatmap-without-matrix",
    severity: "error",
    message: "`heatmap({name})` without `x:` and `y:` needs a matrix probe, but `{name}` is {what}",
    help: "A heatmap draws either the matrices a probe recorded (`heatmap(cos)` for `probe cos = cosine_similarity(net) at [start, end]`) or a result over two of its dimensions: `heatmap(fp.error, x: steps, y: frequency)`.",
  },
  DYN2044: {
    name: "bad-plot-mark",
    severity: "error",
    message: "`mark: {name}`: {problem}",
    help: "`mark:` on a line plot over steps draws a vertical rule at every step a probe was measured (a snapshot probe `at [start, 500]`, or one triggered `at first(…)`, where its event fired), or at the step values of an analysis such as `convergence_step(…)`.",
  },
  DYN2045: {
    name: "bad-image-plot",
    severity: "error",
    message: "`image({name})`: {problem}",
    help: "`image` draws per-point values of an `outputs` probe over a two-input `grid(…)` at their recorded coordinates: `plot image(f.output)` (colour scale), `plot image(f.output, f.output1, f.output2)` (RGB, clipped to [0, 1]), `plot image(f.region)` (activation regions), with `at: [start, end]`, `seed:` and `facet:` as for heatmaps.",
  },
  DYN2046: {
    name: "layer-needs-images",
    severity: "error",
    message: "{problem}",
    help: "`conv2d`, `max_pool` and `avg_pool` work on images `[H, W, C]`: train on an image data set (`mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `gratings`), and put them before `flatten` and the dense layers.",
  },
  DYN2047: {
    name: "layer-needs-flatten",
    severity: "error",
    message: "{problem}",
    help: "A dense layer (or an encoding) reads rows of values. Images straight from the data are read as rows of H·W·C values, but the feature maps of a `conv2d` or a pool need an explicit `flatten` first.",
  },
  DYN2048: {
    name: "layer-too-large",
    severity: "error",
    message: "{problem}",
    help: "Every convolution and pool must leave at least one pixel: use a smaller `kernel` or pool `size`, `padding: same`, or fewer layers. The sizes follow TensorFlow's rules: `valid` gives ⌊(in − kernel)/stride⌋ + 1, `same` gives ⌈in/stride⌉, a pool ⌊in/size⌋.",
  },
  DYN2049: {
    name: "layer-output-width",
    severity: "error",
    message: "`{name}` gives {width} output{plural}, but the data has {actual}",
    help: "The last layer's width must equal the number of targets (regression) or classes (classification). Leave the width out of the last `dense()` to take it from the data.",
  },
  DYN2050: {
    name: "bad-layer-list",
    severity: "error",
    message: "{problem}",
    help: "A model block lists layers in forward order, one per line, optionally named (`hidden = dense(128, act: relu)`), ending in rows of outputs (usually a `dense` layer). Names address layers in inits and probes (`init net.hidden ~ …`), so each is used once.",
  },
  DYN2051: {
    name: "gd-with-minibatch",
    severity: "error",
    message: "`gd` is full-batch gradient descent, but this run trains on batches of {size}",
    help: "`optimizer gd(…)` takes the gradient of the whole training set at each step. Train with `batch full`, or use `sgd(lr: …)` (optionally with momentum) for minibatch stochastic gradient descent.",
  },
  DYN2052: {
    name: "bad-checkpoint",
    severity: "error",
    message: "`checkpoint every` takes a whole number of steps or epochs ≥ 1, like `checkpoint every 500 steps`, or a share of training above 0% and at most 100%, like `checkpoint every 10%`; got {got}",
    help: "A checkpoint saves a run's whole training state (parameters, optimizer state, random streams, probe state) every N steps or epochs, so that `dync run --resume DIR` continues a killed run exactly. N counts in the `train` statement's unit unless `steps` or `epochs` follows it. A share (`every 10%`) checkpoints at the steps where a probe's `every 10%` measures, resolved against each run's own length, so a profile that trains longer keeps it.",
  },
  DYN2053: {
    name: "not-a-publisher",
    severity: "error",
    message: "{arg} names probe `{name}`, {what}, which measures no Hessian eigenvectors",
    help: "`along:` takes the name of a probe that measures Hessian eigenvectors (`hessian`, `sharpness`) declared in the same experiment: `probe h = hessian(net, train, k: 1)` then `probe c = curvature(net, group, along: h)`. The probe reads that probe's latest eigenvector of the run.",
  },
  DYN2058: {
    name: "bad-run-selection",
    severity: "error",
    message: "`{text}` does not select one run of the sweep: {problem}",
    help: "A probe may read a value measured in another run of the same profile: `along: h[opt = gd]` is probe `h` of the run whose sweep variable `opt` is `gd`, every other sweep variable as in the reading run (a variable zipped with `opt` follows it). The selection must name sweep variables and pick exactly one run.",
  },
  DYN2075: {
    name: "cross-run-cycle",
    severity: "error",
    message: "runs read each other's values in a cycle: {cycle}",
    help: "A run that reads another run's value (`along: h[opt = gd]`) trains after it, so the runs must form no cycle. Read the value from a run that reads nothing from the others (the GD run that measures the eigenvector).",
  },
  DYN2076: {
    name: "cross-run-producer-cadence",
    severity: "error",
    message: "probe `{name}` of run {run} is measured more than once, so other runs cannot tell which of its values to read",
    help: "A value handed to other runs is measured at one point of training: `at first(sharp > 2 / lr)` (for each seed, the first step the condition holds) or one step (`at 500`, `at end`). The producing run writes it to the run directory when it is measured; the reading runs load it before their first step. Or name the measurement in the selection: `h[opt = gd, at first(sharp > 2 / lr)]`, `h[opt = gd, at 150 steps]`.",
  },
  DYN2077: {
    name: "cross-run-parameters",
    severity: "error",
    message: "probe `{name}` of run {run} measures a vector over parameters {theirs}, but run {reader} has parameters {mine}",
    help: "A vector over the parameters (a Hessian eigenvector) is read by runs of the same model shape only: select a run that differs from the reader in the optimizer, the learning rate or the batch, not in the width or the data.",
  },
  DYN2078: {
    name: "bad-probe-sweep-points",
    severity: "error",
    message: "probe `{name}` cannot be limited to these sweep points: {problem}",
    help: "`probe top[opt = gd] = …` measures the probe only in the runs whose sweep variable `opt` is `gd` (several values: `opt in [gd, sgd]`; several variables: `[opt = gd, width = 10]`, all must hold). Each item names a sweep variable of the profile and values it takes.",
  },
  DYN2079: {
    name: "probe-not-measured-in-run",
    severity: "error",
    message: "{what} needs probe `{name}` in run {run}, but `{name}` is measured only where {points}",
    help: "A probe limited to some sweep points (`probe top[opt = gd] = …`) has no values in the other runs. Read it there from the runs that measure it (`along: top[opt = gd]`, `top[opt = gd]` in an analysis), or measure it in those runs too.",
  },
  DYN2085: {
    name: "set-not-found-in-run",
    severity: "error",
    message: "a probe cannot read the index set `{name}` during the run: {problem}",
    help: "A probe's group may be an index set an analysis of the same run finds (`probe g = grad_norm(net, train[up])` with `let up = top_k(diff(psl)[steps = 150], k: 20) over point`). The runner finds it as soon as the measurements it reads are recorded up to a fixed step, so it must be `top_k` or `bottom_k` over point of values pinned to one step (`x[steps = k]`, `last(x before k steps)`), and may combine them elementwise; the series under the pin may be probes, elementwise arithmetic, `diff(…) over steps` and reductions over other dimensions. The probe measures from that step on (nothing before). docs/language.md, \"When an index set is known\".",
  },
  DYN2086: {
    name: "set-cycle",
    severity: "error",
    message: "probe `{probe}` reads the index set `{name}`, which is found from its own measurements: {cycle}",
    help: "An index set found during the run is computed from probes measured before it is known, and a probe reading it measures only after, so no probe may read a set found from its own values, directly or through another set.",
  },
  DYN2054: {
    name: "wrong-kind-of-name",
    severity: "error",
    message: "`{name}` is {actual}, not {expected}",
    help: "The argument names something the experiment defines, but of another kind: a probe's data argument needs a `data` set (`outputs(net, train)`, rows as `train[0:10]`), its model argument a `model`.",
  },
  DYN2057: {
    name: "optimizer-stat-unavailable",
    severity: "error",
    message: "`optimizer_stat({stat})` is reported by {reporters}, but the runs train with {optimizers}",
    help: "`optimizer_stat(name)` reads a statistic the run's optimizer computes in its update (`above_threshold`: the sign-threshold SGD's fraction of coordinates that took a sign step). In a sweep over optimizers, runs whose optimizer does not report it record nothing for the probe; at least one run must.",
  },
  DYN2059: {
    name: "sampler-needs-data",
    severity: "error",
    message: "`{sampler}` {problem}",
    help: "Pair samplers draw from the probe's data set: `patches` and `opposite_quadrants` need rows on a 2-D grid of two inputs (`grid(x in [0, 1], y in [0, 1], n: 128)`, a coordinate image), `windows` one input (`grid(t in [0, 1), n: 2048)`), `knn(class: same)` and `knn(class: different)` class labels. `between`'s row ranges, `windows`' size and the `anchors` of `knn` and `farthest` must fit the data set's rows when its size is known.",
  },
  DYN2100: {
    name: "unused-sweep",
    severity: "warning",
    message: "sweep variable `{name}` is never used",
    help: "Every value of the sweep trains the same thing; use the variable (e.g. `hidden: [{name}]`) or remove the sweep.",
  },
  DYN2101: {
    name: "probe-without-cadence",
    severity: "warning",
    message: "probe `{name}` has no cadence; it is measured at the end only",
    help: "Add `every N steps`, `at [...]` or `at end` to say when to measure.",
  },
  DYN2102: {
    name: "unused-probe",
    severity: "info",
    message: "probe `{name}` is recorded but used by no analysis, expect or plot",
    help: "Its values are still written to the run directory.",
  },
  DYN2103: {
    name: "unused-sample",
    severity: "warning",
    message: "`{name}` is sampled in `{data}` but {problem}",
    help: "Every variable sampled in a data block is either a model input (every data set has it) or a latent variable the target reads (label noise, a hidden cause). One that is neither is drawn for nothing; an input the target ignores is a distractor the model must learn to ignore.",
  },
  DYN2104: {
    name: "latent-variable",
    severity: "info",
    message: "`{name}` is a latent variable of `{data}`: the target reads it, the model does not",
    help: "A variable sampled in a data block that another data set of the experiment lacks is drawn per point and seen by the target only, like label noise: `noise ~ normal(0, 0.1) [512]; y = sin(2*x) + noise`. `dync plan` lists every data set's inputs and latent variables.",
  },
  DYN2106: {
    name: "checkpoint-never-taken",
    severity: "warning",
    message: "`checkpoint every {every}` is not shorter than training ({total}): no checkpoint will be taken",
    help: "Checkpoints are taken inside training only (at step 0 and at the end there is nothing to resume). Choose an interval shorter than the `train` duration, or remove the statement.",
  },
  DYN2107: {
    name: "data-file-missing",
    severity: "warning",
    message: "`{source}` reads `{path}`, which does not exist (looked for {resolved})",
    help: "Data files named in `image(file: …)`, `csv(…)` and `npy(…)` are read relative to the `.dyn` file when a run starts; a run without the file fails with RUN010. A warning, not an error, since the file may be put there before the program runs (or exist only on the machine that runs it).",
  },
  DYN2105: {
    name: "shared-samples",
    severity: "warning",
    message: "`{data}` draws the same samples as `{other}`: both come from the sample stream `{stream}`",
    help: "A synthetic source (`gaussian_mixture`, `gratings`) draws its samples from the stream of its `split:`, or, without one, from a stream named after the data set. Two data sets on one stream share their draws, so one cannot test what the other trained. Data sets with the same arguments always share the task (class means); give them different splits for independent samples.",
  },
  DYN2108: {
    name: "share-under-a-step",
    severity: "warning",
    message: "`every {share}` of {total} steps{setBy} is less than one step: the probe is measured at every step, {measured} times, not {points}",
    help: "`every f%` measures at steps ⌈k·f·T⌉ (k = 0, 1, …) of a run's T steps. Where f·T < 1 several points fall on one step, which is measured once. Write `every step` if that is meant, or a share of at least one step; a profile that trains longer keeps the share.",
  },
  // ── command line and files ─────────────────────────────────────────────────
  DYN3001: {
    name: "list-too-large",
    severity: "error",
    message: "this list would hold {count} values; compile-time lists hold at most {limit}",
    help: "Lists built by repetition (`[0] * n`) or concatenation are evaluated when checking, nested items included; no sweep or layer list needs a million values. Use a range or `linspace` for long sequences of numbers.",
  },
  DYN3002: {
    name: "too-many-runs",
    severity: "error",
    message: "these sweeps expand to {count} runs; a profile runs at most {limit}",
    help: "Each point of the sweeps' cross product is one run, planned and trained separately. Sweep fewer values, or split the experiment; `dync plan` shows the runs.",
  },
  DYN3003: {
    name: "network-too-large",
    severity: "error",
    message: "`{model}` has {count} parameters per seed; dync trains networks of at most {limit}",
    help: "The widths (or channels) given make a network far beyond what trains on this runtime; a typo such as `1e12` for `1e2` is the usual cause.",
  },
  DYN3004: {
    name: "data-too-large",
    severity: "error",
    message: "data `{name}` has {count} samples; a data set holds at most {limit}",
    help: "Every sample is generated and held in memory before training; a count like `1e12` is almost surely a typo.",
  },
  DYN3005: {
    name: "duplicate-sweep-value",
    severity: "error",
    message: "the sweep over {vars} lists {value} twice; both would be the run `{run}`",
    help: "Each value of a sweep is one run, named by its values (`lr=0.1`), so a value may appear once. Values that read the same (`0.1` and `0.10`, `1` and `\"1\"`) name the same run. Remove the repeated value.",
  },
  DYN4001: {
    name: "file-not-found",
    severity: "error",
    message: "cannot read `{path}`: {reason}",
    help: "Check the path. dync reads `.dyn` source files.",
  },
  DYN4002: {
    name: "is-directory",
    severity: "error",
    message: "`{path}` is a directory, not a `.dyn` file",
    help: "Pass the `.dyn` files themselves, e.g. `dync check examples/*.dyn`.",
  },
  DYN4003: {
    name: "file-too-large",
    severity: "error",
    message: "`{path}` is {size} MB; dync reads source files up to {limit} MB",
    help: "A `.dyn` file this large is almost certainly not source code.",
  },
  DYN4010: {
    name: "not-a-regular-file",
    severity: "error",
    message: "`{path}` is {kind}, not a `.dyn` file",
    help: "dync reads source from regular files only: a device such as `/dev/zero` or a named pipe may never end, and would hang the checker and the language server.",
  },
  DYN4011: {
    name: "import-refused",
    severity: "error",
    message: "cannot import `{path}`: {reason}",
    help: "Imports name `.dyn` files inside the project: the nearest directory above the importing file that holds `.git`, `package.json` or `dync.json` (else the directory of the file being checked). Nothing of a refused file is read, so its contents never appear in diagnostics.",
  },
  DYN4012: {
    name: "output-is-source",
    severity: "error",
    message: "`{path}` is the source file; writing the program there would overwrite it",
    help: "Give `-o` another file, such as `out.js`, or leave it out to write next to the source.",
  },
  DYN4020: {
    name: "override-syntax",
    severity: "error",
    message: "a command-line override is `key=value`; {problem}",
    help: "After the file, `dync run` and `dync plan` take settings as `key=value` arguments (`width=16`, `seeds=3`, `train=500`, `optimizer.lr=0.01`); a key is a name or `name.argument`. Quote a value with spaces for the shell: `'train=500 steps'`. See docs/language.md, \"Command-line overrides\".",
  },
  DYN4021: {
    name: "unknown-override",
    severity: "error",
    message: "experiment `{experiment}` has no setting `{key}`",
    help: "A key is `seeds`, `train`, `batch`, `shuffle`, `checkpoint`, `optimizer`, `schedule`, `loss`, `regularize`, a sweep variable, a `let` value, a data set, model or probe name, or one of these calls' arguments as `name.argument` (`optimizer.lr`, `test.n`). `dync plan FILE` lists the statements in effect.",
  },
  DYN4022: {
    name: "override-not-settable",
    severity: "error",
    message: "`{key}` cannot be set from the command line: {reason}",
    help: "Only values fixed before training can be overridden: not an analysis of the results, and a zipped sweep only in the file. The message says what to set instead.",
  },
} as const satisfies Record<string, MessageSpec>;

export type DiagnosticCode = keyof typeof messages;

/** The `{placeholders}` of a template, as a parameter object type. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
  ? P | Placeholders<Rest>
  : never;

export type MessageParams<C extends DiagnosticCode> = {
  readonly [P in Placeholders<(typeof messages)[C]["message"]>]: string | number;
};
