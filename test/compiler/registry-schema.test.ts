/**
 * Every registry entry's parameter schema is well-formed: bounds are consistent, defaults satisfy their
 * own types and ranges, rules name parameters the entry has and hold for the defaults; and the validator
 * shared by `dync check` and the runner agrees with hand-worked cases, including lowered specs whose
 * field names differ from the `.dyn` names.
 */
import { describe, expect, it } from "vitest";
import { describeType, registry, type Entry, type Lowered, type NumberType, type Param, type ParamType } from "../../stdlib/registry/index.js";
import { argsFromSpec, fitsNumber, fitsType, specFields, validateArgs } from "../../stdlib/registry/validate.js";

const numberTypes = (t: ParamType): NumberType[] =>
  t.t === "number" ? [t] : t.t === "list" ? numberTypes(t.of) : t.t === "oneOf" ? t.of.flatMap(numberTypes) : [];

/** A value a required parameter could take, chosen inside its type (the smallest allowed number…). */
function sample(t: ParamType): Lowered {
  switch (t.t) {
    case "number": {
      const lo = t.min ?? t.above;
      const hi = t.max ?? t.below;
      if (lo !== undefined && hi !== undefined) return t.integer ? Math.ceil((lo + hi) / 2) : (lo + hi) / 2;
      return lo !== undefined ? Math.floor(lo) + 2 : hi !== undefined ? Math.floor(hi) - 2 : 2;
    }
    case "duration":
      return { steps: 1 };
    case "bool":
      return false;
    case "string":
      return "s";
    case "choice":
      return t.options[0]!;
    case "list":
      return Array.from({ length: Math.max(t.minLength ?? 0, 1) }, () => sample(t.of));
    case "interval":
      return [0, 1];
    case "entry":
      return registry.ofKind(t.kind)[0]!.name;
    case "ref":
      return { ref: "x" };
    case "oneOf":
      return sample(t.of[0]!);
    case "bindings":
      return t.domain === "interval" ? Array.from({ length: Math.max(t.min, 1) }, (_, i) => ({ name: `x${i}`, lo: -1, hi: 1, closedHi: true })) : { x: [0, 1] };
  }
}

const requiredSample = (entry: Entry): Record<string, Lowered> =>
  Object.fromEntries(entry.params.filter((p) => p.default === undefined).map((p) => [p.name, sample(p.type)]));

describe("registry parameter schemas", () => {
  const entries = registry.all();

  it("give each number at most one lower and one upper bound, lower below upper", () => {
    for (const e of entries) {
      for (const p of e.params) {
        for (const t of numberTypes(p.type)) {
          const where = `${e.kind} ${e.name}.${p.name}`;
          expect(t.min !== undefined && t.above !== undefined, where).toBe(false);
          expect(t.max !== undefined && t.below !== undefined, where).toBe(false);
          const lo = t.min ?? t.above;
          const hi = t.max ?? t.below;
          if (lo !== undefined && hi !== undefined) expect(lo < hi, where).toBe(true);
        }
      }
    }
  });

  it("have defaults that satisfy their own types and ranges", () => {
    const checked: string[] = [];
    for (const e of entries) {
      for (const p of e.params as Param[]) {
        if (p.default === undefined || p.default === null) continue;
        if (p.type.t === "entry") expect(registry.get(p.type.kind, p.default as string), `${e.name}.${p.name}`).toBeDefined();
        else expect(fitsType(p.type, p.default), `${e.kind} ${e.name}.${p.name} = ${JSON.stringify(p.default)} must be ${describeType(p.type)}`).toBe(true);
        checked.push(`${e.name}.${p.name}`);
      }
    }
    expect(checked).toContain("adam.beta1");
    expect(checked).toContain("sgd.momentum");
  });

  it("have rules that read parameters of their entry, say something, and hold for the defaults", () => {
    const withRules = entries.filter((e) => (e.rules ?? []).length > 0);
    expect(withRules.map((e) => e.name)).toEqual(expect.arrayContaining(["sgd", "mlp", "uniform", "grid", "coords", "cosine_similarity", "cosine_share", "tickets", "values"]));
    for (const e of withRules) {
      const names = new Set(e.params.map((p) => p.name));
      for (const rule of e.rules!) {
        expect(rule.params.length, e.name).toBeGreaterThan(0);
        for (const p of rule.params) expect(names.has(p), `${e.name} rule reads ${p}`).toBe(true);
        expect(rule.message.length, e.name).toBeGreaterThan(10);
      }
    }
    // Every entry, with its defaults and a value inside the type of each required parameter, is valid.
    for (const e of entries) expect(validateArgs(e, requiredSample(e)), `${e.kind} ${e.name}`).toEqual([]);
  });
});

