/** Registry entries for activations, initialisation, distributions, optimizers, schedules and losses. */
import { ADAMW_WEIGHT_DECAY } from "../../contract/training-specs.js";
import { papers } from "../registry/citations.js";
import type { Entry, Lowered, NumberType, Param, Rule } from "../registry/types.js";

const num = (name: string, doc: string, def?: number | null, extra: Partial<NumberType> = {}): Param => ({
  name,
  type: { t: "number", ...extra },
  ...(def !== undefined ? { default: def } : {}),
  doc,
});

function activation(name: string, doc: string, params: Param[] = []): Entry {
  return {
    name,
    kind: "activation",
    doc,
    params,
    cites: papers.pytorch,
    lower: (a) => (name === "leaky_relu" ? { name, slope: a["slope"] } : name),
  };
}

export const activations: Entry[] = [
  activation("relu", "max(x, 0)."),
  activation("leaky_relu", "x for x > 0, slope·x otherwise (PyTorch default slope 0.01).", [
    num("slope", "Negative-side slope.", 0.01, { min: 0, below: 1 }),
  ]),
  activation("silu", "x·σ(x) (swish). Second derivatives are exact (gradient built from differentiable ops)."),
  activation("tanh", "tanh(x), with a gradient that is itself differentiable (tfjs's is not)."),
  activation("sigmoid", "σ(x) = 1/(1 + e^−x), with a differentiable gradient."),
  activation("xtanh", "x·tanh(x), as in the condensation notes."),
  activation("gelu", "x·Φ(x) (exact, erf-based)."),
  activation("softplus", "log(1 + eˣ)."),
  activation("identity", "x: a linear layer."),
];

function scheme(name: string, doc: string): Entry {
  return { name, kind: "init", doc, params: [], cites: papers.pytorch, lower: () => name };
}

export const inits: Entry[] = [
  scheme("torch_default", "PyTorch nn.Linear default: weight and bias ~ U(±1/√fan_in)."),
  scheme("glorot_uniform", "U(±√(6/(fan_in + fan_out))) weights, zero bias."),
  scheme("glorot_normal", "N(0, 2/(fan_in + fan_out)) weights, zero bias."),
  scheme("he_uniform", "U(±√(6/fan_in)) weights, zero bias."),
  scheme("he_normal", "N(0, 2/fan_in) weights, zero bias."),
  {
    name: "phase",
    kind: "init",
    doc: "Phase-diagram initialisation of a two-layer net (γ, γ'): sets the weight scales and the output scale 1/α.",
    params: [
      num("gamma", "γ, with β₁β₂/α = m^−γ (β₁: output-weight std, β₂: input-weight std, output scaled by 1/α).", undefined),
      num("gamma_prime", "γ', with β₁/β₂ = m^−γ'.", 0),
      num("alpha", "α (default m^γ, which gives β₁ = β₂ = 1 at γ' = 0 as in the notes).", null, { above: 0 }),
    ],
    cites: papers.condensation,
    lower: (a) => ({ kind: "phase", gamma: a["gamma"], gamma_prime: a["gamma_prime"], ...(a["alpha"] !== null ? { alpha: a["alpha"] } : {}) }),
  },
];

export const distributions: Entry[] = [
  {
    name: "uniform",
    kind: "distribution",
    doc: "U(low, high).",
    params: [num("low", "Lower end.", -1), num("high", "Upper end (excluded).", 1)],
    rules: [{ params: ["high", "low"], holds: (a) => (a["low"] as number) < (a["high"] as number), message: "`low` must be below `high`" }],
    lower: (a) => ({ kind: "uniform", low: a["low"], high: a["high"] }),
  },
  {
    name: "normal",
    kind: "distribution",
    doc: "N(mean, std²).",
    params: [num("mean", "Mean.", 0), num("std", "Standard deviation.", 1, { min: 0 })],
    lower: (a) => ({ kind: "normal", mean: a["mean"], std: a["std"] }),
  },
  {
    name: "fan_normal",
    kind: "distribution",
    doc: "N(0, std²) with std = coef · fan^power, fan one of m_in, m_out, m_bar = (m_in + m_out)/2 (initialisation only).",
    params: [
      num("power", "Exponent of the fan, e.g. -0.5 for 1/√m_in or -gamma.", undefined),
      { name: "fan", type: { t: "choice", options: ["m_in", "m_out", "m_bar"] }, default: "m_in", doc: "Which fan." },
      num("coef", "Multiplier.", 1),
    ],
    cites: papers.condensation,
    lower: (a) => ({ kind: "fan_normal", fan: a["fan"], power: a["power"], coef: a["coef"] }),
  },
  {
    name: "fan_uniform",
    kind: "distribution",
    doc: "U(±a) with a = coef · fan^power (initialisation only).",
    params: [
      num("power", "Exponent of the fan.", undefined),
      { name: "fan", type: { t: "choice", options: ["m_in", "m_out", "m_bar"] }, default: "m_in", doc: "Which fan." },
      num("coef", "Multiplier.", 1),
    ],
    cites: papers.condensation,
    lower: (a) => ({ kind: "fan_uniform", fan: a["fan"], power: a["power"], coef: a["coef"] }),
  },
  {
    name: "zeros",
    kind: "distribution",
    doc: "All zeros (initialisation only).",
    params: [],
    lower: () => ({ kind: "zeros" }),
  },
];

