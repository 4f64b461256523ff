/**
 * The `.dyn` parser: chevrotain, embedded actions building the typed AST directly, with error recovery
 * on so one run reports every syntax error and still yields a tree.
 *
 * Chevrotain runs every rule once in a "recording phase" to learn the grammar; code that touches the
 * values returned by CONSUME/SUBRULE therefore lives inside `this.ACTION(...)`.
 */
import { EmbeddedActionsParser, EOF, isRecognitionException, LLkLookaheadStrategy, type IToken, type TokenType } from "./chevrotain.js";
import type { SourceFile, Span } from "../diagnostics/source.js";
import type * as A from "./ast.js";
import { structuredMessages, type StrayContext, type StrayRun } from "./syntax-errors.js";
import * as T from "./tokens.js";
import { VALIDATE_GRAMMAR } from "./lexer.js";
import { LazyLookaheadStrategy } from "./lazy-lookahead.js";
import { TableLookaheadStrategy, type LookaheadTable } from "./lookahead-table.js";
import { LOOKAHEAD_PATHS } from "./lookahead-paths.js";

export type { StrayContext, StrayRun } from "./syntax-errors.js";

const K = T.Keywords;

const TOP_STARTERS = [K.import, K.let, K.experiment, K.data, K.model];
const BODY_STARTERS = [
  K.let, K.sweep, K.seeds, K.data, K.model, K.init, K.loss, K.regularize, K.optimizer, K.schedule,
  K.train, K.checkpoint, K.probe, K.expect, K.plot, K.profile,
];
const OPENERS = new Set<TokenType>([T.LBrace, T.LParen, T.LBracket]);
const CLOSERS = new Set<TokenType>([T.RBrace, T.RParen, T.RBracket]);
/** Inside a range's upper bound `step` starts the range's step; `epoch` has no such meaning. */
const SINGULAR_UNITS = new Set<TokenType>([K.step]);
const UNIT_OF = new Map<TokenType, A.Unit>([
  [K.step, "steps"], [K.steps, "steps"], [K.epoch, "epochs"], [K.epochs, "epochs"],
]);

function is(token: IToken, types: readonly TokenType[]): boolean {
  return types.includes(token.tokenType);
}

/** Tokens of lookahead the grammar may need to choose between alternatives. */
const MAX_LOOKAHEAD = 3;

function lookaheadStrategy(kind: "table" | "lazy" | "eager" | "record", table: LookaheadTable): InstanceType<typeof LLkLookaheadStrategy> {
  switch (kind) {
    case "eager":
      return new LLkLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD });
    case "lazy":
      return new LazyLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD });
    case "table":
    case "record":
      return new TableLookaheadStrategy({ maxLookahead: MAX_LOOKAHEAD, tokens: T.allTokens, table, record: kind === "record" });
  }
}

export class DynParser extends EmbeddedActionsParser {
  private source!: SourceFile;
  /** Runs of tokens skipped by the `stray*` rules, in order. */
  strays: StrayRun[] = [];
  /** Inside the upper bound of a range, `step` means the range's step, not a unit (`0..1 step 0.1`). */
  private rangeBoundDepth = 0;