describe("validateArgs", () => {
  const sgd = registry.get("optimizer", "sgd")!;
  const adam = registry.get("optimizer", "adam")!;

  it("takes exclusive bounds as exclusive: adam β₁ in [0, 1)", () => {
    const beta1 = adam.params.find((p) => p.name === "beta1")!.type as NumberType;
    expect([0, 0.5, 0.999999].map((x) => fitsNumber(beta1, x))).toEqual([true, true, true]);
    expect([1, -1e-9, Number.NaN, Infinity].map((x) => fitsNumber(beta1, x))).toEqual([false, false, false, false]);
    expect(describeType(beta1)).toBe("a number in [0, 1)");
    expect(describeType({ t: "number", above: 0 })).toBe("a number > 0");
    expect(describeType({ t: "number", above: 0, max: 1 })).toBe("a number in (0, 1]");
    expect(describeType({ t: "number", below: 1 })).toBe("a number < 1");
    expect(describeType({ t: "number", integer: true, min: 1 })).toBe("a whole number ≥ 1");
  });

  it("reports ranges per parameter and, once they fit, each broken rule", () => {
    expect(validateArgs(adam, { lr: 0.1, beta1: 1 })).toEqual([{ kind: "param", param: "beta1", message: "`beta1` of `adam` must be a number in [0, 1), not 1" }]);
    expect(validateArgs(sgd, { lr: 0.1, nesterov: true }).map((p) => p.message)).toEqual(["`sgd`: `nesterov: true` needs `momentum` > 0 (as in PyTorch)"]);
    expect(validateArgs(sgd, { lr: 0.1, momentum: 0.9, nesterov: true, dampening: 0.5 }).map((p) => p.message)).toEqual([
      "`sgd`: `nesterov: true` needs `dampening: 0` (as in PyTorch)",
    ]);
    expect(validateArgs(sgd, { lr: 0.1, momentum: 0.9, nesterov: true })).toEqual([]);
    expect(validateArgs(sgd, { momentum: 0.9 }).map((p) => p.message)).toEqual(["`sgd` needs `lr`: a number > 0"]);
    expect(validateArgs(adam, { lr: 0.1, beta_1: 0.5 }).map((p) => p.message)).toEqual(["`adam` has no parameter `beta_1`"]);
  });

  it("maps lowered field names back to .dyn names by reading the entry's lower function", () => {
    expect([...specFields(sgd)]).toEqual([
      ["lr", "lr"],
      ["momentum", "momentum"],
      ["dampening", "dampening"],
      ["nesterov", "nesterov"],
      ["weight_decay", "weight_decay"],
    ]);
    const mlp = registry.get("model", "mlp")!;
    expect(specFields(mlp).get("outputScale")).toBe("output_scale");
    const signSgd = registry.get("optimizer", "sign_sgd")!;
    expect(argsFromSpec(signSgd, { kind: "sign_sgd", lr: 0.1, sign_lr: 0.01, threshold: 0, weight_decay: 0 })).toEqual({ lr: 0.1, sign_lr: 0.01, threshold: 0, weight_decay: 0 });
    expect(validateArgs(sgd, argsFromSpec(sgd, { kind: "sgd", lr: 0.1, weight_decay: -1 })).map((p) => p.message)).toEqual([
      "`weight_decay` of `sgd` must be a number ≥ 0, not -1",
    ]);
  });
});
