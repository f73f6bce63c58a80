"""Error recovery for editors: `parse_recover` never raises, keeps going after
an error, and returns a partial AST plus every diagnostic with its repair.

Table columns: broken input, the AST recovery builds (printed), and the
diagnostics as (code, line:col, message start, repair)."""
from __future__ import annotations

import pytest

from nixlang.source import Source
from nixlang.parse import parse_recover
from nixlang.syntax.printer import show

CASES = [
    # missing ';' at the end of a line inside an attrset
    ("{\n  a = 1\n  b = 2;\n}",
     "{ a = 1; b = 2; }",
     [("E001", "3:5", "syntax error, unexpected '=', expecting ';'", "inserted ';'")]),
    # two missing ';' in a let: both reported
    ("let\n  a = 1\n  b = 2\nin a + b",
     "(let a = 1; b = 2; in (a + b))",
     [("E001", "3:5", "syntax error, unexpected '='", "inserted ';'"),
      ("E001", "4:1", "syntax error, unexpected 'in', expecting ';'", "inserted ';'")]),
    # unclosed '[' and '{' at end of input
    ("{\n  a = [ 1 2;\n  b = {\n",
     "{ a = [ (1) (2) ]; b = { }; }",
     [("E001", "2:12", "syntax error, unexpected ';'", "inserted ']'"),
      ("E001", "4:1", "syntax error, unexpected end of file, expecting 'inherit'", "inserted } ; }")]),
    # half-typed select
    ("let pkgs = { hello = 1; }; in pkgs.",
     '(let pkgs = { hello = 1; }; in (pkgs)."")',
     [("E001", "1:36", "syntax error, unexpected end of file, expecting identifier or 'or' or '${' or '\"'",
       "inserted identifier")]),
    # a missing value, an undefined name and a duplicate: all three reported
    ("{ a = 1; b = ; c = x; a = 2; }",
     "{ a = 1; b = <missing>; c = x; }",
     [("E001", "1:14", "syntax error, unexpected ';'", "inserted identifier"),
      ("E013", "1:20", "undefined variable 'x'", ""),
      ("E010", "1:23", "attribute 'a' already defined at «stdin»:1:3", "")]),
    # a stray closing bracket is skipped
    ("[ 1 2 ) 3 ]", "[ (1) (2) (3) ]",
     [("E001", "1:7", "syntax error, unexpected ')'", "skipped ')'")]),
    # `rec` wants `{`: the `rec` is skipped (not everything after it), then `;` repaired
    ("{ a = rec; b = 1; }", "{ a = <missing>; b = 1; }",
     [("E001", "1:10", "syntax error, unexpected ';', expecting '{'", "skipped 'rec' and inserted identifier")]),
    # a skipped token leaves no trace: what follows is parsed as if it were not there
    # (the reductions its lookahead caused are not kept)
    ("f: f.a; f", "(f: ((f).a f))",
     [("E001", "1:7", "syntax error, unexpected ';', expecting end of file", "skipped ';'")]),
    # unterminated interpolation in a string
    ('x: "abc ${ x', '(x: ("abc " + x))',
     [("E001", "1:13", "syntax error, unexpected end of file, expecting '}'", 'inserted } "')]),
    # lexer errors are diagnostics too, and parsing goes on
    ("[ 99999999999999999999 ./a/ 1 ]", None,
     [("E002", "1:3", "invalid integer '99999999999999999999'", ""),
      ("E003", "1:28", "path has a trailing slash", "")]),
]


def _diag(src, d):
    line, col = src.line_col(d.span.start)
    return d.code, f"{line}:{col}", d.message, getattr(d, "repair", "")


@pytest.mark.parametrize("text,ast,diags", CASES)
def test_recover(text, ast, diags):
    src = Source(text, "«stdin»", "/pwd")
    res = parse_recover(src)
    got = [_diag(src, d) for d in res.diagnostics]
    assert len(got) == len(diags), got
    for (code, pos, msg, repair), g in zip(diags, got):
        assert (g[0], g[1]) == (code, pos), got
        assert g[2].startswith(msg), got
        assert g[3] == repair, got
    if ast is not None:
        assert show(res.ast) == ast


def test_valid_input_has_no_diagnostics():
    res = parse_recover(Source("{ a = 1; b = [ 1 2 ]; }", "«stdin»", "/pwd"))
    assert res.diagnostics == []
    assert show(res.ast) == "{ a = 1; b = [ (1) (2) ]; }"


@pytest.mark.parametrize("text", ["", "{", "}", "''", '"', "${", "let", "x:", "a.", "a ? ${", "/*", "#", "\x00",
                                  "[" * 500, "{ a = " * 60, "''${" * 100,
                                  # deep enough that the search for a completion gives up (~10 s)
                                  pytest.param("{ a = " * 200, marks=pytest.mark.slow)])
def test_never_raises(text):
    res = parse_recover(Source(text, "«stdin»", "/pwd"))
    for d in res.diagnostics:
        assert d.code.startswith("E0")
        assert 0 <= d.span.start <= len(text)
