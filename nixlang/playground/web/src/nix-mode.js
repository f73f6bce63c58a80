// Nix highlighting for CodeMirror 6: a stream tokenizer that follows the
// lexer's modes (nixlang/syntax/lexer.py): code, "strings", ''indented
// strings'' and the ${ } interpolations that nest inside both. Highlighting
// must be instant and never wait for the worker, so it is done here, in the
// page; what is *wrong* with the code comes from the worker's diagnostics.

import { StreamLanguage } from "@codemirror/language";

const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);
const ATOMS = new Set(["true", "false", "null"]);
// names in scope everywhere without `builtins.` (Nix's global builtins)
const GLOBALS = new Set(["builtins", "import", "map", "toString", "throw", "abort", "derivation", "isNull",
  "baseNameOf", "dirOf", "removeAttrs", "fetchTarball", "fetchGit", "fetchurl", "placeholder",
  "scopedImport", "fromTOML", "__curPos"]);

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*/;
const PATH = /^(?:[A-Za-z0-9._+-]*(?:\/[A-Za-z0-9._+-]+)+\/?|~(?:\/[A-Za-z0-9._+-]+)+\/?)/;
const SEARCH_PATH = /^<[A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*>/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9%/?:@&=+$,\-_.!~*']+/;
const NUMBER = /^(?:(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?|[0-9]+)/;

// state.stack: the open contexts, innermost last:
//   {k: "str"} a "string", {k: "ind"} an ''indented string'',
//   {k: "code", depth} an interpolation, `depth` its unclosed braces
function top(state) {
  return state.stack.length ? state.stack[state.stack.length - 1] : null;
}

function tokenString(stream, state, ctx) {
  if (ctx.k === "str") {
    if (stream.match('"')) { state.stack.pop(); return "string"; }
    if (stream.match("${")) { state.stack.push({ k: "code", depth: 0 }); return "meta"; }
    if (stream.match(/^\\[\s\S]/) || (stream.peek() === "\\" && stream.next())) return "string.special";
    // up to the next quote, backslash or interpolation ($$ is a plain dollar pair)
    while (!stream.eol()) {
      if (stream.match(/^\$\$/)) continue;
      const c = stream.peek();
      if (c === '"' || c === "\\" || (c === "$" && stream.string.charAt(stream.pos + 1) === "{")) break;
      stream.next();
    }
    return "string";
  }
  // indented string: '' closes, ''' ''$ ''\x are escapes
  if (stream.match(/^''(?:'|\$|\\[\s\S]?)/)) return "string.special";
  if (stream.match("''")) { state.stack.pop(); return "string"; }
  if (stream.match("${")) { state.stack.push({ k: "code", depth: 0 }); return "meta"; }
  while (!stream.eol()) {
    if (stream.match(/^\$\$/)) continue;
    if (stream.string.startsWith("''", stream.pos)) break;
    if (stream.peek() === "$" && stream.string.charAt(stream.pos + 1) === "{") break;
    stream.next();
  }
  return "string";
}

function tokenCode(stream, state) {
  if (state.comment || stream.match("/*")) {
    state.comment = true;
    if (stream.skipTo("*/")) { stream.match("*/"); state.comment = false; } else stream.skipToEnd();
    return "blockComment";
  }
  if (stream.eatSpace()) return null;
  if (stream.match("#")) { stream.skipToEnd(); return "lineComment"; }
  if (stream.match('"')) { state.stack.push({ k: "str" }); return "string"; }
  if (stream.match("''")) { state.stack.push({ k: "ind" }); return "string"; }
  const ctx = top(state);
  if (stream.match("${")) { state.stack.push({ k: "code", depth: 0 }); return "meta"; }
  if (stream.peek() === "{") { stream.next(); if (ctx) ctx.depth++; return "brace"; }
  if (stream.peek() === "}") {
    stream.next();
    if (ctx && ctx.k === "code") {
      if (ctx.depth === 0) { state.stack.pop(); return "meta"; }
      ctx.depth--;
    }
    return "brace";
  }
  if (stream.match(URI)) return "url";
  if (stream.match(SEARCH_PATH)) return "string.special";
  if (stream.match(PATH)) {
    // a path may go on with an interpolation: ./dir/${name}.nix
    return "string.special";
  }
  if (stream.match(NUMBER)) return "number";
  const word = stream.match(IDENT);
  if (word) {
    const w = word[0];
    if (KEYWORDS.has(w)) return "keyword";
    if (ATOMS.has(w)) return w === "null" ? "null" : "bool";
    // a name being defined: `name =` (not `==`) or a formal before `,` `?` `}`
    const rest = stream.string.slice(stream.pos);
    if (/^\s*=(?!=)/.test(rest)) return "propertyName.definition";
    if (/^\s*:/.test(rest) && !/^\s*:\//.test(rest)) return "variableName.definition";
    if (GLOBALS.has(w)) return "variableName.standard";
    return "variableName";
  }
  if (stream.match("...")) return "punctuation";
  if (stream.match(/^(?:\|>|<\||==|!=|<=|>=|&&|\|\||->|\/\/|\+\+|[-+*/<>!?@.])/)) return "operator";
  if (stream.match(/^[()[\]]/)) return "bracket";
  if (stream.match(/^[;:,=]/)) return "punctuation";
  stream.next();
  return "invalid";
}

export const nixLanguage = StreamLanguage.define({
  name: "nix",
  startState: () => ({ stack: [], comment: false }),
  copyState: (s) => ({ stack: s.stack.map((c) => ({ ...c })), comment: s.comment }),
  token(stream, state) {
    const ctx = top(state);
    if (ctx && (ctx.k === "str" || ctx.k === "ind") && !state.comment) return tokenString(stream, state, ctx);
    return tokenCode(stream, state);
  },
  languageData: { commentTokens: { line: "#", block: { open: "/*", close: "*/" } },
                  closeBrackets: { brackets: ["(", "[", "{", '"', "''"] } },
});
