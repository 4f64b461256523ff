/**
 * `dync merge DIR… [--out DIR] [--partial]`: shard run directories (`dync run --shard i/n`, the tasks of a
 * `dync slurm` job array) into one run directory with the analyses, expects and report over the whole plan
 * (runner/merge.ts). Exit codes as `dync run` (runner/exit-codes.ts): 0 every expect holds, 1 an analysis
 * or expect failed, 2 shards that cannot be merged (RUN070, RUN071: missing or unfinished without
 * --partial), 3 runs missing (--partial), failed or diverged.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { formatExpect } from "../../runtime/analysis/profile.js";
import { mergeShards } from "../../runner/merge.js";
import { EXIT } from "../../runner/exit-codes.js";
import type { Output } from "./output.js";

export interface MergeFlags {
  readonly out?: string;
  readonly partial: boolean;
}

export async function mergeCommand(dirs: readonly string[], flags: MergeFlags, out: Output, err: (text: string) => void): Promise<number> {
  try {
    const merged = await mergeShards(dirs, { partial: flags.partial, ...(flags.out === undefined ? {} : { out: flags.out }) });
    for (const dir of merged.superseded) err(`note: ${dir} is passed over for a later finished run of the same shard\n`);
    for (const dir of merged.otherBackends) err(`warning: shard ${dir} ran on another backend than the first shard: float32 results may differ in the last bits\n`);
    for (const problem of merged.problems) err(`warning: ${problem}\n`);
    out.write(`merged ${merged.runs.length} of ${merged.plan.runs.length} runs into ${merged.dir}${merged.problems.length ? " (partial: the analyses and expects see only these)" : ""}\n`);
    for (const failure of merged.analysisErrors) err(`${failure}\n`);
    for (const expect of merged.expects) out.write(`${formatExpect(expect)}\n`);
    if ("path" in merged.report) out.write(`report: ${merged.report.path}\n`);
    else err(`warning: the report could not be written: ${merged.report.error}\n`);
    return merged.exitCode;
  } catch (error) {
    if (!(error instanceof DyncRuntimeError)) throw error; // cli.ts reports anything else as an internal error
    err(`${error.render()}\n`);
    return EXIT.input;
  }
}
