/** docs/diagnostics.md, generated from the message table so the reference cannot drift from the code. */
import { messages, type MessageSpec } from "../../diagnostics/messages.js";

const RANGES: [prefix: string, title: string][] = [
  ["DYN1", "Lexical and syntax errors"],
  ["DYN2", "Names and types"],
  ["DYN3", "Run plan"],
  ["DYN4", "Command line and files"],
];

export function renderDiagnosticsDoc(): string {
  const lines = [
    "# Diagnostics",
    "",
    "<!-- Generated from diagnostics/messages.ts by `npm run docs`; do not edit by hand. -->",
    "",
    "Every problem dync reports has a stable code, a severity, a message and a source location rendered as a",
    "code frame. `dync check --format json` prints the same diagnostics as JSON lines for tools. Errors that",
    "can only show while an experiment runs (a missing data file, a fit with too few points) have `RUN…` codes:",
    "see [runtime-errors.md](runtime-errors.md).",
    "",
  ];
  for (const [prefix, title] of RANGES) {
    const entries = Object.entries(messages as Record<string, MessageSpec>).filter(([code]) => code.startsWith(prefix));
    if (entries.length === 0) continue;
    lines.push(`## ${title}`, "", "| code | name | severity | message | what to do |", "|---|---|---|---|---|");
    for (const [code, spec] of entries) {
      lines.push(`| ${code} | ${spec.name} | ${spec.severity} | ${escapeCell(spec.message)} | ${escapeCell(spec.help)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}
