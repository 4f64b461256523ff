/**
 * Target expressions (`y = x^2`, `-> sin(x) + sin(3*x)`) compiled to TypeScript: a pointwise float64
 * function of the data's input variables. Constants and sweep variables are inlined as literals, so each
 * sweep point gets the exact function it trains on; comprehensions over compile-time lists become calls
 * of `m.sum`/`m.prod` with an arrow function. `normal(mean, std)` and `uniform(low, high)` are label noise:
 * a fresh draw per point (`draw.normal(…)`, from the data set's stream), so the target is `random`.
 */
import type * as A from "../../grammar/ast.js";
import { jsIdentifier } from "../js-names.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { argumentCountError, type Env, type Evaluator } from "./evaluate.js";
import { formatNumber, showValue } from "./values.js";
import { portableMath, portableMathArity, type PortableMathName } from "../../numerics/portable-math.js";

/** A compiled target: parameters (input variable names, in column order) and the body expression. */
export interface TargetCode {
  readonly params: readonly string[];
  readonly body: string;
  /** The body draws label noise from `draw` (a `TargetDraws`), the generated function's first parameter. */
  readonly random: boolean;
  /** The variables the body reads (in `params` spelling before renaming: `.dyn` names). */
  readonly used: ReadonlySet<string>;
}

/** The distributions a target may draw from, with the parameter names and defaults of the `~` distributions. */
const DRAWS: Record<string, readonly [string, number, string, number]> = {
  normal: ["mean", 0, "std", 1],
  uniform: ["low", -1, "high", 1],
};

/**
 * Elementary functions (numerics/portable-math.ts: fdlibm ports, the same bits on every Node version) and activations
 * as plain functions, all from the runtime's `targetMath` (imported as `m`): `sin(x)` is `m.sin(x)`, never Math.sin.
 */
const MATH_NAMES = (Object.keys(portableMath) as PortableMathName[]).filter((name) => name !== "pow"); // `pow` is spelled `^`
/** runtime/target-math.ts's activations, by their argument counts (`leaky_relu(x, slope)`). */
const HELPER_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  relu: [1, 1], silu: [1, 1], sigmoid: [1, 1], softplus: [1, 1], gelu: [1, 1], xtanh: [1, 1], leaky_relu: [1, 2], heaviside: [1, 1],
};
const FUNCTION_ARITY: Readonly<Record<string, readonly [number, number]>> = {
  ...Object.fromEntries(MATH_NAMES.map((name) => [name, portableMathArity(name)])),
  ...HELPER_FUNCTIONS,
};
const CONSTANTS: Record<string, string> = { pi: "Math.PI", e: "Math.E" };
/** A TypeScript-safe name for an input variable (`in`, `eval` or `Infinity` would not be). */
export const jsName = jsIdentifier;

export class TargetCompiler {
  private random = false;
  private readonly used = new Set<string>();

