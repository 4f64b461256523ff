/**
 * chevrotain's LL(k) lookahead, each function built at its first use. `performSelfAnalysis` builds the
 * lookahead function of every OR / OPTION / MANY in the grammar up front, computing the token paths that
 * tell the alternatives apart: about 60 % of constructing the parser, paid by every `dync check`,
 * `dync run` and language-server start, though a file exercises only part of the grammar. A function
 * built later is the same function (the paths depend on the recorded grammar alone, which is fixed once
 * the analysis is done), so parsing is unchanged; chevrotain documents `lookaheadStrategy` as the place
 * to customise this (IParserConfig, @experimental). The grammar's definition checks (VALIDATE_GRAMMAR)
 * still run through the inherited `validate`. The parser normally takes its paths from the table `npm run docs`
 * records (grammar/lookahead-table.ts, which extends this strategy); this is what it does when that table is stale.
 */
import { LLkLookaheadStrategy } from "./chevrotain.js";

type Strategy = InstanceType<typeof LLkLookaheadStrategy>;
type AlternationOptions = Parameters<Strategy["buildLookaheadForAlternation"]>[0];
type OptionalOptions = Parameters<Strategy["buildLookaheadForOptional"]>[0];

export class LazyLookaheadStrategy extends LLkLookaheadStrategy {
  override buildLookaheadForAlternation(options: AlternationOptions): ReturnType<Strategy["buildLookaheadForAlternation"]> {
    const build = () => super.buildLookaheadForAlternation(options);
    let built: ReturnType<typeof build> | undefined;
    // `this` is the parser (chevrotain calls lookahead functions with it); one argument, no spread: parses call these per token.
    return function (this: unknown, orAlts) {
      built ??= build();
      return built.call(this, orAlts);
    };
  }

  override buildLookaheadForOptional(options: OptionalOptions): ReturnType<Strategy["buildLookaheadForOptional"]> {
    const build = () => super.buildLookaheadForOptional(options);
    let built: ReturnType<typeof build> | undefined;
    return function (this: unknown) {
      built ??= build();
      return built.call(this);
    };
  }
}
