/**
 * Checking a `model net { … }` block: each line a registry call of kind `layer` (every activation and
 * encoding is one too), named by the user or by position (`conv0`, `hidden0`, `out`, like `cnn`/`mlp`),
 * shapes inferred through the list from the training data (contract/layer-list.ts, the runtime's own rules),
 * and every misfit a coded diagnostic at the layer that does not fit.
 *
 * Decisions: images straight from the data may be read as rows by a dense layer (an MLP on MNIST); after a
 * `conv2d` or pool, a dense layer needs `flatten`. The last `dense()` may leave its width out: it takes the
 * number of targets or classes. `net.layers[k]` in inits counts the layers with weights (as for mlp/cnn).
 */
import type * as A from "../../grammar/ast.js";
import { layerGeometry, layerRole, type LayerShapeError } from "../../contract/layer-list.js";
import type { LayerSpec, LayersModelSpec } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { ImageShapeInfo } from "./conv-model.js";

/** A layer as its registry entry lowers it: no name yet, and a dense layer's width may be left out. */
type LoweredLayer = { readonly kind: LayerSpec["kind"]; readonly width?: number | null } & Record<string, unknown>;

/** Names a model's weighted layers answer to in inits and probes. */
export interface LayerAddresses {
  readonly convs: readonly string[];
  readonly hidden: readonly string[];
  readonly out: string | undefined;
  /** Every weighted layer by its own name (`net.conv1`). */
  readonly named: readonly string[];
}

/** `mlp(hidden: [8, 8])` → hidden0, hidden1, out; `cnn(filters: [32])` → conv0 too. */
export function shorthandAddresses(hiddenCount: number, convCount: number): LayerAddresses {
  const convs = Array.from({ length: convCount }, (_, k) => `conv${k}`);
  const hidden = Array.from({ length: hiddenCount }, (_, k) => `hidden${k}`);
  return { convs, hidden, out: "out", named: [...convs, ...hidden, "out"] };
}

/** The addresses of a layer list: conv and dense layers by role and by name. */
export function listAddresses(layers: readonly LayerSpec[]): LayerAddresses {
  const roles = layers.map((l, i) => ({ name: l.name, role: layerRole(layers, i) }));
  return {
    convs: roles.filter((r) => r.role === "conv").map((r) => r.name),
    hidden: roles.filter((r) => r.role === "hidden").map((r) => r.name),
    out: roles.find((r) => r.role === "out")?.name,
    named: roles.filter((r) => r.role !== "other").map((r) => r.name),
  };
}

/** The block's layers checked against the training data, or undefined after reporting why not (init filled in by the caller). */
export function checkLayerModel(
  m: A.ModelStmt,
  data: ImageShapeInfo,
  lowerLayer: (e: A.Expr) => unknown,
  report: (d: Diagnostic) => void,
): Omit<LayersModelSpec, "init"> | undefined {
  const items = (m.layers ?? []).filter((i): i is A.LayerStmt => i.kind === "Layer");
  if (items.length === 0) {
    report(diagnostic("DYN2050", m.name.span, { problem: `model \`${m.name.name}\` has no layers; list them in the block, like \`hidden = dense(64, act: relu)\` and \`out = dense()\`` }));
    return undefined;
  }
  const lowered = items.map((i) => lowerLayer(i.value) as LoweredLayer | undefined);
  if (lowered.some((l) => l === undefined)) return undefined;
  const layers = withWidths(named(items, lowered as LoweredLayer[]), items, data.outDim, report);
  if (!layers || !uniqueNames(layers, items, report)) return undefined;
  const inShape = data.image ? [...data.image] : [data.inDim];
  const geometry = layerGeometry(layers, inShape);
  if (!Array.isArray(geometry)) {
    report(shapeDiagnostic(geometry, items));
    return undefined;
  }
  const last = geometry.at(-1)!;
  if (last.output.kind !== "flat") {
    report(diagnostic("DYN2047", items.at(-1)!.span, { problem: `model \`${m.name.name}\` ends in ${last.output.h}×${last.output.w}×${last.output.c} feature maps; end it with \`flatten\` and a \`dense()\` layer` }));
    return undefined;
  }
  if (last.output.width !== data.outDim) {
    const at = lastIndex(layers, (l) => l.kind === "dense" || l.kind === "flatten" || l.kind === "encoding");
    report(diagnostic("DYN2049", items[at < 0 ? items.length - 1 : at]!.span, { name: m.name.name, width: last.output.width, plural: last.output.width === 1 ? "" : "s", actual: `${data.outDim} ${data.classes ? "classes" : data.outDim === 1 ? "target" : "targets"}` }));
    return undefined;
  }
  return { kind: "layers", name: m.name.name, inShape, inDim: inShape.reduce((a, b) => a * b, 1), outDim: data.outDim, layers };
}

