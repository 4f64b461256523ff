/**
 * Failures a researcher can act on. A runtime error names its cause in words, carries a stable code from
 * the table below, and never reaches the user as a stack trace: the CLI and the generated program print
 * `error RUN0xx: message` (plus a hint line) and keep every result already recorded.
 * docs/runtime-errors.md is generated from this table (`npm run docs`).
 *
 * Ranges: RUN00x backends, RUN01x input files, RUN02x training, RUN03x the run directory and its checkpoints, RUN04x
 * configuration, RUN05x analyses and plots, RUN06x worker threads, RUN07x merging shards, RUN09x dync's own consistency checks.
 */

export interface RuntimeErrorSpec {
  /** A short kebab-case name, stable like the code. */
  readonly name: string;
  /** One line: what went wrong. */
  readonly summary: string;
  /** For the generated docs: when it happens, what to do, and what dync keeps. */
  readonly help: string;
}

export const runtimeErrors = {
  RUN001: {
    name: "backend-not-installed",
    summary: "the requested TensorFlow.js backend's package is not installed",
    help:
      "`--backend gpu`, `tensorflow` or `wasm` names a package that is not installed (under `--backend auto` " +
      "a missing package is skipped, not an error). Install the package the hint names, at the version of " +
      "@tensorflow/tfjs-core, or choose another backend. Nothing has run yet: the run directory is not created.",
  },
  RUN002: {
    name: "backend-failed",
    summary: "a TensorFlow.js backend could not be loaded or initialised",
    help:
      "The backend's package is installed but failed to load or to initialise (often a version that does not " +
      "match @tensorflow/tfjs-core), under `--backend auto` no backend at all could be initialised, or tfjs's " +
      "gradient functions could not be registered. Reinstall the package at the version the hint names, or " +
      "choose another backend. Nothing has run yet: the run directory is not created.",
  },
  RUN010: {
    name: "file-missing",
    summary: "a data file, a data directory or a run directory (or a file in it) is missing or unreadable",
    help:
      "A data source finds no files: MNIST, Fashion-MNIST and CIFAR read `--data DIR`/<source> (default " +
      "./data/mnist, …) unless given `dir:` (Fashion-MNIST falls back to /usr/share/datasets/fashion-mnist, where " +
      "Debian's `dataset-fashion-mnist` puts it); `image(file: …)`, `csv(…)` and `npy(…)` read the paths they name, relative to the " +
      "`.dyn` file. Or `dync report` is given a path " +
      "that is not a run directory. dync never downloads data: place the files the message lists there (`.gz` " +
      "files are read as they are), or give the directory `dync run` printed. During `dync run` only the runs " +
      "that need the file fail; the other runs go on.",
  },
  RUN011: {
    name: "file-malformed",
    summary: "a data file or a run directory's file is not in the expected format",
    help:
      "A data file is damaged or of another kind (a bad gzip, IDX or PNG file, a wrong size; a CSV file without " +
      "a column named in `csv(…)`, with a short row or a cell that is not a number, named by file and line; a " +
      "`.npy` array of another shape than `npy(…)` states), larger than " +
      "dync reads (256 MiB per data file before or after gunzip, so a gzip bomb stops there; 4096×4096 pixels " +
      "per PNG, checked on the header before anything is allocated), or a run " +
      "directory's manifest.json, metrics.jsonl, report input or .npy file is not what dync wrote. Replace the file " +
      "(e.g. download the data set again); a run directory damaged by hand cannot be re-read. During `dync " +
      "run` only the runs that read the file fail; the other runs go on.",
  },
  RUN020: {
    name: "training-diverged",
    summary: "training diverged: the loss became NaN or infinite",
    help:
      "Thrown by `train()` of the JavaScript API when a seed's loss becomes NaN or infinite (unless " +
      "`onDivergence: \"continue\"`). `dync run` and generated programs do not throw it: they mark the run " +
      "`diverged` in the manifest (with each seed's step), record the seed's later measurements as NaN, mark " +
      "it in the report and its plots, and exit with code 3 (1 if an expect fails). Lower the learning rate, or " +
      "check the data for huge values. Results measured before divergence are kept; seeds that did not diverge " +
      "train to the end.",
  },
  RUN030: {
    name: "run-directory-unwritable",
    summary: "the run directory cannot be created or written",
    help:
      "The output directory is not writable, the disk is full (less than 1 MiB free when the run starts), or " +
      "`--out DIR` already holds a run (manifest.json exists). Choose a new or writable directory, or free space. " +
      "All of these stop the program before training. A write that fails later (the disk filled up) stops the " +
      "experiment: metrics.csv and metrics.jsonl are cut back to their last whole row (the same rows in both), " +
      "a half-written .npy or temporary file is removed, and the error says what was kept; `dync report DIR` " +
      "draws the report from it once there is space.",
  },
  RUN031: {
    name: "resume-mismatch",
    summary: "`--resume DIR` names a directory that this program cannot continue",
    help:
      "The run directory was written by a different program or profile (its plan hash differs: a changed " +
      "model, data, optimizer, probe, seed or sweep), on a different backend (a resumed run would mix two " +
      "backends' float32 roundings), or it is not a run directory written by `dync run`. The backend includes the " +
      "kernels that round differently: the matmul path and native kernels' revision, dync's wasm kernels' revision, " +
      "each run's training step; and where the program measures curvature, the path of its Hessian-vector products " +
      "(a kept run's recorded paths against the one this dync would take for it; the native or tfjs R-operator route " +
      "of dense MLPs, and the tfjs R-operator's revision for runs whose products took it) and the Lanczos reorthogonalisation (JS against native or wasm). The message names what " +
      "differs and the hint how to resume. Resume with the same `.dyn` file, profile and backend, or start a new run " +
      "with `--out`. Nothing is changed in the directory.",
  },
  RUN032: {
    name: "checkpoint-failed",
    summary: "a checkpoint could not be written or read back, or a probe's state cannot be checkpointed",
    help:
      "Writing `checkpoints/<run>.ckpt` failed (a full disk), a checkpoint file is truncated or corrupt, it " +
      "does not fit the run (other parameter shapes, seeds or probes), or a probe keeps per-run state without " +
      "the `save`/`restore` hooks a checkpoint needs (resuming it would be silently wrong, so it is refused). " +
      "A checkpoint is replaced atomically, so the previous one stays usable; a corrupt one can be deleted, " +
      "and that run then restarts from step 0 on `--resume`. A probe without hooks: run without checkpoints.",
  },
  RUN040: {
    name: "invalid-configuration",
    summary: "a setting or a combination of settings that the runtime cannot carry out",
    help:
      "A value out of range, an unknown name (activation, optimizer, init scheme, backend, `--profile`), or " +
      "parts that do not fit together (a model's inputs and a data set's columns, a probe that needs targets or " +
      "one hidden layer). It comes from a hand-written call to the JavaScript API, from a check that needs the " +
      "data or the built model, or from a rule `dync check` does not know yet (please report that one), or from " +
      "a program compiled by another dync version. Change the setting the message names. During `dync run` " +
      "only the runs concerned fail, with results recorded up to the error kept; in an analysis or a plot it " +
      "is reported as RUN050 is; an unknown `--profile` stops before anything runs (exit code 2).",
  },
  RUN042: {
    name: "cross-run-value-missing",
    summary: "a run reads a value another run was to measure, and that run did not measure it",
    help:
      "A probe reads a value of another run of the profile (`along: h[opt = gd]`): the producing run trains " +
      "first and writes what its probe `h` measured to `handoff/` in the run directory, and this run loads it " +
      "before its first step. The producing run failed, was interrupted or diverged before measuring it, or its " +
      "probe's event (`at first(sharp > 2 / lr)`) never fired for any seed, or the file was removed or belongs " +
      "to another model. The reading run fails; the other runs' results are kept. Make the event fire (train " +
      "longer, a larger step), then run again.",
  },
  RUN050: {
    name: "analysis-failed",
    summary: "an analysis or a plot could not be computed from the measured values",
    help:
      "For example a power-law fit with fewer than two points, non-positive values or the same x twice, the " +
      "standard deviation of one value, a density of values that are all equal, several values where one was " +
      "picked. Measure more points or seeds, or reduce over seeds first (an analysis option out of range is " +
      "RUN040). The measurements are kept; each analysis that fails is reported on its own (and in " +
      "the manifest's `analysisErrors`) while the others, and the expects that do not need it, are evaluated; " +
      "a plot that fails shows its error in report.html and the other plots are drawn. `dync run` then exits " +
      "with code 1, `dync report` with 0.",
  },
  RUN051: {
    name: "result-missing",
    summary: "an analysis or a plot names something the results lack",
    help:
      "A probe, a dimension, a sweep value, a seed or a snapshot that was not measured (e.g. `alpha[act = selu]` " +
      "when `act` never took `selu`, or a heatmap of a probe that recorded no matrices). The message lists what " +
      "exists; name one of those, or measure what is missing. The measurements are kept, and the other " +
      "analyses and plots are evaluated as for RUN050.",
  },
  RUN060: {
    name: "worker-failed",
    summary: "a worker thread training runs in parallel could not start or stopped unexpectedly",
    help:
      "With `--jobs` > 1, a worker that cannot start (the program or its backend fails to load there) stops " +
      "the experiment; a worker that dies while training (out of memory, a wasm abort, `process.exit` in a " +
      "target) fails the run it was on and the other runs go on. Run with `--jobs 1` to train in one process " +
      "and see the underlying error. Every run recorded before is kept, as is what the failed run had sent.",
  },
  RUN070: {
    name: "shards-mismatch",
    summary: "`dync merge` was given run directories that are not shards of one plan",
    help:
      "Every directory `dync merge` combines must be a shard (`dync run --shard i/n`) of the same experiment and " +
      "profile, compiled from the same source text by the same dync version into the same plan (plan hash), " +
      "split into the same number of shards. The message names the two directories and what differs. Merge the " +
      "shards of one submission; a shard of an edited file or another dync version must be run again. " +
      "Nothing is written.",
  },
  RUN071: {
    name: "shard-missing",
    summary: "a shard of the plan is missing or did not finish",
    help:
      "`dync merge` names each shard that has no directory, or whose directory failed, was interrupted or is " +
      "still marked running (a killed job), with the runs it holds and the command that re-runs it alone " +
      "(`dync run FILE --profile P --shard i/n --out DIR`). Re-run it and merge again (a finished re-run is " +
      "preferred to the failed directory beside it), or merge the runs that did finish with `--partial`: the " +
      "analyses and expects then run over what is present, those that need a missing run fail with RUN051, " +
      "and the merged manifest names what is missing. Without `--partial` nothing is written.",
  },
  RUN090: {
    name: "internal-error",
    summary: "one of dync's internal consistency checks failed",
    help:
      "A part of dync was used out of order or handed data another part should not produce, e.g. a value " +
      "recorded for a run that already ended. It is a bug in dync, or a misuse of an internal module: please " +
      "report it with the .dyn file and the message. Results recorded before it stay in the run directory.",
  },
} as const satisfies Record<`RUN${number}`, RuntimeErrorSpec>;

export type RuntimeErrorCode = keyof typeof runtimeErrors;

export class DyncRuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "DyncRuntimeError";
  }

  /** `error RUN020: training diverged …` plus the hint on its own line: how a failure that stops dync is printed. */
  render(): string {
    return `error ${this.code}: ${this.message}${this.hint ? `\n  hint: ${this.hint}` : ""}`;
  }

  /** `RUN020: training diverged … (hint: …)`: the one line a failed run gets in the manifest and in report.html. */
  oneLine(): string {
    return `${this.code}: ${this.message}${this.hint ? ` (hint: ${this.hint})` : ""}`;
  }
}
