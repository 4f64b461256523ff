/**
 * docs/runtime-errors.md, generated from the RUN table in runtime/errors.ts so the reference cannot drift
 * from the code. The printed forms below are produced by the very methods the runtime prints with.
 */
import { DyncRuntimeError, runtimeErrors, type RuntimeErrorCode } from "./errors.js";

const EXAMPLE = new DyncRuntimeError(
  "RUN010",
  "mnist: train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) is missing from data/mnist; expected the files …",
  "dync never downloads data at run time: place the files there (gzip'd .gz files are read as they are)",
);

export function renderRuntimeErrorsDoc(): string {
  const codes = Object.keys(runtimeErrors) as RuntimeErrorCode[];
  return [
    "# Runtime errors",
    "",
    "<!-- Generated from runtime/errors.ts by `npm run docs`; do not edit by hand. -->",
    "",
    "Problems found before anything runs are compile-time diagnostics (`DYN…`, see [diagnostics.md](diagnostics.md)).",
    "What can only go wrong while an experiment runs or a report is drawn (a missing data file, a backend that",
    "does not load, a fit with too few points) is a runtime error with a stable `RUN…` code. dync prints it",
    "without a stack trace and keeps every result already recorded (see [run-directory.md](run-directory.md)).",
    "",
    "## How they are printed and recorded",
    "",
    "- **A failure that stops the program** (a backend, the run directory, a worker that cannot start, an",
    "  error while drawing `dync report`): the error and its hint on stderr; `dync run` exits with 2, an input",
    "  error (an unknown `--profile` is printed with the usage), `dync report` with 1. When the run directory was already made, its manifest (if it",
    "  can still be written) gets `\"status\": \"failed\"` and the one-line form as `message`:",
    "",
    "  ```",
    ...EXAMPLE.render().split("\n").map((line) => `  ${line}`),
    "  ```",
    "",
    "- **A run that fails** (its data, its model, a probe): the other runs go on; stderr gets the one-line",
    "  form with the run id, `error RUNxxx: message (hint: …) (run width=20)`, and the run's manifest entry",
    "  `\"status\": \"failed\"` with `message` in the one-line form:",
    "",
    "  ```",
    `  ${EXAMPLE.oneLine()}`,
    "  ```",
    "",
    "  The experiment ends with exit code 3 and the manifest's `status` is `failed`.",
    "- **An analysis** that cannot be evaluated: `error RUN050: analysis alpha (line 12): …` on stderr and in",
    "  the manifest's `analysisErrors`; expects that use it fail with its cause, the other analyses and",
    "  expects are evaluated; exit code 1.",
    "- **A plot** that cannot be drawn: report.html shows the one-line form in its place and the other plots",
    "  are drawn; `dync report` prints `warning: plot NAME (line N) could not be drawn: …` and exits 0.",
    "- **From the JavaScript API** (`dync/runtime`): a `DyncRuntimeError` with `code`, `message`, `hint`,",
    "  `render()` (the first form) and `oneLine()` (the second).",
    "",
    "Anything else is `internal error: …` (a bug in dync; `DYNC_DEBUG=1` adds the stack trace).",
    "",
    "| code | name | summary |",
    "|---|---|---|",
    ...codes.map((code) => `| [${code}](#${code.toLowerCase()}) | ${runtimeErrors[code].name} | ${escapeCell(runtimeErrors[code].summary)} |`),
    "",
    ...codes.flatMap((code) => [`## ${code}`, "", `\`${runtimeErrors[code].name}\`: ${runtimeErrors[code].summary}.`, "", runtimeErrors[code].help, ""]),
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}
