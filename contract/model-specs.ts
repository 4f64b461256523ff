/**
 * How a model is described in a run plan: activations, input encodings, conv blocks and initialisation, as
 * the compiler lowers them from the `.dyn` file and runtime/nn builds models from them. Types only.
 */

// from runtime/nn/activations.ts

/** The activations a `.dyn` file can name. */
export type ActivationName =
  | "relu"
  | "leaky_relu"
  | "silu"
  | "tanh"
  | "sigmoid"
  | "xtanh"
  | "gelu"
  | "softplus"
  | "identity";

/** An activation with its parameters, e.g. `{ name: "leaky_relu", slope: 0.01 }`. */
export type ActivationSpec = ActivationName | { name: "leaky_relu"; slope: number } | { name: ActivationName };

// from runtime/nn/encodings.ts

/** An input encoding as a `.dyn` file describes it. */
export type EncodingSpec =
  | { kind: "coords"; domain?: readonly [number, number]; range: readonly [number, number] }
  | { kind: "fourier"; L: number; include_input?: boolean }
  | { kind: "gaussian_features"; sigma: number; features: number; include_input?: boolean };

// from runtime/nn/convnet.ts

/** One convolution block. */
export interface ConvBlockSpec {
  readonly filters: number;
  readonly kernel: number;
  /** Default 1. */
  readonly stride?: number;
  /** Default "valid". */
  readonly padding?: "valid" | "same";
  /** Non-overlapping pooling after the activation. */
  readonly pool?: { readonly kind: "max" | "avg"; readonly size: number };
  /** This block's activation; default the network's `act` (e.g. tanh convolutions before ReLU dense layers). */
  readonly act?: ActivationSpec;
}

// from runtime/init.ts

/** The fan a width-dependent scale refers to: m_in, m_out, or m̄ = (m_in + m_out)/2. */
export type FanBase = "m_in" | "m_out" | "m_bar";

/** A distribution for one parameter tensor; its scale may depend on the layer's fans. */
export type InitDist =
  | { kind: "zeros" }
  | { kind: "constant"; value: number }
  /** PyTorch nn.Linear default, for weight and bias alike: U(−1/√fan_in, 1/√fan_in). */
  | { kind: "torch_default" }
  /** U(−a, a), a = √(6/(fan_in + fan_out)). */
  | { kind: "glorot_uniform" }
  /** N(0, 2/(fan_in + fan_out)). */
  | { kind: "glorot_normal" }
  /** U(−a, a), a = √(6/fan_in) (Kaiming uniform for ReLU). */
  | { kind: "he_uniform" }
  /** N(0, 2/fan_in). */
  | { kind: "he_normal" }
  | { kind: "normal"; std: number; mean?: number }
  | { kind: "uniform"; low: number; high: number }
  /** N(0, std²) with std = coef · fan^power, e.g. `{ fan: "m_in", power: -gamma }` for std = m_in^−γ. */
  | { kind: "fan_normal"; fan: FanBase; power: number; coef?: number }
  /** U(−a, a) with a = coef · fan^power. */
  | { kind: "fan_uniform"; fan: FanBase; power: number; coef?: number }
  /**
   * A whole tensor given by hand (`values([[1.2, -0.7]])`), the same for every seed: `values` row-major,
   * `shape` as written (a dense weight is [in, out], a bias [out]). Used to check known solutions.
   */
  | { kind: "values"; shape: readonly number[]; values: readonly number[] };

/** How one layer's weight and bias are drawn. */
export interface LayerInit {
  readonly weight: InitDist;
  readonly bias: InitDist;
}

/** Named schemes a `.dyn` file can use, each fixing both weight and bias. */
export type InitSchemeName = "torch_default" | "glorot_uniform" | "glorot_normal" | "he_uniform" | "he_normal";

// from runtime/nn/layer-init.ts

/** The phase-diagram scheme (γ, γ') of a two-layer net; see `phaseScales`. */
export interface PhaseInit {
  readonly kind: "phase";
  readonly gamma: number;
  readonly gamma_prime: number;
  /** Defaults to m^γ. */
  readonly alpha?: number;
}

/** Per-layer initialization: a default for every layer plus overrides by layer name (`hidden0`, `out`). */
export interface LayeredInit {
  readonly default?: InitSchemeName | LayerInit;
  readonly layers?: Readonly<Record<string, Partial<LayerInit>>>;
}

/** How an mlp's parameters start. */
export type MlpInit = InitSchemeName | LayerInit | PhaseInit | LayeredInit;
