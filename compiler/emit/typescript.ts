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
      types: ["node"],
      typeRoots: [join(root, "node_modules", "@types")],
      paths: { "dync/runtime": [runtimeEntry()] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  return shared;
}

export interface TypeProblem {
  readonly line: number;
  readonly message: string;
}

/** Type-check a generated module; returns every problem (none for a correct compiler). */
export function typeCheck(code: string): TypeProblem[] {
  const p = project();
  const path = join(packageInfo().root, ".dync-generated", `check-${process.pid}-${Date.now()}.mts`);
  const file = p.createSourceFile(path, code, { overwrite: true });
  try {
    return file.getPreEmitDiagnostics().map((d) => ({
      line: d.getLineNumber() ?? 0,
      message: ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n"),
    }));
  } finally {
    p.removeSourceFile(file);
  }
}

/** JavaScript for a generated module (ES2022, ES modules). */
export function toJavaScript(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
  }).outputText;
}
