/** Locations shared by the compiler tests: the repository root and root-relative display of paths. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Text with absolute paths under the repository shown relative to it, as a user working there sees them. */
export function relativeToRoot(text: string): string {
  return text.split(`${ROOT}/`).join("");
}
