/** The registry: every standard-library entry, looked up by kind and name. */
import type { Entry, EntryKind } from "./types.js";

export class Registry {
  private readonly byKind = new Map<EntryKind, Map<string, Entry>>();

  constructor(entries: readonly Entry[]) {
    for (const e of entries) {
      const family = this.byKind.get(e.kind) ?? new Map<string, Entry>();
      if (family.has(e.name)) throw new Error(`registry: duplicate ${e.kind} \`${e.name}\``);
      family.set(e.name, e);
      this.byKind.set(e.kind, family);
    }
  }

  get(kind: EntryKind, name: string): Entry | undefined {
    return this.byKind.get(kind)?.get(name);
  }

  /** Every entry of one kind, in registration order. */
  ofKind(kind: EntryKind): readonly Entry[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  /** Entries of any kind with this name (for hover and messages). */
  named(name: string): readonly Entry[] {
    return [...this.byKind.values()].flatMap((family) => (family.has(name) ? [family.get(name)!] : []));
  }

  all(): readonly Entry[] {
    return [...this.byKind.values()].flatMap((family) => [...family.values()]);
  }

  kinds(): readonly EntryKind[] {
    return [...this.byKind.keys()];
  }
}
