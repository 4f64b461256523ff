/**
 * The parser's lookahead from token paths computed when the grammar last changed, not at every start.
 *
 * chevrotain decides each OR / OPTION / MANY by matching the next tokens against "lookahead paths": per
 * alternative, the token sequences (up to the production's lookahead depth) that select it. Computing them from
 * the grammar took ~50 ms of CPU at every `dync check`, `dync run` and language-server start (all of them when
 * the parser is constructed, or the ones a file meets when built lazily: grammar/lazy-lookahead.ts). They
 * depend on the grammar alone, so `npm run docs` records them (grammar/lookahead-paths.ts, by token name, with a
 * fingerprint of the grammar they were computed from; test/docs.test.ts fails when it is stale) and the parser
 * builds its lookahead functions from them. A parser whose grammar no longer matches the fingerprint (edited,
 * not yet regenerated) ignores the table and computes its paths lazily, as before: a stale table costs time,
 * never a wrong parse.
 *
 * The functions built from paths decide as chevrotain's own (`buildAlternativesLookAheadFunc`,
 * `buildSingleAlternativeLookaheadFunction`, which chevrotain does not export): the first alternative, in order,
 * whose gate (if any) allows it and one of whose paths matches the next tokens (`tokenMatcher`, token categories
 * included). test/grammar/lazy-lookahead.test.ts parses every example and fixture with this parser and with
 * chevrotain's eager LL(k) one and requires the same result.
 */
import { createHash } from "node:crypto";
import { getLookaheadPaths, serializeGrammar, tokenMatcher, VERSION, type IOrAlt, type IToken, type Rule, type TokenType } from "./chevrotain.js";
import { LazyLookaheadStrategy } from "./lazy-lookahead.js";

/** Token paths by token name: per production (`rule/kind/occurrence`), per alternative, the paths that select it. */
export interface LookaheadTable {
  /** Fingerprint of the grammar (and chevrotain version, lookahead depth) the paths were computed from. */
  readonly grammar: string;
  readonly paths: Readonly<Record<string, readonly (readonly (readonly string[])[])[]>>;
}

type Strategy = InstanceType<typeof LazyLookaheadStrategy>;
type AlternationOptions = Parameters<Strategy["buildLookaheadForAlternation"]>[0];
type OptionalOptions = Parameters<Strategy["buildLookaheadForOptional"]>[0];
type Paths = readonly (readonly TokenType[])[];
/** What a lookahead function reads of the parser it runs on. */
interface Lookahead {
  LA(howMuch: number): IToken;
}

/** The fingerprint a table must carry to be used for `rules`. */
export function grammarFingerprint(rules: readonly Rule[], maxLookahead: number): string {
  return createHash("sha256").update(JSON.stringify({ chevrotain: VERSION, maxLookahead, rules: serializeGrammar(rules as Rule[]) })).digest("hex").slice(0, 32);
}

function productionKey(rule: Rule, kind: string, occurrence: number): string {
  return `${rule.name}/${kind}/${occurrence}`;
}

/**
 * Lookahead from `table` when it was computed from this grammar; otherwise built lazily from the grammar.
 * With `record`, every production's paths are computed (as chevrotain does eagerly) and kept in `recorded`:
 * how `npm run docs` makes the table.
 */
export class TableLookaheadStrategy extends LazyLookaheadStrategy {
  private readonly tokensByName: ReadonlyMap<string, TokenType>;
  private readonly table: LookaheadTable | undefined;
  private readonly record: boolean;
  private usable = false;
  /** The paths computed in record mode, and the fingerprint of the grammar they came from. */
  readonly recorded: { grammar: string; paths: Record<string, string[][][]> } = { grammar: "", paths: {} };

  private readonly depth: number;

  constructor(options: { maxLookahead: number; tokens: readonly TokenType[]; table?: LookaheadTable; record?: boolean }) {
    super({ maxLookahead: options.maxLookahead });
    this.depth = options.maxLookahead;
    this.tokensByName = new Map(options.tokens.map((t) => [t.name, t]));
    this.table = options.table;
    this.record = options.record === true;
  }

