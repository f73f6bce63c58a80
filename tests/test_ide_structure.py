"""Selection ranges, semantic tokens and inlay hints (`nixlang.ide.selection`,
`tokens`, `inlay`), on plain text.

Fixtures are Nix snippets with a `$0` cursor; selection chains are written as
the text of each span, innermost first; semantic tokens as (text, type,
modifiers) lists; inlay hints as the snippet with each hint shown in place
as «label».
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from nixlang.ide import analyze
from nixlang.ide.inlay import BUILTIN_PARAMS, fold_int, inlay_hints
from nixlang.ide.selection import selection_chain
from nixlang.ide.static import builtin_doc
from nixlang.ide.tokens import TOKEN_MODIFIERS, TOKEN_TYPES, Lexed, lexed, semantic_tokens
from nixlang.source import Source
from nixlang.syntax.lexer import Lexer

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = sorted((ROOT / "tests" / "realworld").rglob("*.nix"))


def cursor(text: str):
    i = text.index("$0")
    return text[:i] + text[i + 2:], i


# -- selection ranges -----------------------------------------------------------------------

SELECTIONS = [
    ("{ a = 1; b.c = f (g x$0 y) \"s\"; }",
     ["x", "g x", "g x y", "(g x y)", "f (g x y)", 'f (g x y) "s"', 'b.c = f (g x y) "s";',
      'a = 1; b.c = f (g x y) "s";', '{ a = 1; b.c = f (g x y) "s"; }']),
    # inside a string: the word, the interpolation, the string's text, the string
    ('let x = "hello ${wor$0ld} z"; in x',
     ["world", "${world}", "hello ${world} z", '"hello ${world} z"', 'x = "hello ${world} z";',
      'let x = "hello ${world} z"; in', 'let x = "hello ${world} z"; in x']),
    # steps of a selection, then the call and the lambda
    ("{ pkgs, lib ? pkgs.lib }: pkgs.l$0ib.mkIf true { }",
     ["lib", "pkgs.lib", "pkgs.lib.mkIf", "pkgs.lib.mkIf true", "pkgs.lib.mkIf true { }",
      "{ pkgs, lib ? pkgs.lib }: pkgs.lib.mkIf true { }"]),
    # a formal with its default, the formals, the pattern
    ("{ pkgs, lib ? pk$0gs.lib }: lib",
     ["pkgs", "pkgs.lib", "lib ? pkgs.lib", "pkgs, lib ? pkgs.lib", "{ pkgs, lib ? pkgs.lib }",
      "{ pkgs, lib ? pkgs.lib }: lib"]),
    # the cursor right after a name: the name, not the `;`
    ("{ inherit (lib) a b$0; }", ["b", "inherit (lib) a b;", "{ inherit (lib) a b; }"]),
    # an attrpath, inside a multi-line set; rec sets include `rec`
    ("rec {\n  x.y$0.z = 1;\n  w = 2;\n}",
     ["y", "x.y.z", "x.y.z = 1;", "x.y.z = 1;\n  w = 2;", "{\n  x.y.z = 1;\n  w = 2;\n}",
      "rec {\n  x.y.z = 1;\n  w = 2;\n}"]),
    # operators and brackets
    ("[ 1 (2 + 3$0) ]", ["3", "2 + 3", "(2 + 3)", "1 (2 + 3)", "[ 1 (2 + 3) ]"]),
    # an interpolated path
    ("{ b = ./p/${x$0}/q; }", ["x", "${x}", "./p/${x}/q", "b = ./p/${x}/q;", "{ b = ./p/${x}/q; }"]),
    # an indented string
    ("{ s = ''\n  ab$0c\n''; }",
     ["abc", "  abc\n", "\n  abc\n", "''\n  abc\n''", "s = ''\n  abc\n'';", "{ s = ''\n  abc\n''; }"]),
    # with and if
    ("with pkgs; if a$0 then b else c",
     ["a", "if a then b else c", "with pkgs; if a then b else c"]),
    # a comment
    ("{\n  # the $0port\n  port = 1;\n}", ["# the port", "{\n  # the port\n  port = 1;\n}"]),
    # broken code: still a proper chain, up to the whole text
    ("{ a = ; b = [ f $0 ]; }", ["[ f  ]", "b = [ f  ];", "a = ; b = [ f  ];", "{ a = ; b = [ f  ]; }"]),
    ("{ a = ; b = (f $0", ["(f ", "{ a = ; b = (f "]),
]


@pytest.mark.parametrize("marked,expected", SELECTIONS)
def test_selection_chain(marked, expected):
    text, off = cursor(marked)
    chain = selection_chain(analyze(text), off)
    # the chain ends with the whole text
    assert [text[s:e] for s, e in chain] == expected + ([text] if expected[-1] != text else [])


def _check_chain(text: str, off: int, chain) -> None:
    assert chain, off
    assert chain[-1] == (0, len(text))
    prev = None
    for s, e in chain:
        assert 0 <= s <= off <= e <= len(text), (off, s, e)
        if prev is not None:
            assert s <= prev[0] and prev[1] <= e and (s, e) != prev, (off, prev, (s, e))
        prev = (s, e)


def test_selection_chains_nest_everywhere_in_real_files():
    for path in REALWORLD[:6]:
        text = path.read_text()
        an = analyze(text, str(path))
        rng = random.Random(7)
        for off in [0, len(text)] + [rng.randrange(len(text) + 1) for _ in range(80)]:
            _check_chain(text, off, selection_chain(an, off))


# -- semantic tokens --------------------------------------------------------------------------

def toks(text: str, start: int = 0, end: int | None = None):
    an = analyze(text)
    return [(text[s:e], ty, mods) for s, e, ty, mods in semantic_tokens(an, start, end)]


D = ("declaration",)
LIB = ("defaultLibrary",)
CONST = ("readonly", "defaultLibrary")
TOKENS = [
    # parameters (formals, @-name, simple lambda), their uses; a builtin constant
    ("{ pkgs, lib ? null, ... }@args: pkgs",
     [("pkgs", "parameter", D), ("lib", "parameter", D), ("?", "operator", ()), ("null", "variable", CONST),
      ("...", "operator", ()), ("args", "parameter", D), ("pkgs", "parameter", ())]),
    # let bindings: a lambda is a function; a merged attrpath's second `a`; nested names are properties
    ("let a.b = 1; a.c = 2; f = x: x; in f a",
     [("let", "keyword", ()), ("a", "variable", D), ("b", "property", D), ("1", "number", ()),
      ("a", "variable", D), ("c", "property", D), ("2", "number", ()), ("f", "function", D),
      ("x", "parameter", D), ("x", "parameter", ()), ("in", "keyword", ()), ("f", "function", ()),
      ("a", "variable", ())]),
    # strings: escapes, interpolation delimiters
    ('x: "a\\n${x}b"',
     [("x", "parameter", D), ('"', "string", ()), ("a", "string", ()), ("\\n", "regexp", ()),
      ("${", "keyword", ()), ("x", "parameter", ()), ("}", "keyword", ()), ("b", "string", ()),
      ('"', "string", ())]),
    # indented strings and their escapes
    ("''\n  a''$ '''\n''",
     [("''", "string", ()), ("  a", "string", ()), ("''$", "regexp", ()), (" ", "string", ()),
      ("'''", "regexp", ()), ("\n", "string", ()), ("''", "string", ())]),
    # builtins: functions, the builtins set, selections from it, constants
    ("map toString (builtins.elemAt [ true ] 0)",
     [("map", "function", LIB), ("toString", "function", LIB), ("builtins", "namespace", LIB),
      ("elemAt", "function", LIB), ("true", "variable", CONST), ("0", "number", ())]),
    ("builtins.currentSystem", [("builtins", "namespace", LIB), ("currentSystem", "variable", CONST)]),
    # with-provided names, selections, `or`, undefined names (no token)
    ("with pkgs; stdenv.cc.x or nope",
     [("with", "keyword", ()), ("stdenv", "variable", ("abstract",)), ("cc", "property", ()),
      ("x", "property", ()), ("or", "keyword", ()), ("nope", "variable", ("abstract",))]),
    ("undefinedName + 1", [("+", "operator", ()), ("1", "number", ())]),
    # rec sets, inherit, paths, URIs, numbers, operators
    ("rec { a = 1.5; b = a; inherit (a) c; p = ./a/${b}/c; u = https://nixos.org; n = -1 // <nixpkgs>; }",
     [("rec", "keyword", ()), ("a", "property", D), ("1.5", "number", ()), ("b", "property", D),
      ("a", "property", ()), ("inherit", "keyword", ()), ("a", "property", ()), ("c", "property", D),
      ("p", "property", D), ("./a/", "string", ()), ("${", "keyword", ()), ("b", "property", ()),
      ("}", "keyword", ()), ("/c", "string", ()), ("u", "property", D), ("https://nixos.org", "string", ()),
      ("n", "property", D), ("-", "operator", ()), ("1", "number", ()), ("//", "operator", ()),
      ("<nixpkgs>", "string", ())]),
    # comments, doc comments; `or` as an attribute name
    ("/** Doc. */ { /* c */ or = 1; } # end",
     [("/** Doc. */", "comment", ("documentation",)), ("/* c */", "comment", ()), ("or", "property", D),
      ("1", "number", ()), ("# end", "comment", ())]),
    # keywords
    ("assert true; if a then b else c",
     [("assert", "keyword", ()), ("true", "variable", CONST), ("if", "keyword", ()), ("then", "keyword", ()),
      ("else", "keyword", ())]),
]


@pytest.mark.parametrize("text,expected", TOKENS)
def test_semantic_tokens(text, expected):
    assert toks(text) == expected


def test_semantic_tokens_range():
    text = "let a = 1;\n    b = 2;\nin a + b\n"
    assert toks(text, text.index("b = 2"), text.index("in")) == [("b", "variable", D), ("2", "number", ())]
    # a token overlapping the range edge is included, one just touching it is not
    assert toks("let abc = 1; in abc", 5, 9) == [("abc", "variable", D)]
    assert toks("let abc = 1; in abc", 7, 8) == []
    assert toks(text, len(text), len(text)) == []


def test_semantic_tokens_legend():
    for _, expected in TOKENS:
        for _, ty, mods in expected:
            assert ty in TOKEN_TYPES and set(mods) <= set(TOKEN_MODIFIERS)


def _identifier_tokens(text: str):
    return [(t.start_pos, t.end_pos) for t in Lexer(Source(text)).tokens() if t.type == "ID"]


@pytest.mark.parametrize("path", REALWORLD, ids=lambda p: str(p.relative_to(ROOT / "tests" / "realworld")))
def test_tokens_of_real_files_cover_every_name(path):
    text = path.read_text()
    an = analyze(text, str(path))
    result = semantic_tokens(an)
    # sorted, inside the text, never overlapping, all in the legend
    prev_end = 0
    for s, e, ty, mods in result:
        assert prev_end <= s < e <= len(text)
        assert ty in TOKEN_TYPES and set(mods) <= set(TOKEN_MODIFIERS)
        prev_end = e
    covered = {(s, e) for s, e, _, _ in result}
    undefined = {(d.span.start, d.span.end) for d in an.parse_diagnostics
                 if type(d).__name__ == "UndefinedVariable"}
    missing = [text[s:e] for s, e in _identifier_tokens(text) if (s, e) not in covered and (s, e) not in undefined]
    assert missing == []
    # every comment is a token
    assert {(c.start, c.end) for c in an.comments} <= covered


def test_tokens_reuse_the_parsers_tokens_when_the_analysis_keeps_them():
    text = 'let a = "x${b}"; in ./p/${a} # c\n'
    fresh = analyze(text)
    kept = analyze(text)
    kept.tokens = list(Lexer(kept.source, pipe_operators=True).tokens())
    assert semantic_tokens(kept) == semantic_tokens(fresh)
    assert lexed(kept).types == lexed(fresh).types


EDITS = ["", "x", ";", "{", "}", '"', "''", "${", "./a/", " in ", "é", "#", "/*", "*/", "\n", "a = 1;", "''$"]


def test_relexing_an_edit_gives_the_tokens_of_a_full_lexing():
    rng = random.Random(11)
    olds = {p: Lexed.of(analyze(p.read_text())) for p in REALWORLD[:10]}
    for _ in range(150):
        path = rng.choice(list(olds))
        old = olds[path]
        new = old.text
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(new) + 1)
            new = new[:i] + rng.choice(EDITS) + new[min(len(new), i + rng.randint(0, 12)):]
        an = analyze(new)
        got, want = Lexed.of(an, previous=old), Lexed.of(an)
        assert (got.types, got.starts, got.ends, got.semis) == (want.types, want.starts, want.ends, want.semis)


@pytest.mark.parametrize("before, after", [
    # an unclosed `/*` is lexed as `/` and `*`; closing it later makes a comment of the `;`s between
    ("{ a = 1; /* b = 2; c = 3; }", "{ a = 1; /* b = 2; */ c = 3; }"),
    ("{ a = 1; /* b = 2; c = 3; d = 4; }", "{ a = 1; /* b = 2; c = 3; */ d = 4; }"),
])
def test_relexing_after_an_unclosed_comment(before, after):
    old = Lexed.of(analyze(before))
    an = analyze(after)
    got, want = Lexed.of(an, previous=old), Lexed.of(an)
    assert (got.types, got.starts, got.ends, got.semis) == (want.types, want.starts, want.ends, want.semis)


def test_tokens_after_an_edit_of_a_file(tmp_path):
    path = str(tmp_path / "edited.nix")
    v1 = "let\n  a = 1;\n  b = \"x${a}\";\nin { inherit a b; }\n"
    v2 = v1.replace("a = 1;", "a = f: 1;\n  s = ''\n    ${b}\n  '';")
    semantic_tokens(analyze(v1, path))
    assert semantic_tokens(analyze(v2, path)) == semantic_tokens(analyze(v2))


def test_lexed_repairs_spans_of_interpolated_strings():
    text = 'f "a${b}" x'
    lx = Lexed.of(analyze(text))
    # the AST span of the string stops at its last part: `a${b`
    s = text.index("a$")
    assert lx.repair(s, text.index("b") + 1) == (s, text.index('}"') + 1)
    assert lx.repair(0, text.index("b") + 1) == (0, text.index('" x') + 1)


GARBAGE = ['{ a = ${ "\u0000 ]] let in in in { } } } ${ ${ \'\' ./ <> ~/ 1e999999 0x12 @@ ... "',
           "let", "''", '"${', "./a/${", "{ a.b. = ; }", "x: y: z: (((", "rec { inherit (; }", "}}}))]]"]


@pytest.mark.parametrize("text", GARBAGE)
def test_broken_text_never_fails(text):
    an = analyze(text)
    result = semantic_tokens(an)
    assert all(s < e for s, e, _, _ in result)
    for off in range(len(text) + 1):
        _check_chain(text, off, selection_chain(an, off))
    inlay_hints(an)


# -- inlay hints --------------------------------------------------------------------------------

def render_hints(text: str, start: int = 0, end: int | None = None) -> str:
    out = text
    for h in reversed(inlay_hints(analyze(text), start, end)):
        out = out[:h.offset] + "«" + h.label + "»" + out[h.offset:]
    return out


HINTS = [
    # a let-bound curried lambda; the argument named like the parameter gets none
    ("let f = a: b: a + b; a = 1; in f a 2", "let f = a: b: a + b; a = 1; in f a «b:»2"),
    ("let f = a: b: a; in f 1 \"x${f}\"", "let f = a: b: a; in f «a:»1 «b:»\"x${f}\""),
    # attributes of a set written in the source; a selection named like the parameter
    ("let lib = { double = n: n * 2; }; cfg = { n = 1; }; in [ (lib.double 4) (lib.double cfg.n) ]",
     "let lib = { double = n: n * 2; }; cfg = { n = 1; }; in [ (lib.double «n:»4) (lib.double cfg.n) ]"),
    ("rec { id = x: x; y = id 1; }", "rec { id = x: x; y = id «x:»1; }"),
    # builtins with known signatures, by any name
    ("builtins.elemAt [ 1 ] 0", "builtins.elemAt «list:»[ 1 ] «index:»0"),
    ("map toString [ 1 ]", "map «f:»toString «list:»[ 1 ]"),
    ("__substring 0 3 \"abc\"", "__substring «start:»0 «len:»3 «s:»\"abc\""),
    # integer arithmetic on literals
    ("{ day = 60 * 60 * 24; }", "{ day = 60 * 60 * 24«= 86400»; }"),
    ("let x = (1 + 2); y = 7 / -2; z = 2 - 3 - 4; in x",
     "let x = (1 + 2)«= 3»; y = 7 / -2«= -3»; z = 2 - 3 - 4«= -5»; in x"),
]

NO_HINTS = [
    "let f = { a, b }: a; in f { a = 1; b = 2; }",        # a set pattern
    "let f = _: 1; in f 2",                               # an unused parameter
    "x: x 1",                                             # an unknown function
    "builtins.add 1 2",                                   # obvious order
    "toString 1",                                         # one argument
    "{ a = 5; b = -5; c = x; }",                          # literals, variables
    "{ a = 1 / 0; b = 9223372036854775807 + 1; c = 1.5 * 2; d = \"a\" + \"b\"; }",   # errors, floats, strings
    "let __mul = a: b: 0; in { x = 2 * 3; }",             # `*` rebound
    "{ a = 1 +\n 2; }",                                   # over several lines
]


@pytest.mark.parametrize("text,expected", HINTS)
def test_inlay_hints(text, expected):
    assert render_hints(text) == expected


@pytest.mark.parametrize("text", NO_HINTS)
def test_no_inlay_hints(text):
    assert inlay_hints(analyze(text)) == []


def test_inlay_hints_only_in_range():
    text = "let f = a: a; in [\n  (f 1)\n  (f 2)\n]\n"
    second = text.index("(f 2)")
    assert render_hints(text, second, len(text)) == text.replace("(f 2)", "(f «a:»2)")
    assert render_hints(text, 0, text.index("(f 1)")) == text


def test_inlay_hint_kinds():
    hints = inlay_hints(analyze("rec { a = f 1; b = 2 * 3; f = x: x; }"))
    assert [(h.label, h.kind, h.padding_left, h.padding_right) for h in hints] == [
        ("x:", "parameter", False, True), ("= 6", "value", True, False)]


@pytest.mark.parametrize("expr,value", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("-7 / 2", -3), ("7 / 2", 3), ("-8 / -2", 4), ("10 - 20", -10),
    ("9223372036854775807", 9223372036854775807), ("-9223372036854775807 - 1", -9223372036854775808),
    ("9223372036854775807 + 1", None), ("-9223372036854775807 - 2", None), ("3 * 4611686018427387904", None),
    ("1 / 0", None), ("1 + x", None), ("1.0 + 2", None), ('"a" + "b"', None),
])
def test_fold_int(expr, value):
    an = analyze(f"x: {expr}")
    assert fold_int(an.ast.body) == value


def test_builtin_parameter_tables_match_arity():
    for name, params in BUILTIN_PARAMS.items():
        doc = builtin_doc(name)
        assert doc is not None and doc.arity == len(params), name
