/**
 * Cross-run references read at a point (issue 18): `top[lr = 0.01, at 155 steps]` and
 * `top[lr = 0.01, at first(b > 0.9)]` read probe `top` of the lr = 0.01 run, which is measured every 10 steps,
 * at step 155 and at each seed's first step with b > 0.9 (steps no cadence of `top` has: the checker adds
 * them to the producer). Checked another way:
 * - the handed-over steps: 155, and the first step with b > 0.9 found here in the recorded b series;
 * - the handed-over eigenvalue is the one `top` recorded at that step (tensors/top/<run>/seed<s>.npy, stacked), and the pair is, up to
 *   the vector's sign, the one a separate one-shot `hessian` probe of the producer (`once`, `fired`, limited
 *   to the lr = 0.01 run with `probe once[lr = 0.01] = …`, measured once and handed over as before) found at
 *   the same step, cold-started where `top` is warm-started from its last call;
 * - the readers' `project` is ⟨θ_t, v⟩ in float64 with the saved vector at every step;
 * - `top` itself is recorded once per step (the extra points add no duplicate rows), only in its cadence's
 *   steps and the handoff steps; the limited probes have no rows in the other run;
 * - `--jobs 2` and two shards merged write the same files byte for byte.
 *
 * Uses the built CLI (`npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameRecords } from "../run-records.js";
import { readNpy } from "../../runtime/npy.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".cross-run-at-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const source = `experiment xa {
  sweep lr in [0.02, 0.01]
  seeds 2
  data train = opposing_signals(n: 50, d1: 1, d2: 1, p: 0.1, alpha: 4, beta: 1)
  model net = opposing_linear(d1: 1, d2: 1)
  loss half_mse
  optimizer gd(lr: lr)
  train 300 steps, batch full
  probe b = param(net, "b", stat: first) every 1 steps
  probe bo = param(net, "b_o", stat: first) every 1 steps
  probe c = param(net, "c", stat: first) every 1 steps
  probe top = hessian(net, train, k: 1, tol: 1e-9) every 10 steps
  probe once[lr = 0.01] = hessian(net, train, k: 1, tol: 1e-9) at 155
  probe fired[lr = 0.01] = hessian(net, train, k: 1, tol: 1e-9) at first(b > 0.9)
  probe p = project(net, along: top[lr = 0.01, at 155 steps]) every 1 steps
  probe q = project(net, along: top[lr = 0.01, at first(b > 0.9)]) every 1 steps
  // read at the end only so that the one-shot probes' vectors are written to handoff/ too
  probe po = project(net, along: once[lr = 0.01]) at end
  probe pf = project(net, along: fired[lr = 0.01]) at end
}
`;

const dyn = join(scratch, "xa.dyn");
const program = join(scratch, "xa.mjs");
const producer = "lr=0.01";
const reader = "lr=0.02";
let reference: string;

function run(out: string, ...args: string[]) {
  return spawnSync(process.execPath, [program, "--backend", "cpu", "--quiet", "--out", out, ...args], { encoding: "utf8" });
}

beforeAll(() => {
  writeFileSync(dyn, source);
  const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", program], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  reference = join(scratch, "reference");
  const r = run(reference, "--jobs", "1");
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

/** metrics.csv rows as `run|probe|seed|step` → values (a key seen twice keeps both). */
function metrics(dir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const lines = readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n");
  const header = lines[0]!.split(",");
  const at = (name: string) => header.indexOf(name);
  for (const line of lines.slice(1)) {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "").replace(/^"|"$/g, ""));
    const key = `${cells[at("run")]}|${cells[at("probe")]}|${cells[at("seed")]}|${cells[at("step")]}`;
    out.set(key, [...(out.get(key) ?? []), Number(cells[at("value")])]);
  }
  return out;
}

function handoff(dir: string, name: string) {
  const base = join(dir, "handoff", encodeURIComponent(producer), encodeURIComponent(name));
  const meta = JSON.parse(readFileSync(`${base}.json`, "utf8")) as { steps: (number | null)[]; k: number; layout: { name: string; size: number }[] };
  return { meta, vectors: readNpy(`${base}.vectors.npy`).data, values: readNpy(`${base}.values.npy`).data };
}

const eventName = "top@handoff";

