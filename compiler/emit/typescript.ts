/**
 * Type-checking generated TypeScript against the runtime's own types, and emitting JavaScript.
 * A type error here is a compiler bug, reported as such with the generated line.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Project, ts } from "ts-morph";
import { packageInfo } from "../package-info.js";

let shared: Project | undefined;

/**
 * The part of Node.js a generated program uses (emit.ts: its entry point), declared here so that checking
 * it needs no @types/node, a development dependency that an installed dync does not have. The same
 * declarations serve in a checkout, so the check that passes here is the one that runs where dync is
 * installed. The runtime's own declarations may name Node types; skipLibCheck leaves those unchecked.
 */
const NODE_DECLARATIONS = `
declare module "node:url" { export function pathToFileURL(path: string): { readonly href: string }; }
declare module "node:worker_threads" { export const isMainThread: boolean; }
declare const process: { readonly argv: string[]; exitCode: number | undefined };
interface ImportMeta { readonly url: string }
`;

/** The runtime entry types resolve to: sources in a checkout, declarations in an installed package. */
function runtimeEntry(): string {
  const root = packageInfo().root;
  const fromDist = fileURLToPath(import.meta.url).includes(`${join("dist", "compiler")}`);
  const source = join(root, "runner", "index.ts");
  const declarations = join(root, "dist", "runner", "index.d.ts");
  return !fromDist && existsSync(source) ? source : declarations;
}

function project(): Project {
  if (shared) return shared;
  const root = packageInfo().root;
  shared = new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      // Generated programs are ES modules (top-level await, import.meta); Bundler resolution lets the
      // `paths` entry map `dync/runtime` to the runtime's own sources or declarations.
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      lib: ["lib.es2022.d.ts"],
      // No ambient type packages: Node's part is NODE_DECLARATIONS.
      types: [],
      paths: { "dync/runtime": [runtimeEntry()] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  shared.createSourceFile(join(root, ".dync-generated", "node-declarations.d.ts"), NODE_DECLARATIONS, { overwrite: true });
  return shared;
}

export interface TypeProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Type-check a generated module; returns every problem (none for a correct compiler). `runtimeImport` is the
 * specifier it imports the runtime by, when not `dync/runtime` (a file URL: cli/commands/compile.ts): it is
 * declared as that same runtime.
 */
export function typeCheck(code: string, runtimeImport = "dync/runtime"): TypeProblem[] {
  const p = project();
  const stem = join(packageInfo().root, ".dync-generated", `check-${process.pid}-${Date.now()}`);
  const alias = runtimeImport === "dync/runtime" ? undefined : p.createSourceFile(`${stem}-runtime.d.ts`, `declare module ${JSON.stringify(runtimeImport)} { export * from "dync/runtime"; }\n`, { overwrite: true });
  const file = p.createSourceFile(`${stem}.mts`, code, { overwrite: true });
  try {
    return file.getPreEmitDiagnostics().map((d) => ({
      line: d.getLineNumber() ?? 0,
      message: ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n"),
    }));
  } finally {
    p.removeSourceFile(file);
    if (alias) p.removeSourceFile(alias);
  }
}

/** JavaScript for a generated module (ES2022, ES modules). */
export function toJavaScript(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
  }).outputText;
}
