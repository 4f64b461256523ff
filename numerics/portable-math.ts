/**
 * The elementary functions of target expressions (`y = sin(3*x)`, `-> exp(-x^2)`) and of compile-time constants, by
 * their .dyn names: one table for the checker (which names exist), the compile-time evaluator and the generated
 * target code (`m.sin(x)`, runtime/target-math.ts). Each is either exact in IEEE arithmetic on every engine (sqrt,
 * abs, floor, ceil, round, sign, min, max: ECMAScript fixes their results) or an fdlibm port (numerics/fdlibm*.ts)
 * rather than Math.*, whose last bits change between Node versions: a seed gives the same data on any Node. `pow` is
 * `^` (JS's `**`, engine-dependent too).
 */
import { fdlibmAtan, fdlibmAtan2, fdlibmCos, fdlibmLog, fdlibmSin, fdlibmTan } from "./fdlibm.js";
import { fdlibmCosh, fdlibmExp, fdlibmPow, fdlibmSinh, fdlibmTanh } from "./fdlibm-exp.js";
import { fdlibmLog10, fdlibmLog2 } from "./fdlibm-log.js";

export const portableMath = {
  sin: fdlibmSin,
  cos: fdlibmCos,
  tan: fdlibmTan,
  exp: fdlibmExp,
  log: fdlibmLog,
  log2: fdlibmLog2,
  log10: fdlibmLog10,
  sqrt: Math.sqrt,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  tanh: fdlibmTanh,
  sinh: fdlibmSinh,
  cosh: fdlibmCosh,
  atan: fdlibmAtan,
  sign: Math.sign,
  min: Math.min,
  max: Math.max,
  atan2: fdlibmAtan2,
  pow: fdlibmPow,
} as const;

export type PortableMathName = keyof typeof portableMath;

/** How many arguments `name` takes, [fewest, most]: the checker refuses other counts (`atan2(x)` is not NaN data). */
export function portableMathArity(name: PortableMathName): readonly [number, number] {
  if (name === "atan2" || name === "pow") return [2, 2];
  return name === "min" || name === "max" ? [1, Infinity] : [1, 1];
}

/** Whether `name` is a function of the table (not an inherited property such as `constructor`). */
export function isPortableMath(name: string): name is PortableMathName {
  return Object.hasOwn(portableMath, name);
}