  /** Whether the table matched the grammar and serves the lookahead (after the parser's self-analysis). */
  get fromTable(): boolean {
    return this.usable;
  }

  override initialize(options: { rules: Rule[] }): void {
    const fingerprint = grammarFingerprint(options.rules, this.depth);
    this.recorded.grammar = fingerprint;
    this.usable = !this.record && this.table?.grammar === fingerprint;
  }

  override buildLookaheadForAlternation(options: AlternationOptions): ReturnType<Strategy["buildLookaheadForAlternation"]> {
    const paths = this.pathsOf(options.rule, "Alternation", options.prodOccurrence, options.maxLookahead);
    return paths ? alternationFunction(paths, options.hasPredicates) : super.buildLookaheadForAlternation(options);
  }

  override buildLookaheadForOptional(options: OptionalOptions): ReturnType<Strategy["buildLookaheadForOptional"]> {
    const paths = this.pathsOf(options.rule, options.prodType, options.prodOccurrence, options.maxLookahead);
    // As chevrotain: an optional production is taken when the next tokens match a path into it (alternative 0).
    return paths ? optionalFunction(paths[0]!) : super.buildLookaheadForOptional(options);
  }

  /** The production's paths from the table or, recording, computed now; undefined when neither applies. */
  private pathsOf(rule: Rule, kind: string, occurrence: number, maxLookahead: number): readonly Paths[] | undefined {
    const key = productionKey(rule, kind, occurrence);
    if (this.record) {
      const paths = getLookaheadPaths({ occurrence, rule, prodType: kind as Parameters<typeof getLookaheadPaths>[0]["prodType"], maxLookahead });
      this.recorded.paths[key] = paths.map((alt: TokenType[][]) => alt.map((path) => path.map((t) => t.name)));
      return paths;
    }
    const named = this.usable ? this.table?.paths[key] : undefined;
    return named?.map((alt) => alt.map((path) => path.map((name) => this.tokenNamed(name))));
  }

  private tokenNamed(name: string): TokenType {
    const token = this.tokensByName.get(name);
    if (!token) throw new Error(`grammar/lookahead-paths.ts names a token the token table does not have: ${name}`);
    return token;
  }
}

/** Whether the next tokens match one of `paths`. */
function matchesAny(parser: Lookahead, paths: Paths): boolean {
  nextPath: for (const path of paths) {
    for (let i = 0; i < path.length; i++) {
      if (!tokenMatcher(parser.LA(i + 1), path[i]!)) continue nextPath;
    }
    return true;
  }
  return false;
}

/** The alternative to take: the first whose gate allows it and whose paths match; with one-token paths and no gates, a table lookup. */
function alternationFunction(alts: readonly Paths[], hasPredicates: boolean): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
  if (!hasPredicates && alts.every((alt) => alt.every((path) => path.length === 1))) {
    const choice = new Map<number, number>();
    alts.forEach((alt, index) => {
      for (const [token] of alt) for (const idx of [token!.tokenTypeIdx!, ...(token!.categoryMatches ?? [])]) if (!choice.has(idx)) choice.set(idx, index);
    });
    return function (this: Lookahead) {
      return choice.get(this.LA(1).tokenTypeIdx);
    };
  }
  return function (this: Lookahead, orAlts?: IOrAlt<unknown>[]) {
    for (let t = 0; t < alts.length; t++) {
      const gate = hasPredicates ? orAlts?.[t]?.GATE : undefined;
      if (gate !== undefined && gate.call(this) === false) continue;
      if (matchesAny(this, alts[t]!)) return t;
    }
    return undefined;
  };
}

function optionalFunction(paths: Paths): () => boolean {
  return function (this: Lookahead) {
    return matchesAny(this, paths);
  };
}