  /**
   * Lookahead from the recorded paths (grammar/lookahead-table.ts; "table", the default), built lazily from the
   * grammar ("lazy", what "table" falls back to when the grammar changed), all up front as chevrotain does by
   * default ("eager"), or all up front and recorded for `npm run docs` ("record"). Tests compare them.
   */
  constructor(options: { lookahead?: "table" | "lazy" | "eager" | "record"; table?: LookaheadTable } = {}) {
    const strategy = lookaheadStrategy(options.lookahead ?? "table", options.table ?? LOOKAHEAD_PATHS);
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: strategy,
      errorMessageProvider: structuredMessages,
      skipValidations: !VALIDATE_GRAMMAR, // grammar/lexer.ts says when they run
    });
    this.performSelfAnalysis();
    this.strategy = strategy;
  }

  private readonly strategy: InstanceType<typeof LLkLookaheadStrategy>;

  /** Whether the lookahead comes from grammar/lookahead-paths.ts (false when it is stale, or for another `lookahead`). */
  lookaheadFromTable(): boolean {
    return this.strategy instanceof TableLookaheadStrategy && this.strategy.fromTable;
  }

  /** The lookahead paths a `lookahead: "record"` parser computed, for grammar/lookahead-paths.ts. */
  recordedLookahead(): TableLookaheadStrategy["recorded"] {
    if (!(this.strategy instanceof TableLookaheadStrategy)) throw new Error("recordedLookahead needs a parser constructed with lookahead: \"record\"");
    return this.strategy.recorded;
  }

  /** Parse a token vector of `source`; read `errors` and `strays` afterwards. */
  parseProgram(tokens: IToken[], source: SourceFile): A.Program {
    this.source = source;
    this.strays = [];
    this.intervalArityErrors = [];
    this.emptyItems = [];
    this.rangeBoundDepth = 0;
    this.input = tokens;
    return this.program();
  }

  /**
   * Parse a token vector of `source` as one expression (a command-line override's value); read `errors`
   * afterwards. `rest` is the first token not consumed, undefined when all were.
   */
  parseExpressionTokens(tokens: IToken[], source: SourceFile): { expr: A.Expr; rest: IToken | undefined } {
    this.source = source;
    this.strays = [];
    this.intervalArityErrors = [];
    this.emptyItems = [];
    this.rangeBoundDepth = 0;
    this.input = tokens;
    const expr = this.expression();
    const next = this.LA(1);
    return { expr, rest: next.tokenType === EOF ? undefined : next };
  }

  // ── helpers ────────────────────────────────────────────────────────────────
  /** Block loops stop at `}`: every token may start a stray run, so the lookahead alone would not. */
  private notAtBlockEnd = (): boolean => this.LA(1).tokenType !== T.RBrace;

  private spanOf(start: number, end: number): Span {
    return this.source.span(start, end);
  }
  /**
   * The span of one token. The lexer already tracked its line and column (1-based, UTF-16, the same line
   * breaks as SourceFile), so no lookup is needed; tokens inserted by recovery have none and are looked up.
   */
  private tokenSpan(t: IToken): Span {
    if (!Number.isFinite(t.startOffset) || t.startLine === undefined || !Number.isFinite(t.startLine) || t.endLine === undefined || t.endColumn === undefined) {
      const start = startOf(t);
      return this.spanOf(start, start + t.image.length);
    }
    return { file: this.source.path, start: t.startOffset, end: T.tokenEnd(t), line: t.startLine, col: t.startColumn!, endLine: t.endLine, endCol: t.endColumn + 1 };
  }
  /** From the start of `first` (a token or a node) to the end of the last token consumed. */
  private spanFrom(first: IToken | { span: Span }): Span {
    const from = "span" in first ? first.span : this.tokenSpan(first);
    const last = this.LA(0);
    if (!last || !Number.isFinite(last.startOffset) || T.tokenEnd(last) <= from.start) return { ...from, end: from.start, endLine: from.line, endCol: from.col };
    const to = this.tokenSpan(last);
    return { file: from.file, start: from.start, end: to.end, line: from.line, col: from.col, endLine: to.endLine, endCol: to.endCol };
  }
  private join(a: { span: Span }, b: { span: Span }): Span {
    const to = b.span.end >= a.span.end ? b.span : a.span;
    return { file: a.span.file, start: a.span.start, end: to.end, line: a.span.line, col: a.span.col, endLine: to.endLine, endCol: to.endCol };
  }
  private ident(token: IToken): A.Identifier {
    return { kind: "Identifier", name: token.image, span: this.tokenSpan(token) };
  }
  private errorExpr(at: IToken): A.ErrorExpr {
    const start = startOf(at);
    return { kind: "Error", span: this.spanOf(start, start) };
  }

  // ── top level ──────────────────────────────────────────────────────────────
  private program = this.RULE("program", (): A.Program => {
    const items: A.Statement[] = [];
    this.MANY(() => {
      const item = this.toleratingEnd(() => this.SUBRULE(this.topItem));
      this.ACTION(() => item && items.push(item));
    });
    return this.ACTION(() => ({
      kind: "Program" as const,
      items: items.filter((s) => s.kind !== "ErrorStatement" || s.span.end > s.span.start),
      comments: [],
      span: this.spanOf(0, this.source.text.length),
    }));
  });

  /** Statements are chosen by their first word alone, so `train ;` is a train statement missing its duration. */
  private topItem = this.RULE("topItem", (): A.Statement =>
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.SUBRULE(this.importStmt) },
        { ALT: () => this.SUBRULE(this.letStmt) },
        { ALT: () => this.SUBRULE(this.experimentStmt) },
        { ALT: () => this.SUBRULE(this.dataStmt) },
        { ALT: () => this.SUBRULE(this.modelStmt) },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.strayTop), IGNORE_AMBIGUITIES: true },
      ],
    }),
  );

  /**
   * An error at the very end of the file cannot re-synchronise anywhere but at the top rule, which would
   * drop the whole tree. The error is already recorded; keep what the enclosing block parsed so far.
   */
  private toleratingEnd<R>(parse: () => R): R | undefined {
    try {
      return parse();
    } catch (error) {
      if (isRecognitionException(error as Error) && this.LA(1).tokenType === EOF) return undefined;
      throw error;
    }
  }

  /** `;` between statements is optional; it parses to nothing. */
  private separator = this.RULE("separator", (): A.ErrorStatement => {
    const t = this.CONSUME(T.Semicolon);
    return this.ACTION(() => ({ kind: "ErrorStatement" as const, span: this.spanOf(startOf(t), startOf(t)) }));
  });

  private importStmt = this.RULE("importStmt", (): A.ImportStmt => {
    const kw = this.CONSUME(K.import);
    const path = this.CONSUME(T.StringLiteral);
    return this.ACTION(() => ({ kind: "Import" as const, path: this.stringLit(path), span: this.spanFrom(kw) }));
  });

  private letStmt = this.RULE("letStmt", (): A.LetStmt => {
    const kw = this.CONSUME(K.let);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: "Let" as const, name: this.ident(name), value, span: this.spanFrom(kw) }));
  });

  private experimentStmt = this.RULE("experimentStmt", (): A.ExperimentStmt => {
    const kw = this.CONSUME(K.experiment);
    const name = this.CONSUME(T.Name);
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: "Experiment" as const, name: this.ident(name), body, span: this.spanFrom(kw) }));
  });

  /** `{ statement* }` of an experiment or a profile. */
  private block = this.RULE("block", (): A.Statement[] => {
    const body: A.Statement[] = [];
    this.CONSUME(T.LBrace);
    this.MANY({
      GATE: this.notAtBlockEnd,
      DEF: () => {
        const s = this.toleratingEnd(() => this.SUBRULE(this.statement));
        this.ACTION(() => s && body.push(s));
      },
    });
    this.CONSUME(T.RBrace);
    return this.ACTION(() => body.filter((s) => s.kind !== "ErrorStatement" || s.span.end > s.span.start));
  });

  private statement = this.RULE(
    "statement",
    (): A.Statement =>
      this.OR({
        MAX_LOOKAHEAD: 1,
        DEF: [
        { ALT: () => this.SUBRULE(this.letStmt) },
        { ALT: () => this.SUBRULE(this.sweepStmt) },
        { ALT: () => this.SUBRULE(this.seedsStmt) },
        { ALT: () => this.SUBRULE(this.dataStmt) },
        { ALT: () => this.SUBRULE(this.modelStmt) },
        { ALT: () => this.SUBRULE(this.initStmt) },
        { ALT: () => this.SUBRULE(this.clauseStmt) },
        { ALT: () => this.SUBRULE(this.trainStmt) },
        { ALT: () => this.SUBRULE(this.checkpointStmt) },
        { ALT: () => this.SUBRULE(this.probeStmt) },
        { ALT: () => this.SUBRULE(this.expectStmt) },
        { ALT: () => this.SUBRULE(this.plotStmt) },
        { ALT: () => this.SUBRULE(this.profileStmt) },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.strayStatement), IGNORE_AMBIGUITIES: true },
      ]}),
    { recoveryValueFunc: () => ({ kind: "ErrorStatement" as const, span: this.spanOf(0, 0) }) },
  );

  // ── experiment statements ──────────────────────────────────────────────────
  private sweepStmt = this.RULE("sweepStmt", (): A.SweepStmt => {
    const kw = this.CONSUME(K.sweep);
    const names: IToken[] = [];
    let tuple = false;
    this.OR([
      { ALT: () => names.push(this.CONSUME(T.Name)) },
      {
        ALT: () => {
          tuple = true;
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => names.push(this.CONSUME2(T.Name)) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
    this.CONSUME(K.in);
    const values = this.SUBRULE(this.expression);
    return this.ACTION(() => ({
      kind: "Sweep" as const,
      vars: names.filter((t) => !t.isInsertedInRecovery).map((t) => this.ident(t)),
      tuple,
      values,
      span: this.spanFrom(kw),
    }));
  });

  private seedsStmt = this.RULE("seedsStmt", (): A.SeedsStmt => {
    const kw = this.CONSUME(K.seeds);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: "Seeds" as const, value, span: this.spanFrom(kw) }));
  });

  private dataStmt = this.RULE("dataStmt", (): A.DataStmt => {
    const kw = this.CONSUME(K.data);
    const name = this.CONSUME(T.Name);
    let source: A.Expr | undefined;
    let target: A.Expr | undefined;
    let block: A.DataItem[] | undefined;
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          source = this.SUBRULE(this.expression);
          this.OPTION(() => {
            this.CONSUME(T.Arrow);
            target = this.SUBRULE2(this.expression);
          });
        },
      },
      {
        ALT: () => {
          const items: A.DataItem[] = [];
          this.CONSUME(T.LBrace);
          this.MANY({
            GATE: this.notAtBlockEnd,
            DEF: () => {
              const item = this.toleratingEnd(() => this.SUBRULE(this.dataItem));
              this.ACTION(() => item && items.push(item));
            },
          });
          this.CONSUME(T.RBrace);
          block = items;
        },
      },
    ]);
    return this.ACTION(() => ({
      kind: "Data" as const,
      name: this.ident(name),
      ...(source ? { source } : {}),
      ...(target ? { target } : {}),
      ...(block ? { block: block.filter((s) => s.kind !== "ErrorStatement" || s.span.end > s.span.start) } : {}),
      span: this.spanFrom(kw),
    }));
  });

  private dataItem = this.RULE(
    "dataItem",
    (): A.DataItem =>
      this.OR({
        MAX_LOOKAHEAD: 2,
        DEF: [
        {
          ALT: () => {
            const name = this.CONSUME(T.Name);
            this.CONSUME(T.Tilde);
            const distribution = this.SUBRULE(this.plainCall);
            let size: A.Expr | undefined;
            this.OPTION(() => {
              this.CONSUME(T.LBracket);
              size = this.SUBRULE(this.expression);
              this.CONSUME(T.RBracket);
            });
            return this.ACTION(() => ({
              kind: "Sample" as const,
              name: this.ident(name),
              distribution,
              ...(size ? { size } : {}),
              span: this.spanFrom(name),
            }));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME2(T.Name);
            this.CONSUME(T.Equals);
            const value = this.SUBRULE2(this.expression);
            return this.ACTION(() => ({ kind: "Assign" as const, name: this.ident(name), value, span: this.spanFrom(name) }));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME3(T.Name);
            this.CONSUME(T.Colon);
            const value = this.SUBRULE3(this.expression);
            return this.ACTION(() => ({ kind: "DataOption" as const, name: this.ident(name), value, span: this.spanFrom(name) }));
          },
        },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.strayData), IGNORE_AMBIGUITIES: true },
      ]}),
    { recoveryValueFunc: () => ({ kind: "ErrorStatement" as const, span: this.spanOf(0, 0) }) },
  );

  /** `uniform(-2, 2)`: a distribution call, kept apart from indexing so `[1024]` reads as a size. */
  private plainCall = this.RULE("plainCall", (): A.CallExpr => {
    const name = this.CONSUME(T.Name);
    const args = this.SUBRULE(this.argumentList);
    return this.ACTION(() => {
      const callee: A.NameRef = { kind: "Name", name: name.image, span: this.ident(name).span };
      return { kind: "Call" as const, callee, args, span: this.spanFrom(name) };
    });
  });

  private modelStmt = this.RULE("modelStmt", (): A.ModelStmt => {
    const kw = this.CONSUME(K.model);
    const name = this.CONSUME(T.Name);
    let value: A.Expr | undefined;
    let layers: A.ModelItem[] | undefined;
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          value = this.SUBRULE(this.expression);
        },
      },
      {
        ALT: () => {
          const items: A.ModelItem[] = [];
          this.CONSUME(T.LBrace);
          this.MANY({
            GATE: this.notAtBlockEnd,
            DEF: () => {
              const item = this.toleratingEnd(() => this.SUBRULE(this.modelItem));
              this.ACTION(() => item && items.push(item));
            },
          });
          this.CONSUME(T.RBrace);
          layers = items;
        },
      },
    ]);
    return this.ACTION(() => ({
      kind: "Model" as const,
      name: this.ident(name),
      ...(value ? { value } : {}),
      ...(layers ? { layers: layers.filter((s) => s.kind !== "ErrorStatement" || s.span.end > s.span.start) } : {}),
      span: this.spanFrom(kw),
    }));
  });

  private modelItem = this.RULE(
    "modelItem",
    (): A.ModelItem =>
      this.OR({
        MAX_LOOKAHEAD: 2,
        DEF: [
        {
          ALT: () => {
            const name = this.CONSUME(T.Name);
            this.CONSUME(T.Equals);
            const value = this.SUBRULE(this.expression);
            return this.ACTION(() => ({ kind: "Layer" as const, name: this.ident(name), value, span: this.spanFrom(name) }));
          },
        },
        {
          // `train 5 steps` in a model block is a misplaced statement, not a layer named `train`.
          GATE: () => !this.misplacedStatement(),
          ALT: () => {
            const value = this.SUBRULE2(this.expression);
            return this.ACTION(() => ({ kind: "Layer" as const, value, span: value.span }));
          },
        },
        { ALT: () => this.SUBRULE(this.separator) },
        { ALT: () => this.SUBRULE(this.strayModel), IGNORE_AMBIGUITIES: true },
      ]}),
    { recoveryValueFunc: () => ({ kind: "ErrorStatement" as const, span: this.spanOf(0, 0) }) },
  );

  private initStmt = this.RULE("initStmt", (): A.InitStmt => {
    const kw = this.CONSUME(K.init);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => {
      const span = this.spanFrom(kw);
      if (value.kind === "Binary" && value.op === "~") {
        return { kind: "Init" as const, target: value.left, scheme: value.right, span };
      }
      return { kind: "Init" as const, scheme: value, span };
    });
  });

  private clauseStmt = this.RULE("clauseStmt", (): A.ClauseStmt => {
    const kw = this.OR([
      { ALT: () => this.CONSUME(K.loss) },
      { ALT: () => this.CONSUME(K.regularize) },
      { ALT: () => this.CONSUME(K.optimizer) },
      { ALT: () => this.CONSUME(K.schedule) },
    ]);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({
      kind: "Clause" as const,
      keyword: kw.image as A.ClauseKeyword,
      value,
      span: this.spanFrom(kw),
    }));
  });

  private trainStmt = this.RULE("trainStmt", (): A.TrainStmt => {
    const kw = this.CONSUME(K.train);
    const duration = this.SUBRULE(this.duration);
    const options: A.TrainOption[] = [];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const option = this.SUBRULE(this.trainOption);
      this.ACTION(() => options.push(option));
    });
    return this.ACTION(() => ({ kind: "Train" as const, duration, options, span: this.spanFrom(kw) }));
  });

  private duration = this.RULE("duration", (): A.Expr => this.SUBRULE(this.expression));

  private trainOption = this.RULE("trainOption", (): A.TrainOption => {
    const kw = this.OR([{ ALT: () => this.CONSUME(K.batch) }, { ALT: () => this.CONSUME(K.shuffle) }]);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({
      kind: "TrainOption" as const,
      name: kw.image as "batch" | "shuffle",
      value,
      span: this.spanFrom(kw),
    }));
  });

  private checkpointStmt = this.RULE("checkpointStmt", (): A.CheckpointStmt => {
    const kw = this.CONSUME(K.checkpoint);
    this.CONSUME(K.every);
    const interval = this.SUBRULE(this.interval);
    return this.ACTION(() => ({ kind: "Checkpoint" as const, interval: bareUnit(interval), span: this.spanFrom(kw) }));
  });

  private probeStmt = this.RULE("probeStmt", (): A.ProbeStmt => {
    const kw = this.CONSUME(K.probe);
    const name = this.CONSUME(T.Name);
    const only = this.OPTION3(() => this.SUBRULE(this.indexList));
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    const cadences: A.Cadence[] = [];
    this.OPTION(() => {
      cadences.push(this.SUBRULE(this.cadence));
      this.MANY(() => {
        this.OPTION2(() => this.CONSUME(T.Comma));
        cadences.push(this.SUBRULE2(this.cadence));
      });
    });
    return this.ACTION(() => ({ kind: "Probe" as const, name: this.ident(name), ...(only ? { only } : {}), value, cadences, span: this.spanFrom(kw) }));
  });

  private cadence = this.RULE(
    "cadence",
    (): A.Cadence =>
      this.OR([
        {
          ALT: () => {
            const kw = this.CONSUME(K.every);
            const interval = this.SUBRULE(this.interval);
            return this.ACTION(() => ({ kind: "Every" as const, interval: bareUnit(interval), span: this.spanFrom(kw) }));
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(K.at);
            return this.OR2([
              {
                ALT: () => {
                  this.CONSUME(K.first);
                  this.CONSUME(T.LParen);
                  const condition = this.SUBRULE(this.expression);
                  this.CONSUME(T.RParen);
                  return this.ACTION(() => ({ kind: "AtFirst" as const, condition, span: this.spanFrom(kw) }));
                },
                IGNORE_AMBIGUITIES: true,
              },
              {
                ALT: () => {
                  const points = this.SUBRULE(this.timePoints);
                  return this.ACTION(() => ({ kind: "At" as const, points, span: this.spanFrom(kw) }));
                },
              },
            ]);
          },
        },
      ]),
  );

  private interval = this.RULE("interval", (): A.Expr => this.SUBRULE(this.expression));
  private timePoints = this.RULE("timePoints", (): A.Expr => this.SUBRULE(this.expression));

  private expectStmt = this.RULE("expectStmt", (): A.ExpectStmt => {
    const kw = this.CONSUME(K.expect);
    const condition = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: "Expect" as const, condition, span: this.spanFrom(kw) }));
  });

  private plotStmt = this.RULE("plotStmt", (): A.PlotStmt => {
    const kw = this.CONSUME(K.plot);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: "Plot" as const, value, span: this.spanFrom(kw) }));
  });

  private profileStmt = this.RULE("profileStmt", (): A.ProfileStmt => {
    const kw = this.CONSUME(K.profile);
    const name = this.CONSUME(T.Name);
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: "Profile" as const, name: this.ident(name), body, span: this.spanFrom(kw) }));
  });

  // ── stray tokens: skipped as a run, reported once ──────────────────────────
  private strayTop = this.RULE("strayTop", (): A.ErrorStatement => this.skipStray("top", TOP_STARTERS));
  private strayStatement = this.RULE("strayStatement", (): A.ErrorStatement => this.skipStray("experiment", BODY_STARTERS));
  private strayData = this.RULE("strayData", (): A.ErrorStatement => this.skipStray("data", []));
  private strayModel = this.RULE("strayModel", (): A.ErrorStatement => this.skipStray("model", []));

  /**
   * Consume one token that cannot start anything here, then the rest of its run: up to the next token
   * that starts a statement of this context, a `}` that closes the block, or the end, skipping whole
   * bracketed groups so a stray `foo { train … }` is one error, not several.
   */
  private skipStray(context: StrayContext, starters: readonly TokenType[]): A.ErrorStatement {
    const skipped: IToken[] = [];
    let depth = 0;
    const track = (t: IToken) => {
      skipped.push(t);
      if (OPENERS.has(t.tokenType)) depth++;
      else if (CLOSERS.has(t.tokenType)) depth = Math.max(0, depth - 1);
    };
    track(this.CONSUME(T.AnyToken));
    this.MANY({
      GATE: () => depth > 0 || !this.startsNext(context, starters),
      DEF: () => track(this.CONSUME2(T.AnyToken)),
    });
    return this.ACTION(() => {
      this.strays.push({ context, tokens: skipped });
      const first = skipped[0]!;
      return { kind: "ErrorStatement" as const, span: this.spanFrom(first) };
    });
  }

  /** Whether the next token ends a stray run in `context`. */
  private startsNext(context: StrayContext, starters: readonly TokenType[]): boolean {
    const next = this.LA(1);
    if (next.tokenType === T.RBrace) return context !== "top";
    if (is(next, starters)) return true;
    // In data and model blocks, items start with names; only one on a new line ends a stray run.
    if (!this.onNewLine()) return false;
    if (context === "data") return this.tokenMatches(next, T.Name) && is(this.LA(2), [T.Tilde, T.Equals]);
    if (context === "model") return (this.tokenMatches(next, T.Name) && !this.misplacedStatement()) || is(next, [T.NumberLiteral, T.LParen, T.LBracket, T.Minus]);
    return false;
  }

  private onNewLine(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return !prev || !Number.isFinite(prev.startOffset) || /[\n\r]/.test(this.source.text.slice(T.tokenEnd(prev), next.startOffset));
  }

  /**
   * A statement keyword starting a line and followed on that line by a name, number or string
   * (`optimizer gd(…)`, `seeds 8`, `loss mse`): the next statement, since two operands never stand side
   * by side in an expression. Anything else (`over\nseeds`, `seeds - 1`) keeps the keyword a name, so
   * the parse of a valid program does not depend on line breaks.
   */
  private statementKeywordOnNewLine(): boolean {
    if (!is(this.LA(1), BODY_STARTERS) || !this.onNewLine()) return false;
    const next = this.LA(2);
    const sameLine = !/[\n\r]/.test(this.source.text.slice(T.tokenEnd(this.LA(1)), next.startOffset));
    return sameLine && (this.tokenMatches(next, T.Name) || is(next, [T.NumberLiteral, T.StringLiteral]));
  }

  /** A statement keyword that is not used as a name (`train = …`, `init(…)`, `loss.x`). */
  private misplacedStatement(): boolean {
    return is(this.LA(1), BODY_STARTERS) && !is(this.LA(2), [T.Equals, T.LParen, T.Dot]);
  }

  private tokenMatches(token: IToken, type: TokenType): boolean {
    return token.tokenType === type || (token.tokenType.CATEGORIES ?? []).includes(type);
  }

  // ── expressions, loosest first ─────────────────────────────────────────────
  expression = this.RULE("expression", (): A.Expr => this.SUBRULE(this.formula), {
    recoveryValueFunc: () => ({ kind: "Error" as const, span: this.spanOf(0, 0) }),
  });

  /** `y ~ x` (a relation to fit) and `y vs x` (a plot's axes): loosest, non-associative. */
  private formula = this.RULE("formula", (): A.Expr => {
    let left = this.SUBRULE(this.orExpr);
    this.OPTION(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Tilde) }, { ALT: () => this.CONSUME(K.vs) }]);
      const right = this.SUBRULE2(this.orExpr);
      left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
    });
    return left;
  });

  private orExpr = this.RULE("orExpr", (): A.Expr => {
    let left = this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(K.or);
      const right = this.SUBRULE2(this.andExpr);
      left = this.ACTION(() => this.binary("or", left, right));
    });
    return left;
  });

  private andExpr = this.RULE("andExpr", (): A.Expr => {
    let left = this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(K.and);
      const right = this.SUBRULE2(this.notExpr);
      left = this.ACTION(() => this.binary("and", left, right));
    });
    return left;
  });

  private notExpr = this.RULE("notExpr", (): A.Expr =>
    this.OR([
      {
        ALT: () => {
          const op = this.CONSUME(K.not);
          const operand = this.SUBRULE(this.notExpr);
          return this.ACTION(() => ({ kind: "Unary" as const, op: "not" as const, operand, span: this.spanFrom(op) }));
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]),
  );

  /** `a < b`, `a in [lo, hi]`, `a within 10% of b`: non-associative. */
  private comparison = this.RULE("comparison", (): A.Expr => {
    let left = this.SUBRULE(this.reduction);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            const op = this.OR2([
              { ALT: () => this.CONSUME(T.EqEq) },
              { ALT: () => this.CONSUME(T.NotEq) },
              { ALT: () => this.CONSUME(T.LessEq) },
              { ALT: () => this.CONSUME(T.GreaterEq) },
              { ALT: () => this.CONSUME(T.Less) },
              { ALT: () => this.CONSUME(T.Greater) },
              { ALT: () => this.CONSUME(K.in) },
            ]);
            const right = this.SUBRULE2(this.reduction);
            left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.within);
            const tolerance = this.SUBRULE3(this.reduction);
            this.CONSUME(K.of);
            const reference = this.SUBRULE4(this.reduction);
            left = this.ACTION(() => ({ kind: "Within" as const, value: left, tolerance, reference, span: this.join(left, reference) }));
          },
        },
      ]);
    });
    return left;
  });

  /** `median(x) over seeds`, `fit(y ~ x) by act`: the grouping operand is a name or a tuple of names. */
  private reduction = this.RULE("reduction", (): A.Expr => {
    let left = this.SUBRULE(this.restriction);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(K.over) }, { ALT: () => this.CONSUME(K.by) }]);
      const right = this.SUBRULE(this.postfix);
      left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
    });
    return left;
  });

  /** `sharp after 50%`, `fcos during phase1`: a recorded series restricted in time. */
  private restriction = this.RULE("restriction", (): A.Expr => {
    let left = this.SUBRULE(this.range);
    this.MANY(() => {
      const op = this.OR([
        { ALT: () => this.CONSUME(K.after) },
        { ALT: () => this.CONSUME(K.before) },
        { ALT: () => this.CONSUME(K.during) },
      ]);
      const right = this.SUBRULE2(this.range);
      left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
    });
    return left;
  });

  /** `10..50`, `5..70 step 5`. */
  private range = this.RULE("range", (): A.Expr => {
    let left = this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      const to = this.inRangeBound(() => this.SUBRULE2(this.additive));
      let step: A.Expr | undefined;
      this.OPTION2(() => {
        this.CONSUME(K.step);
        step = this.SUBRULE3(this.additive);
      });
      left = this.ACTION(() => {
        const end = step ?? to;
        return { kind: "Range" as const, from: left, to, ...(step ? { step } : {}), span: this.join(left, end) };
      });
    });
    return left;
  });

  private additive = this.RULE("additive", (): A.Expr => {
    let left = this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      const right = this.SUBRULE2(this.multiplicative);
      left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
    });
    return left;
  });

  private multiplicative = this.RULE("multiplicative", (): A.Expr => {
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }]);
      const right = this.SUBRULE2(this.unary);
      left = this.ACTION(() => this.binary(op.image as A.BinaryOp, left, right));
    });
    return left;
  });

  /** `-x^2` is `-(x^2)`. */
  private unary = this.RULE("unary", (): A.Expr =>
    this.OR([
      {
        ALT: () => {
          const op = this.OR2([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Plus) }]);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ kind: "Unary" as const, op: op.image as A.UnaryOp, operand, span: this.spanFrom(op) }));
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]),
  );

  /** `a ^ b ^ c` is `a ^ (b ^ c)`; the exponent may be negated: `m ^ -gamma`. */
  private power = this.RULE("power", (): A.Expr => {
    let base = this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      const exponent = this.SUBRULE(this.unary);
      base = this.ACTION(() => this.binary("^", base, exponent));
    });
    return base;
  });

  /** Calls, members, indexing, `%` and units bind tightest: `net.hidden[0]`, `sin(x)`, `10k steps`. */
  private postfix = this.RULE("postfix", (): A.Expr => {
    let expr = this.SUBRULE(this.primary);
    this.MANY({
      // Inside a range's upper bound `step` starts the range's step (`0..1 step 0.1`), not a unit.
      GATE: () => this.rangeBoundDepth === 0 || !SINGULAR_UNITS.has(this.LA(1).tokenType),
      DEF: () => this.OR([
        {
          ALT: () => {
            const args = this.SUBRULE(this.argumentList);
            expr = this.ACTION(() => ({ kind: "Call" as const, callee: expr, args, span: this.spanFrom(expr) }));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            const member = this.CONSUME(T.Name);
            expr = this.ACTION(() => ({ kind: "Member" as const, object: expr, member: this.ident(member), span: this.spanFrom(expr) }));
          },
        },
        {
          ALT: () => {
            const items = this.SUBRULE(this.indexList);
            expr = this.ACTION(() => ({ kind: "Index" as const, object: expr, items, span: this.spanFrom(expr) }));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Percent);
            expr = this.ACTION(() => ({ kind: "Quantity" as const, value: expr, unit: "%" as const, span: this.spanFrom(expr) }));
          },
        },
        {
          ALT: () => {
            const unit = this.OR2([
              { ALT: () => this.CONSUME(K.steps) },
              { ALT: () => this.CONSUME(K.epochs) },
              { ALT: () => this.CONSUME(K.step) },
              { ALT: () => this.CONSUME(K.epoch) },
            ]);
            expr = this.ACTION(() => ({
              kind: "Quantity" as const,
              value: expr,
              unit: UNIT_OF.get(unit.tokenType)!,
              span: this.spanFrom(expr),
            }));
          },
        },
      ]),
    });
    return expr;
  });

  private primary = this.RULE(
    "primary",
    (): A.Expr =>
      this.OR([
        {
          ALT: () => {
            const t = this.CONSUME(T.NumberLiteral);
            return this.ACTION(() => ({ kind: "Number" as const, value: numberValue(t.image), text: t.image, span: this.ident(t).span }));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(T.StringLiteral);
            return this.ACTION(() => this.stringLit(t));
          },
        },
        {
          ALT: () => {
            const t = this.OR2([{ ALT: () => this.CONSUME(K.true) }, { ALT: () => this.CONSUME(K.false) }]);
            return this.ACTION(() => ({ kind: "Bool" as const, value: t.image === "true", span: this.ident(t).span }));
          },
        },
        {
          // `let lr =` followed by `optimizer gd(…)` on the next line: the keyword starts a statement.
          GATE: () => !this.statementKeywordOnNewLine(),
          ALT: () => {
            const t = this.CONSUME(T.Name);
            return this.ACTION(() => ({ kind: "Name" as const, name: t.image, span: this.ident(t).span }));
          },
        },
        { ALT: () => this.SUBRULE(this.listOrInterval) },
        { ALT: () => this.SUBRULE(this.parenOrTuple) },
      ]),
    { recoveryValueFunc: () => ({ kind: "Error" as const, span: this.spanOf(0, 0) }) },
  );

  /** `[a, b, c]` is a list; `[lo, hi)` a half-open interval. */
  private listOrInterval = this.RULE("listOrInterval", (): A.Expr => {
    const open = this.CONSUME(T.LBracket);
    const items = this.SUBRULE(this.expressionList);
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.RBracket);
          return this.ACTION(() => ({ kind: "List" as const, items, span: this.spanFrom(open) }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.RParen);
          return this.ACTION(() => {
            const span = this.spanFrom(open);
            if (items.length !== 2) {
              this.intervalArityErrors.push({ span, count: items.length });
              return { kind: "List" as const, items, span };
            }
            return { kind: "Interval" as const, lo: items[0]!, hi: items[1]!, span };
          });
        },
      },
    ]);
  });

  /** Half-open intervals written with other than two bounds; reported by the caller as DYN1108. */
  intervalArityErrors: { span: Span; count: number }[] = [];

  /** Commas with nothing before them (`[10,,]`): one trailing comma is allowed, a repeated one is not. */
  emptyItems: Span[] = [];

  /** Record `comma` when it follows another comma with no item between them; a run of them is one span. */
  private emptyItem(comma: IToken, afterEmpty: boolean, extendsRun: boolean): void {
    if (!afterEmpty) return;
    const span = this.tokenSpan(comma);
    const last = this.emptyItems.at(-1);
    if (extendsRun && last) this.emptyItems[this.emptyItems.length - 1] = { ...last, end: span.end, endLine: span.endLine, endCol: span.endCol };
    else this.emptyItems.push(span);
  }

  private parenOrTuple = this.RULE("parenOrTuple", (): A.Expr => {
    const open = this.CONSUME(T.LParen);
    const first = this.SUBRULE(this.expression);
    const rest: A.Expr[] = [];
    let trailingComma = false;
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.OR([
        { ALT: () => rest.push(this.SUBRULE2(this.expression)) },
        { ALT: () => (trailingComma = true), GATE: () => this.LA(1).tokenType === T.RParen },
      ]);
    });
    this.CONSUME(T.RParen);
    return this.ACTION(() => {
      const span = this.spanFrom(open);
      if (rest.length === 0 && !trailingComma) return { kind: "Paren" as const, inner: first, span };
      return { kind: "Tuple" as const, items: [first, ...rest], span };
    });
  });

  /** Comma-separated expressions, possibly empty, with an optional trailing comma. */
  private expressionList = this.RULE("expressionList", (): A.Expr[] => {
    const items: A.Expr[] = [];
    this.OPTION(() => {
      items.push(this.SUBRULE(this.expression));
      let empty = false;
      let repeated = false;
      this.MANY(() => {
        const comma = this.CONSUME(T.Comma);
        this.ACTION(() => this.emptyItem(comma, empty, repeated));
        repeated = empty;
        empty = true;
        this.OPTION2(() => {
          items.push(this.SUBRULE2(this.expression));
          empty = false;
          repeated = false;
        });
      });
    });
    return items;
  });

  private argumentList = this.RULE("argumentList", (): A.Argument[] => {
    const args: A.Argument[] = [];
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      args.push(this.SUBRULE(this.argument));
      let empty = false;
      let repeated = false;
      this.MANY(() => {
        const comma = this.CONSUME(T.Comma);
        this.ACTION(() => this.emptyItem(comma, empty, repeated));
        repeated = empty;
        empty = true;
        this.OPTION2(() => {
          args.push(this.SUBRULE2(this.argument));
          empty = false;
          repeated = false;
        });
      });
    });
    this.CONSUME(T.RParen);
    return args;
  });

  private argument = this.RULE(
    "argument",
    (): A.Argument =>
      this.OR([
        {
          ALT: () => {
            const name = this.CONSUME(T.Word);
            this.CONSUME(T.Colon);
            const value = this.SUBRULE(this.expression);
            return this.ACTION(() => ({ kind: "Named" as const, name: this.ident(name), value, span: this.spanFrom(name) }));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME2(T.Name);
            this.CONSUME2(K.in);
            const domain = this.SUBRULE2(this.expression);
            let body: A.Expr | undefined;
            this.OPTION(() => {
              this.CONSUME2(T.Colon);
              body = this.SUBRULE3(this.expression);
            });
            return this.ACTION(() => ({
              kind: "Binding" as const,
              name: this.ident(name),
              domain,
              ...(body ? { body } : {}),
              span: this.spanFrom(name),
            }));
          },
          IGNORE_AMBIGUITIES: true,
        },
        {
          ALT: () => {
            const value = this.SUBRULE4(this.expression);
            return this.ACTION(() => ({ kind: "Positional" as const, value, span: value.span }));
          },
        },
      ]),
  );

  /** `[0]`, `[*]`, `[act = silu, width = 10]`. */
  private indexList = this.RULE("indexList", (): A.IndexItem[] => {
    const items: A.IndexItem[] = [];
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => items.push(this.SUBRULE(this.indexItem)) });
    this.CONSUME(T.RBracket);
    return items;
  });

  private indexItem = this.RULE(
    "indexItem",
    (): A.IndexItem =>
      this.OR([
        {
          ALT: () => {
            const star = this.CONSUME(T.Star);
            return this.ACTION(() => ({ kind: "Wildcard" as const, span: this.ident(star).span }));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME(T.Name);
            this.CONSUME(T.Equals);
            const value = this.SUBRULE(this.expression);
            return this.ACTION(() => ({ kind: "Selector" as const, name: this.ident(name), value, span: this.spanFrom(name) }));
          },
        },
        {
          // `h[opt = gd, at first(sharp > 2 / lr)]`: the measurement of another run's probe to read
          GATE: () => this.LA(1).tokenType === K.at,
          ALT: () => this.SUBRULE(this.cadence) as A.AtCadence | A.FirstCadence,
        },
        { ALT: () => this.SUBRULE2(this.expression) },
      ]),
  );

  private inRangeBound<R>(parse: () => R): R {
    this.rangeBoundDepth++;
    try {
      return parse();
    } finally {
      this.rangeBoundDepth--;
    }
  }

  private binary(op: A.BinaryOp, left: A.Expr, right: A.Expr): A.BinaryExpr {
    return { kind: "Binary", op, left, right, span: this.join(left, right) };
  }

  private stringLit(t: IToken): A.StringLit {
    return { kind: "String", value: unescapeString(t.image), span: this.ident(t).span };
  }
}