describe("a value read at a step or an event of another run", () => {
  it("hands over the measurement at step 155 and at each seed's first step with b > 0.9", () => {
    const m = metrics(reference);
    const firstAbove = (s: number) => {
      for (let t = 0; t <= 300; t++) if (m.get(`${producer}|b|${s}|${t}`)![0]! > 0.9) return t;
      return null;
    };
    const events = [firstAbove(0), firstAbove(1)];
    // the test means something only if the event steps are not steps `top` is measured at anyway
    expect(events.every((t) => t !== null && t % 10 !== 0)).toBe(true);
    expect(events[0]).not.toBe(events[1]);
    expect(handoff(reference, "top@step155").meta.steps).toEqual([155, 155]);
    expect(handoff(reference, eventName).meta.steps).toEqual(events);
  });

  it("the handed-over eigenvalue is the one recorded at that step, the vector the one-shot probe's there (up to sign)", () => {
    for (const [name, oneShot] of [["top@step155", "once"], [eventName, "fired"]] as const) {
      const h = handoff(reference, name);
      for (let s = 0; s < 2; s++) {
        const t = h.meta.steps[s]!;
        // `top` is per eigenvalue, so stacked: one row per measurement, its step beside it
        const recorded = readNpy(join(reference, "tensors", "top", producer, `seed${s}.npy`)).data;
        const row = Array.from(readNpy(join(reference, "tensors", "top", producer, `seed${s}_steps.npy`)).data).indexOf(t);
        expect(row).toBeGreaterThanOrEqual(0);
        expect(h.values[s]).toBe(recorded[row]);
        const once = handoff(reference, oneShot);
        expect(once.meta.steps[s]).toBe(t);
        expect(Math.abs(h.values[s]! - once.values[s]!)).toBeLessThanOrEqual(1e-6 * Math.abs(once.values[s]!));
        const cosine = [0, 1, 2].reduce((a, k) => a + h.vectors[s * 3 + k]! * once.vectors[s * 3 + k]!, 0);
        expect(Math.abs(cosine)).toBeGreaterThan(1 - 1e-6);
      }
    }
  });

  it("the readers' project is ⟨θ_t, v⟩ in float64 with the saved vector at every step", () => {
    const m = metrics(reference);
    const probeOf: Record<string, string> = { b: "b", b_o: "bo", c: "c" };
    let checked = 0;
    for (const [probe, name] of [["p", "top@step155"], ["q", eventName]] as const) {
      const { meta, vectors } = handoff(reference, name);
      const theta = (run: string, s: number, t: number) => meta.layout.map((p) => m.get(`${run}|${probeOf[p.name.split(".")[0]!]}|${s}|${t}`)![0]!);
      for (let s = 0; s < 2; s++) {
        const v = vectors.subarray(s * 3, (s + 1) * 3);
        expect(Math.hypot(...v)).toBeCloseTo(1, 12);
        for (let t = 0; t <= 300; t++) {
          const want = theta(reader, s, t).reduce((a, x, k) => a + x * v[k]!, 0);
          const got = m.get(`${reader}|${probe}|${s}|${t}`)!;
          expect(got).toHaveLength(1);
          expect(Math.abs(got[0]! - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * 2 * 301);
  });

  it("records `top` once per step, at its cadence and the handoff steps; the limited probes only in their run", () => {
    const m = metrics(reference);
    const events = handoff(reference, eventName).meta.steps;
    for (let s = 0; s < 2; s++) {
      const steps = [...m.keys()].filter((k) => k.startsWith(`${producer}|top|${s}|`)).map((k) => Number(k.split("|")[3]));
      const want = [...new Set([...Array.from({ length: 31 }, (_, i) => i * 10), 155, events[s]!])].sort((a, b) => a - b);
      expect(steps.sort((a, b) => a - b)).toEqual(want);
      for (const t of want) expect(m.get(`${producer}|top|${s}|${t}`)).toHaveLength(1);
      // the reader measures `top` at its own cadence only
      expect([...m.keys()].filter((k) => k.startsWith(`${reader}|top|${s}|`))).toHaveLength(31);
    }
    expect([...m.keys()].some((k) => k.startsWith(`${reader}|once|`) || k.startsWith(`${reader}|fired|`))).toBe(false);
    expect(existsSync(join(reference, "tensors", "once", reader))).toBe(false);
  });
});


describe("ordering", () => {
  it("--jobs 2 waits for the producer and writes the same files byte for byte", () => {
    const dir = join(scratch, "jobs2");
    const r = run(dir, "--jobs", "2");
    expect(r.status, r.stderr).toBe(0);
    expectSameRecords(dir, reference, ["tensors", "handoff"]);
  }, 300_000);

  it("two shards merged equal one machine's run", () => {
    const shards = join(scratch, "shards");
    for (const i of [1, 2]) {
      const r = run(join(shards, `shard-${i}`), "--jobs", "1", "--shard", `${i}/2`);
      expect(r.status, r.stderr).toBe(0);
    }
    const merged = join(scratch, "merged");
    const m = spawnSync(process.execPath, [CLI, "merge", shards, "--out", merged], { encoding: "utf8" });
    expect(m.status, m.stderr).toBe(0);
    expectSameRecords(merged, reference, ["tensors", "handoff"]);
  }, 300_000);
});