const lr = (def?: number): Param => num("lr", "Learning rate.", def, { above: 0 });
/** A momentum factor: μ = 1 never forgets a gradient, so the update grows without bound. */
const momentum = (doc: string, def: number): Param => num("momentum", doc, def, { min: 0, below: 1 });
const dampening = (doc: string, def: number): Param => num("dampening", doc, def, { min: 0, max: 1 });
/** torch.optim.SGD's own conditions on Nesterov momentum. */
const nesterovRules: Rule[] = [
  { params: ["nesterov", "momentum"], holds: (a) => !a["nesterov"] || (a["momentum"] as number) > 0, message: "`nesterov: true` needs `momentum` > 0 (as in PyTorch)" },
  { params: ["dampening", "nesterov"], holds: (a) => !a["nesterov"] || a["dampening"] === 0, message: "`nesterov: true` needs `dampening: 0` (as in PyTorch)" },
];
/** Adam's moment decay rates: β = 1 never updates the moment and the bias correction divides by 0. */
const beta = (name: string, doc: string, def: number): Param => num(name, doc, def, { min: 0, below: 1 });
const weightDecay = num("weight_decay", "L2 added to the gradient (g + wd·θ), as torch's weight_decay.", 0, { min: 0 });

export const optimizers: Entry[] = [
  {
    name: "gd",
    kind: "optimizer",
    doc: "Gradient descent: θ ← θ − lr·∇L on the whole training set (`batch full`; minibatches take `sgd`).",
    params: [lr()],
    lower: (a) => ({ kind: "gd", lr: a["lr"] }),
  },
  {
    name: "sgd",
    kind: "optimizer",
    doc: "torch.optim.SGD: optional momentum, dampening, Nesterov and weight decay.",
    params: [
      lr(),
      momentum("Momentum factor μ.", 0),
      dampening("Dampening τ: buf ← μ·buf + (1 − τ)·g.", 0),
      { name: "nesterov", type: { t: "bool" }, default: false, doc: "Nesterov momentum." },
      weightDecay,
    ],
    rules: nesterovRules,
    cites: papers.pytorch,
    lower: (a) => ({ kind: "sgd", lr: a["lr"], momentum: a["momentum"], dampening: a["dampening"], nesterov: a["nesterov"], weight_decay: a["weight_decay"] }),
  },
  {
    name: "adam",
    kind: "optimizer",
    doc: "torch.optim.Adam (not AdamW), with bias correction.",
    params: [
      lr(1e-3),
      beta("beta1", "β₁: decay of the first-moment estimate.", 0.9),
      beta("beta2", "β₂: decay of the second-moment estimate.", 0.999),
      num("eps", "ε added to √v̂.", 1e-8, { above: 0 }),
      weightDecay,
    ],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "adam", lr: a["lr"], beta1: a["beta1"], beta2: a["beta2"], eps: a["eps"], weight_decay: a["weight_decay"] }),
  },
  {
    name: "adamw",
    kind: "optimizer",
    doc: "torch.optim.AdamW: Adam with decoupled weight decay, θ ← θ·(1 − lr·weight_decay) before each Adam step (the decay never enters the moments).",
    params: [
      lr(1e-3),
      beta("beta1", "β₁: decay of the first-moment estimate.", 0.9),
      beta("beta2", "β₂: decay of the second-moment estimate.", 0.999),
      num("eps", "ε added to √v̂.", 1e-8, { above: 0 }),
      num("weight_decay", "Decoupled decay rate λ: θ shrinks by the factor 1 − lr·λ each update (lr as scheduled), as torch's AdamW.", ADAMW_WEIGHT_DECAY, { min: 0 }),
    ],
    cites: papers.adamw,
    lower: (a) => ({ kind: "adamw", lr: a["lr"], beta1: a["beta1"], beta2: a["beta2"], eps: a["eps"], weight_decay: a["weight_decay"] }),
  },
  {
    name: "sign_sgd",
    kind: "optimizer",
    doc: "Sign-threshold SGD: momentum coordinates with |m| > threshold take a fixed-size sign step.",
    params: [
      lr(),
      num("sign_lr", "Step size of the sign step.", undefined, { above: 0 }),
      num("threshold", "|m| above which a coordinate takes the sign step.", undefined, { min: 0 }),
      momentum("β.", 0.9),
      dampening("τ: m ← β·m + (1 − τ)·g.", 0.9),
      weightDecay,
    ],
    cites: papers.opposing,
    lower: (a) => ({ kind: "sign_sgd", lr: a["lr"], sign_lr: a["sign_lr"], threshold: a["threshold"], momentum: a["momentum"], dampening: a["dampening"], weight_decay: a["weight_decay"] }),
  },
];

