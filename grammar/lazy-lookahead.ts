/**
 * chevrotain's LL(k) lookahead, each function built at its first use. `performSelfAnalysis` builds the
 * lookahead function of every OR / OPTION / MANY in the grammar up front, computing the token paths that
 * tell the alternatives apart: about 60 % of constructing the parser, paid by every `dync check`,
 * `dync run` and language-server start, though a file exercises only part of the grammar. A function
 * built later is the same function (the paths depend on the recorded grammar alone, which is fixed once
 * the analysis is done), so parsing is unchanged; chevrotain documents `lookaheadStrategy` as the place
 * to customise this (IParserConfig, @experimental). The grammar's definition checks (VALIDATE_GRAMMAR)
 * still run through the inherited `validate`.
 */
import { LLkLookaheadStrategy } from "./chevrotain.js";

type Strategy = InstanceType<typeof LLkLookaheadStrategy>;
type AlternationOptions = Parameters<Strategy["buildLookaheadForAlternation"]>[0];
type OptionalOptions = Parameters<Strategy["buildLookaheadForOptional"]>[0];

export class LazyLookaheadStrategy extends LLkLookaheadStrategy {
  override buildLookaheadForAlternation(options: AlternationOptions): ReturnType<Strategy["buildLookaheadForAlternation"]> {
    return onFirstCall(() => super.buildLookaheadForAlternation(options));
  }

  override buildLookaheadForOptional(options: OptionalOptions): ReturnType<Strategy["buildLookaheadForOptional"]> {
    return onFirstCall(() => super.buildLookaheadForOptional(options));
  }
}

/** A function that builds `build()`'s function at its first call and forwards every call (and its `this`, the parser) to it. */
function onFirstCall<F extends (this: unknown, ...args: never[]) => unknown>(build: () => F): F {
  let built: F | undefined;
  return function (this: unknown, ...args: Parameters<F>) {
    built ??= build();
    return built.apply(this, args);
  } as F;
}
