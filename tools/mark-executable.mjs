#!/usr/bin/env node
/**
 * Marks the command-line entry (package.json `bin`) executable after `tsc` wrote it: tsc writes files
 * 0644, and `npx dync …` in this checkout (the README's first command) runs the bin file itself, which the
 * shell refuses without the executable bit ("dync: Permission denied"). An installed package does not need
 * this (npm sets the bit when it links the bin), a checkout does. Part of build/prepare/pretest.
 */
import { chmodSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { bin } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const file of Object.values(typeof bin === "string" ? { dync: bin } : bin)) {
  const path = join(root, file);
  if (!existsSync(path)) throw new Error(`${file} (package.json bin) was not built`);
  chmodSync(path, statSync(path).mode | 0o111);
}
