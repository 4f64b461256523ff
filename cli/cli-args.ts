/** A small, strict argument parser: unknown flags are usage errors (exit 2), never ignored. */
export interface FlagSpec {
  /** Takes a value (`--format json`) or is a switch (`-w`). */
  readonly value: boolean;
  readonly alias?: string;
  /** Allowed values, checked. */
  readonly choices?: readonly string[];
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

export { UsageError } from "../runner/usage-error.js";
import { UsageError } from "../runner/usage-error.js";

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const byAlias = new Map(Object.entries(specs).flatMap(([name, s]) => (s.alias ? [[s.alias, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.startsWith("--") ? splitOnce(arg.slice(2)) : [byAlias.get(arg.slice(1)) ?? arg.slice(1), undefined];
    const name = rawName;
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option \`${arg}\``);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option \`--${name}\` takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option \`--${name}\` needs a value`);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(`option \`--${name}\` must be one of ${spec.choices.join(", ")}; got \`${value}\``);
    }
    flags.set(name, value);
  }
  return { positional, flags };
}

function splitOnce(text: string): [string, string | undefined] {
  const eq = text.indexOf("=");
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/**
 * Positional arguments split into files and `key=value` overrides: an argument with `=` before any path
 * separator is an override (`width=16`, `optimizer.lr=0.01`); a file whose name has one is written `./a=b.dyn`.
 */
export function splitOverrides(positional: readonly string[]): { files: string[]; overrides: string[] } {
  const isOverride = (arg: string) => /^[^=/\\]+=/.test(arg);
  return { files: positional.filter((a) => !isOverride(a)), overrides: positional.filter(isOverride) };
}