  constructor(
    private readonly evaluator: Evaluator,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /** Compile `expr` over `vars`; undefined after reporting why it cannot be a target. */
  compile(expr: A.Expr, vars: readonly string[], env: Env): TargetCode | undefined {
    this.random = false;
    this.used.clear();
    const body = this.expr(expr, new Set(vars), env);
    return body === undefined ? undefined : { params: vars.map(jsName), body, random: this.random, used: new Set(this.used) };
  }

  private expr(e: A.Expr, vars: ReadonlySet<string>, env: Env): string | undefined {
    switch (e.kind) {
      case "Number":
        return formatNumber(e.value);
      case "Name":
        return this.name(e, vars, env);
      case "Paren": {
        const inner = this.expr(e.inner, vars, env);
        return inner === undefined ? undefined : `(${inner})`;
      }
      case "Unary": {
        if (e.op === "not") return this.refuse(e, "`not`");
        const operand = this.expr(e.operand, vars, env);
        return operand === undefined ? undefined : `${e.op}(${operand})`;
      }
      case "Binary":
        return this.binary(e, vars, env);
      case "Call":
        return this.call(e, vars, env);
      case "Error":
        return undefined;
      default:
        return this.refuse(e, describe(e));
    }
  }

  private name(e: A.NameRef, vars: ReadonlySet<string>, env: Env): string | undefined {
    if (vars.has(e.name)) {
      this.used.add(e.name);
      return jsName(e.name);
    }
    const bound = env.lookup(e.name);
    if (bound?.kind === "number" && !bound.unit) return formatNumber(bound.value);
    if (bound) return this.refuse(e, `\`${e.name}\` (${showValue(bound)})`);
    if (Object.hasOwn(CONSTANTS, e.name)) return CONSTANTS[e.name];
    const later = env.notConstant?.(e.name);
    if (later) return this.refuse(e, later);
    const near = closest(e.name, [...vars, ...env.names(), ...Object.keys(CONSTANTS)]);
    this.diagnostics.push(diagnostic("DYN2001", e.span, { name: e.name }, near ? { hint: `did you mean \`${near}\`?` } : { hint: `input variables here: ${[...vars].join(", ")}` }));
    return undefined;
  }

  private binary(e: A.BinaryExpr, vars: ReadonlySet<string>, env: Env): string | undefined {
    const ops: Record<string, string> = { "+": "+", "-": "-", "*": "*", "/": "/", "^": "^" };
    const op = ops[e.op];
    if (!op) return this.refuse(e, `\`${e.op}\``);
    const left = this.expr(e.left, vars, env);
    const right = this.expr(e.right, vars, env);
    if (left === undefined || right === undefined) return undefined;
    // `^` is fdlibm's pow, not JS's `**` (whose last bits depend on the Node version).
    return op === "^" ? `m.pow(${left}, ${right})` : `${left} ${op} ${right}`;
  }

  private call(e: A.CallExpr, vars: ReadonlySet<string>, env: Env): string | undefined {
    if (e.callee.kind !== "Name") return this.refuse(e, "a method call");
    const name = e.callee.name;
    if ((name === "sum" || name === "prod") && e.args.length === 1 && e.args[0]!.kind === "Binding" && e.args[0].body) {
      return this.fold(name, e.args[0], vars, env);
    }
    if (Object.hasOwn(DRAWS, name) && !vars.has(name)) return this.draw(e, name, DRAWS[name]!, vars, env);
    const arity = Object.hasOwn(FUNCTION_ARITY, name) ? FUNCTION_ARITY[name] : undefined;
    if (!arity) {
      const near = closest(name, [...Object.keys(FUNCTION_ARITY), ...Object.keys(DRAWS)]);
      this.diagnostics.push(diagnostic("DYN2031", e.callee.span, { what: `the function \`${name}\`` }, near ? { hint: `did you mean \`${near}\`?` } : {}));
      return undefined;
    }
    const wrongCount = argumentCountError(e, name, arity);
    if (wrongCount) {
      this.diagnostics.push(wrongCount);
      return undefined;
    }
    const fn = `m.${name}`;
    const args: string[] = [];
    for (const arg of e.args) {
      if (arg.kind !== "Positional") return this.refuse(arg, "a named argument");
      const code = this.expr(arg.value, vars, env);
      if (code === undefined) return undefined;
      args.push(code);
    }
    return `${fn}(${args.join(", ")})`;
  }

  /** `normal(0, 0.1)` → `draw.normal(0, 0.1)`: one draw per point; arguments may depend on the inputs (`normal(0, 0.1*abs(x))`). */
  private draw(e: A.CallExpr, name: string, spec: readonly [string, number, string, number], vars: ReadonlySet<string>, env: Env): string | undefined {
    const [firstName, firstDefault, secondName, secondDefault] = spec;
    const given: (A.Expr | undefined)[] = [undefined, undefined];
    let positional = 0;
    for (const arg of e.args) {
      const slot = arg.kind === "Positional" ? positional++ : arg.kind === "Named" ? [firstName, secondName].indexOf(arg.name.name) : -1;
      if (slot < 0 || slot > 1 || given[slot]) {
        this.diagnostics.push(diagnostic("DYN2031", arg.span, { what: `this argument of \`${name}\`` }, { hint: `label noise is \`${name}(${firstName}, ${secondName})\`, e.g. \`${name === "normal" ? "normal(0, 0.1)" : "uniform(-0.1, 0.1)"}\`` }));
        return undefined;
      }
      given[slot] = arg.kind === "Positional" || arg.kind === "Named" ? arg.value : undefined;
    }
    const args = given.map((g, k) => (g ? this.expr(g, vars, env) : formatNumber(k === 0 ? firstDefault : secondDefault)));
    if (args.some((a) => a === undefined)) return undefined;
    // Constant parameters are checked here; parameters that depend on the inputs are checked as drawn (RUN040).
    const [a, b] = args.map((code) => constantValue(code!));
    const problem = name === "normal" ? (b! < 0 ? "a number ≥ 0" : undefined) : b! <= a! ? `a number above \`${firstName}\` (${formatNumber(a!)})` : undefined;
    if (problem) {
      this.diagnostics.push(diagnostic("DYN2004", (given[1] ?? e).span, { what: `\`${secondName}\` of \`${name}\` in a target`, expected: problem, got: formatNumber(b!) }));
      return undefined;
    }
    this.random = true;
    return `draw.${name}(${args.join(", ")})`;
  }

  /** `sum(k in 5..70 step 5: sin(2*pi*k*t))` → `m.sum([5, 10, …], (k) => Math.sin(…))`. */
  private fold(name: "sum" | "prod", binding: A.BindingArg, vars: ReadonlySet<string>, env: Env): string | undefined {
    const domain = this.evaluator.eval(binding.domain, env);
    if (domain === undefined) return undefined;
    if (domain.kind !== "list" || !domain.items.every((i) => i.kind === "number")) {
      this.diagnostics.push(diagnostic("DYN2004", binding.domain.span, { what: `the domain of \`${name}\``, expected: "a list or range of numbers", got: showValue(domain) }));
      return undefined;
    }
    const inner = new Set(vars);
    inner.add(binding.name.name);
    const body = this.expr(binding.body!, inner, env);
    if (body === undefined) return undefined;
    const items = domain.items.map((i) => formatNumber((i as { value: number }).value)).join(", ");
    return `m.${name}([${items}], (${jsName(binding.name.name)}) => ${body})`;
  }

  private refuse(node: { span: A.Expr["span"] }, what: string): undefined {
    this.diagnostics.push(diagnostic("DYN2031", node.span, { what }));
    return undefined;
  }
}

/** The value of compiled code that is a number literal (`0.1`, `-(0.1)`), else NaN (compares false). */
function constantValue(code: string): number {
  const negated = /^-\((.*)\)$/.exec(code);
  return negated ? -Number(negated[1]) : Number(code);
}

function describe(e: A.Expr | A.Argument): string {
  switch (e.kind) {
    case "String":
      return "a string";
    case "Bool":
      return "a boolean";
    case "List":
    case "Tuple":
      return "a list";
    case "Interval":
      return "an interval";
    case "Range":
      return "a range";
    case "Quantity":
      return "a duration or percentage";
    case "Member":
      return "a member access";
    case "Index":
      return "indexing";
    case "Within":
      return "`within`";
    default:
      return "this expression";
  }
}
