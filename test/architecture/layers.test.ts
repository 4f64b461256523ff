/**
 * The source folders import one way (issue #14, docs/architecture.md "Layers"). This reads every .ts file
 * under the source folders, resolves its relative imports (static, `export … from`, side-effect and dynamic)
 * to files, and checks the folder graph against one declared table, for cycles between folders, and for
 * cycles between files.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * THE LAYER TABLE: each source folder and what it may import (nothing else of ours). A target is a folder,
 * or a folder's subfolder when only that part may be used (`stdlib/registry`: the entries and their types,
 * not probes or data). tools/, bench/ and test/ sit above everything and are not listed.
 */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  /** Span, SourceFile, diagnostic(), the DYN message table, code frames, did-you-mean. */
  diagnostics: [],
  /** Tokens, parser, AST. */
  grammar: ["diagnostics"],
  /** The run plan (ExperimentProgram), every spec type it names, the Model interface, result naming. */
  contract: [],
  /** float64 helpers: eigen/power iteration, least squares, KDE, Student t. */
  numerics: [],
  /** Backend, kernels, nn, train, init, optim, loss, schedule, rng, npy, params, record, analysis, errors. */
  runtime: ["contract", "numerics"],
  /** Registry and entries, probes, data sources. */
  stdlib: ["runtime", "contract", "numerics"],
  /** Plots and report.html from recorded results; grammar only for the token table that highlights the source. */
  report: ["runtime", "contract", "numerics", "grammar"],
  /** runMain, the worker pool, run recording; runner/index.ts is the public API `dync/runtime`. */
  runner: ["report", "stdlib", "runtime", "contract", "numerics"],
  /** Checker, emitter, formatter, language server, doc renderers; numerics for the compile-time math (portable-math.ts). */
  compiler: ["diagnostics", "grammar", "contract", "stdlib/registry", "numerics"],
  /** bin, argument parsing and the commands (check, fmt, plan, compile, run, report, lsp). */
  cli: ["compiler", "runner", "report", "stdlib", "runtime", "contract", "grammar", "diagnostics"],
  /** TextMate grammar generation and the VS Code extension. */
  editor: ["grammar", "stdlib/registry"],
};

interface Edge {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.\.?\/[^"']+)["']/g;

/** Every relative import of every source file, as file → file (paths relative to the repository). */
function importEdges(): Edge[] {
  return Object.keys(LAYERS).flatMap(sourceFiles).flatMap((from) =>
    [...readFileSync(join(ROOT, from), "utf8").matchAll(IMPORT)].map((m) => ({
      from,
      to: posix.normalize(posix.join(posix.dirname(from), m[1]!)).replace(/\.js$/, ".ts"),
    })),
  );
}

const folderOf = (file: string): string => file.split("/")[0]!;
const allowed = (from: string, to: string): boolean =>
  folderOf(from) === folderOf(to) || (LAYERS[folderOf(from)] ?? []).some((target) => to === target || to.startsWith(`${target}/`));

/** Strongly connected components with more than one node (Tarjan), each listed in a cycle-ish order. */
function cycles(nodes: Iterable<string>, next: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.reverse());
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return found;
}

/** One simple cycle through the first node of a strongly connected component, by breadth-first search back to it. */
function cycleThrough(component: readonly string[], next: (node: string) => readonly string[]): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

describe("source folders import one way", () => {
  const edges = importEdges();
  const crossFolder = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));

  it("finds the source files and their imports (the scan itself works)", () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(crossFolder).toContainEqual({ from: "runner/index.ts", to: "contract/program.ts" });
    for (const e of edges) expect(e.to.startsWith(".."), `${e.from} imports outside the repository`).toBe(false);
  });

  it("every folder is in the layer table", () => {
    const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
    expect([...folders].filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it("has no import the layer table does not allow", () => {
    const bad = crossFolder.filter((e) => !allowed(e.from, e.to)).map((e) => `${e.from} → ${e.to}`);
    expect(bad).toEqual([]);
  });

  it("has no cycle between folders", () => {
    const next = new Map<string, Set<string>>();
    for (const e of crossFolder) {
      if (!next.has(folderOf(e.from))) next.set(folderOf(e.from), new Set());
      next.get(folderOf(e.from))!.add(folderOf(e.to));
    }
    const found = cycles(next.keys(), (f) => [...(next.get(f) ?? [])]).map((folders) => {
      const loop = cycleThrough(folders, (f) => [...(next.get(f) ?? [])]);
      const steps = loop.map((f, i) => {
        const to = loop[(i + 1) % loop.length]!;
        const files = crossFolder.filter((e) => folderOf(e.from) === f && folderOf(e.to) === to);
        return `${f} → ${to} (${files.slice(0, 3).map((e) => `${e.from} → ${e.to}`).join(", ")}${files.length > 3 ? `, +${files.length - 3} more` : ""})`;
      });
      return steps.join("; ");
    });
    expect(found).toEqual([]);
  });

  it("has no cycle between files", () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    expect(cycles(next.keys(), (f) => next.get(f) ?? []).map((c) => c.join(" → "))).toEqual([]);
  });

  it("the checks catch a cycle and a forbidden edge (planted)", () => {
    const planted = [
      { from: "runtime/a.ts", to: "report/b.ts" },
      { from: "report/b.ts", to: "runtime/a.ts" },
    ];
    expect(allowed(planted[0]!.from, planted[0]!.to)).toBe(false);
    expect(allowed("compiler/check/x.ts", "stdlib/probes/y.ts")).toBe(false);
    expect(allowed("compiler/check/x.ts", "stdlib/registry/index.ts")).toBe(true);
    const next = (f: string) => planted.filter((e) => e.from === f).map((e) => e.to);
    expect(cycles(["runtime/a.ts"], next)).toEqual([["runtime/a.ts", "report/b.ts"]]);
  });

  it("the table itself has no cycle", () => {
    const next = (f: string) => (LAYERS[f] ?? []).map(folderOf);
    expect(cycles(Object.keys(LAYERS), next)).toEqual([]);
  });
});