const duration = (name: string, doc: string, def?: null): Param => ({ name, type: { t: "duration" }, ...(def === null ? { default: null } : {}), doc });

export const schedules: Entry[] = [
  { name: "constant", kind: "schedule", doc: "The optimizer's learning rate throughout.", params: [], lower: () => ({ kind: "constant" }) },
  {
    name: "step_decay",
    kind: "schedule",
    doc: "lr·factor^⌊t/every⌋ (PyTorch StepLR).",
    params: [duration("every", "Decay period, e.g. `10k steps` or `30 epochs`."), num("factor", "Multiplier per period.", 0.1, { above: 0 })],
    cites: papers.lottery,
    lower: (a) => ({ kind: "step_decay", every: a["every"], factor: a["factor"] }),
  },
  {
    name: "cosine",
    kind: "schedule",
    doc: "Cosine decay from lr to floor over `steps`, then constant at floor.",
    params: [duration("steps", "Length of the decay."), num("floor", "Final learning rate.", 0, { min: 0 })],
    lower: (a) => ({ kind: "cosine", steps: a["steps"], floor: a["floor"] }),
  },
  {
    name: "warmup",
    kind: "schedule",
    doc: "Linear warm-up over `steps`, multiplying the `then` schedule.",
    params: [duration("steps", "Warm-up length."), { name: "then", type: { t: "entry", kind: "schedule" }, default: "constant", doc: "Schedule after (and under) the warm-up." }],
    lower: (a) => ({ kind: "warmup", steps: a["steps"], then: a["then"] as Lowered }),
  },
];

export const losses: Entry[] = [
  { name: "mse", kind: "loss", doc: "Mean squared error over batch and outputs (torch MSELoss).", params: [], cites: papers.pytorch, lower: () => "mse" },
  {
    name: "half_mse",
    kind: "loss",
    doc: "½ · mse: ½·(1/C)·Σ over the C outputs of (f − y)², averaged over samples; with one output the ½(f − y)² of the theory literature. With C outputs it is `half_sse` / C, so its sharpness is 1/C of `half_sse`'s and GD at step size η is stable up to C times the sharpness (2/η).",
    params: [],
    lower: () => "half_mse",
  },
  {
    name: "half_sse",
    kind: "loss",
    doc: "Half the summed squared error: ½·Σ over the C outputs of (f − y)², averaged over samples — Cohen et al.'s squared loss. C·`half_mse` (equal with one output), so with C outputs its sharpness is C times `half_mse`'s and the 2/η threshold compares with this sharpness as in Cohen et al.",
    params: [],
    cites: papers.edgeOfStability,
    lower: () => "half_sse",
  },
  {
    name: "cross_entropy",
    kind: "loss",
    doc: "Softmax cross-entropy with logits (torch CrossEntropyLoss). `smoothing: ε` trains against the label-smoothed targets (1 − ε)·y + ε/C (torch `label_smoothing`).",
    params: [num("smoothing", "Label smoothing ε: the share of each target spread uniformly over the C classes.", 0, { min: 0, max: 1 })],
    cites: papers.pytorch,
    lower: (a) => (a["smoothing"] === 0 ? "cross_entropy" : { name: "cross_entropy", smoothing: a["smoothing"] }),
  },
];

export const regularizers: Entry[] = [
  {
    name: "l2",
    kind: "regularizer",
    doc: "λ·Σθ² added to the loss, per seed. By default (`on: all`) over every parameter: weights, biases, batch-norm γ and β and any scale; `on: weights` penalises the weight matrices and conv kernels only (λ‖W‖², as most papers write it).",
    params: [
      num("lambda", "Strength λ.", undefined, { min: 0 }),
      { name: "on", type: { t: "choice", options: ["all", "weights"] }, default: "all", doc: "`all`: every parameter; `weights`: weight matrices and conv kernels only (no biases, norm parameters or scales)." },
    ],
    lower: (a) => ({ kind: "l2", lambda: a["lambda"], on: a["on"] }),
  },
];
