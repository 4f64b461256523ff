export * from "./ast.js";
export { parse, MAX_NESTING, type ParseResult } from "./parse.js";
export { numberValue, unescapeString } from "./parser.js";
export * as tokens from "./tokens.js";