/** Offset of a token; tokens inserted by error recovery have none, so they sit at their neighbour. */
function startOf(token: IToken): number {
  return Number.isFinite(token.startOffset) ? token.startOffset : 0;
}

/** `every step` means every one step: a bare unit word becomes a quantity without a value. */
function bareUnit(expr: A.Expr): A.Expr {
  if (expr.kind !== "Name") return expr;
  const unit = ({ step: "steps", steps: "steps", epoch: "epochs", epochs: "epochs" } as const)[expr.name as "step"];
  return unit ? { kind: "Quantity", unit, span: expr.span } : expr;
}

/** The value of a number literal, with `k` (×1e3) and `M` (×1e6) applied. */
export function numberValue(text: string): number {
  const suffix = text.at(-1);
  if (suffix === "k") return Number(text.slice(0, -1)) * 1e3;
  if (suffix === "M") return Number(text.slice(0, -1)) * 1e6;
  return Number(text);
}

/** The value of a string literal; invalid escapes are reported by the lexer pass and kept verbatim. */
export function unescapeString(image: string): string {
  const body = image.startsWith('"') ? image.slice(1, image.endsWith('"') && image.length > 1 ? -1 : undefined) : image;
  return body.replace(/\\(u\{([0-9a-fA-F]{1,6})\}|.)/g, (whole, esc: string, hex?: string) => {
    if (hex !== undefined) {
      const code = parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ({ n: "\n", t: "\t", '"': '"', "\\": "\\" } as Record<string, string>)[esc] ?? whole;
  });
}

export const parserInstance = new DynParser();
