/**
 * Drawing a probe's pairs once per run: seed index s draws from `new Rng(seed_s).fork("pairs").fork(probe)`
 * on its own copy of the data set, so the pairs depend only on the seed value, the probe's name, the
 * sampler and the data, stay fixed across steps (the probe draws them in `setup`), and differ between seeds.
 */
import { Rng } from "../../runtime/rng.js";
import type { ProbeRun } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { sampleRows } from "./rows.js";
import { samplerFor, type PairIndices } from "./samplers.js";

/** The random stream seed `seed` draws probe `probe`'s pairs from. */
export function pairStream(seed: number, probe: string): Rng {
  return new Rng(seed).fork("pairs").fork(probe);
}

/** Every seed index's pairs for a lowered sampler spec on `data`. */
export function drawPairs(spec: unknown, data: Pick<EvalData, "hostSet">, run: Pick<ProbeRun, "name" | "seeds">): PairIndices[] {
  const sampler = samplerFor(spec);
  return run.seeds.map((seed, s) => sampler.draw(spec as Readonly<Record<string, unknown>>, sampleRows(data.hostSet(s)), pairStream(seed, run.name)));
}

/** The sorted distinct rows any seed's pairs touch, and for each seed its pairs renumbered into that list. */
export function pairRows(pairs: readonly PairIndices[]): { rows: Int32Array; local: PairIndices[] } {
  const all = new Set<number>();
  for (const p of pairs) for (const list of [p.i, p.j]) for (const r of list) all.add(r);
  const rows = Int32Array.from([...all].sort((a, b) => a - b));
  const position = new Map<number, number>();
  rows.forEach((r, k) => position.set(r, k));
  const local = pairs.map((p) => ({ i: p.i.map((r) => position.get(r)!), j: p.j.map((r) => position.get(r)!) }));
  return { rows, local };
}
