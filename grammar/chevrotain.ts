/**
 * chevrotain, loaded from its single-file bundle. The package's `exports` point at its per-file ESM
 * build, which pulls in hundreds of lodash-es modules and takes ~0.5–1 s to load; the bundle is the same
 * code (same version, shipped in the same package) and loads in ~50 ms, which is most of `dync check`'s
 * start-up. Every value import of chevrotain in dync goes through this module, so there is exactly one
 * chevrotain instance (token types from two instances would not match each other).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

const require = createRequire(import.meta.url);
// `require.resolve` honours the package's `exports` ("require": "./lib/src/api.js"); the bundle sits at lib/.
const bundle = pathToFileURL(join(dirname(require.resolve("chevrotain")), "..", "chevrotain.mjs")).href;
const chevrotain = (await import(bundle)) as Chevrotain;

export const { createToken, createTokenInstance, EmbeddedActionsParser, EOF, getLookaheadPaths, isRecognitionException, Lexer, LLkLookaheadStrategy, serializeGrammar, tokenMatcher, VERSION } = chevrotain;
export type { IOrAlt, IParserErrorMessageProvider, IRecognitionException, IToken, Rule, TokenType } from "chevrotain";