/** Give every layer its name: the user's, else by role (`conv0`, `hidden0`, `out`) or entry and position (`flatten6`, `max_pool1`). */
function named(items: readonly A.LayerStmt[], lowered: readonly LoweredLayer[]): (LoweredLayer & { name: string })[] {
  const provisional = lowered.map((l, i) => ({ ...l, name: `${l.kind}${i}` }) as unknown as LayerSpec);
  const counts = { conv: 0, hidden: 0 };
  return lowered.map((l, i) => {
    const own = items[i]!.name?.name;
    if (own) return { name: own, ...l };
    const role = layerRole(provisional, i);
    if (role === "conv") return { name: `conv${counts.conv++}`, ...l };
    if (role === "hidden") return { name: `hidden${counts.hidden++}`, ...l };
    if (role === "out") return { name: "out", ...l };
    return { name: `${entryName(items[i]!.value) ?? l.kind}${i}`, ...l };
  });
}

/** `max_pool` of `max_pool(2)`, `relu` of `relu`. */
function entryName(e: A.Expr): string | undefined {
  const callee = e.kind === "Call" ? e.callee : e;
  return callee.kind === "Name" ? callee.name : undefined;
}

/** The last `dense()` without a width takes the data's output width; any other must give one. */
function withWidths(layers: readonly (LoweredLayer & { name: string })[], items: readonly A.LayerStmt[], outDim: number, report: (d: Diagnostic) => void): LayerSpec[] | undefined {
  const lastWeighted = lastIndex(layers, (l) => l.kind === "dense" || l.kind === "conv");
  let ok = true;
  const out = layers.map((l, i) => {
    if (l.kind !== "dense" || (l.width !== null && l.width !== undefined)) return l;
    if (i === lastWeighted) return { ...l, width: outDim };
    report(diagnostic("DYN2050", items[i]!.span, { problem: "this `dense()` needs a width; only the last dense layer takes the number of targets or classes from the data" }));
    ok = false;
    return l;
  });
  return ok ? (out as unknown as LayerSpec[]) : undefined;
}

/** Names address layers, so each is used once (a batch-norm layer may not reuse its dense layer's name here). */
function uniqueNames(layers: readonly LayerSpec[], items: readonly A.LayerStmt[], report: (d: Diagnostic) => void): boolean {
  const seen = new Set<string>();
  for (const [i, l] of layers.entries()) {
    if (seen.has(l.name)) {
      report(diagnostic("DYN2050", items[i]!.name?.span ?? items[i]!.span, { problem: `two layers are named \`${l.name}\`; give this one another name` }));
      return false;
    }
    seen.add(l.name);
  }
  return true;
}

function shapeDiagnostic(e: LayerShapeError, items: readonly A.LayerStmt[]): Diagnostic {
  const span = items[e.index]!.span;
  if (e.reason === "needs-image") return diagnostic("DYN2046", span, { problem: e.message });
  if (e.reason === "needs-flatten") return diagnostic("DYN2047", span, { problem: e.message });
  return diagnostic("DYN2048", span, { problem: e.message });
}

function lastIndex<T>(xs: readonly T[], f: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!)) return i;
  return -1;
}
