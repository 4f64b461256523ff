/**
 * The gradient of a loss recorded once on tfjs's tape, so that every Hessian-vector product after the first
 * is only the second backward pass: Hv = J_g(θ)ᵀ·v, backpropagated through the recorded computation of
 * g = ∇L (its forward pass and first backward pass) with v as the upstream gradient of g. PyHessian does the
 * same with `create_graph=True` once and `retain_graph=True` per product; tf.grads cannot keep a tape, so this
 * records one the way tf.grads does (tfjs-core's engine: startTape, the nested tf.grads that records the
 * first backward pass, endTape) and walks it backwards itself (as tfjs-core's backpropagateGradients, with
 * several outputs). It reaches into the engine's `state`: `recordGradient` returns undefined when the engine
 * does not look as expected (another tfjs version, or a tape already recording), and the caller falls back
 * to nested tf.grads, which is also what the tests compare it with.
 */
import { tf } from "../../runtime/tf.js";

/** A node of tfjs-core's tape (engine.ts TapeNode). */
interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  inputs: Record<string, tf.Tensor>;
  readonly outputs: readonly tf.Tensor[];
  readonly gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  readonly saved?: readonly tf.Tensor[];
}

/** The part of tfjs-core's engine state the recording uses. */
interface EngineState {
  activeTape: TapeNode[] | null | undefined;
  gradientDepth: number;
  kernelDepth: number;
}

/** A recorded gradient: `product(v)` is H·v, until `dispose()` frees the tape's saved tensors. */
export interface RecordedGradient {
  product(v: readonly tf.Tensor[]): tf.Tensor[];
  dispose(): void;
}

function engineState(): EngineState | undefined {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  // activeTape is absent until the first tape starts.
  const usable = state !== undefined && typeof state.gradientDepth === "number" && typeof state.kernelDepth === "number";
  return usable ? (state as EngineState) : undefined;
}

/** Records g = ∇_vars loss() with the computation of g on a tape of its own; undefined where the engine does not allow it. */
export function recordGradient(vars: readonly tf.Variable[], loss: () => tf.Scalar): RecordedGradient | undefined {
  const state = engineState();
  if (state === undefined || state.gradientDepth !== 0 || state.kernelDepth !== 0) return undefined;
  state.activeTape = [];
  state.gradientDepth++;
  let grads: tf.Tensor[];
  try {
    grads = tf.tidy(() => tf.grads(loss)(vars as tf.Variable[]));
  } catch (error) {
    disposeTape(state.activeTape);
    throw error;
  } finally {
    state.gradientDepth--;
  }
  const tape = filterTape(state.activeTape ?? [], vars, grads);
  const all = state.activeTape ?? [];
  state.activeTape = null;
  return {
    product: (v) => tf.tidy(() => backpropagate(tape, vars, grads, v)),
    dispose() {
      disposeTape(all);
      tf.dispose(grads);
    },
  };
}

function disposeTape(tape: readonly TapeNode[] | null): void {
  for (const node of tape ?? []) for (const t of node.saved ?? []) t.dispose();
}

/** The nodes on a path from `xs` to any of `ys`, inputs pruned to those that depend on `xs` (tfjs's getFilteredNodesXToY, several ys). */
function filterTape(tape: readonly TapeNode[], xs: readonly tf.Tensor[], ys: readonly tf.Tensor[]): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set(ys.map((y) => y.id));
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      Object.values(node.inputs).forEach((t) => toY.add(t.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

/** Σᵢ ∂⟨gᵢ, vᵢ⟩/∂xs: the tape walked backwards from the upstream gradients v of the outputs g (tfjs's backpropagateGradients). */
function backpropagate(tape: readonly TapeNode[], xs: readonly tf.Tensor[], ys: readonly tf.Tensor[], upstream: readonly tf.Tensor[]): tf.Tensor[] {
  const accumulated = new Map<number, tf.Tensor>();
  ys.forEach((y, i) => accumulated.set(y.id, tf.clone(upstream[i]!)));
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    const dys = node.outputs.map((o) => accumulated.get(o.id) ?? null);
    if (dys.every((dy) => dy === null)) continue;
    if (node.gradient === undefined) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    const produced = new Set<tf.Tensor>();
    for (const [name, x] of Object.entries(node.inputs)) {
      const dx = inputGradients[name]!();
      const previous = accumulated.get(x.id);
      const value = previous === undefined ? dx : tf.add(previous, dx);
      accumulated.set(x.id, value);
      produced.add(dx).add(value);
    }
    // Each tensor has one producer: its gradient is spent once that node is through (peak memory as tfjs's own walk).
    for (const o of node.outputs) {
      const spent = accumulated.get(o.id);
      accumulated.delete(o.id);
      if (spent !== undefined && !produced.has(spent)) spent.dispose();
    }
  }
  return xs.map((x) => accumulated.get(x.id) ?? tf.zerosLike(x));
}
