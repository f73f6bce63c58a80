"""Parse-time diagnostics: the lint-* settings and the cursed `or` warning,
and how traces are cut without --show-trace. Each row: an expression, the
settings, and what Nix 2.36 prints (stderr) and whether it fails."""
from __future__ import annotations

import io

import pytest

from nixlang.cli import run


def instantiate(*args, env=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    rc = run(["instantiate", *args], out, err)
    return rc, out.getvalue(), err.getvalue()


LINT_CASES = [
    # (expression, flags, exit code, first line of stderr or "" for none)
    ("/tmp/foo", ["--lint-absolute-path-literals", "warn"], 0,
     "warning: absolute path literals are not portable. Consider replacing path literal '/tmp/foo' by a "
     "string, relative path, or parameter (lint-absolute-path-literals)"),
    ("/tmp/foo", ["--lint-absolute-path-literals", "fatal"], 1,
     "error: absolute path literals are not portable. Consider replacing path literal '/tmp/foo' by a "
     "string, relative path, or parameter (lint-absolute-path-literals)"),
    ("/tmp/foo", ["--lint-absolute-path-literals", "ignore"], 0, ""),
    ("/tmp/foo", [], 0, ""),
    ("~/foo", ["--lint-absolute-path-literals", "warn"], 0,
     "warning: home path literals are not portable. Consider replacing path literal '~/foo' by a string, "
     "relative path, or parameter (lint-absolute-path-literals)"),
    ("a/b", ["--lint-short-path-literals", "warn"], 0,
     "warning: relative path literal 'a/b' should be prefixed with '.' for clarity: './a/b' "
     "(lint-short-path-literals)"),
    ("./a/b", ["--lint-short-path-literals", "fatal"], 0, ""),
    ("../a/b", ["--lint-short-path-literals", "fatal"], 0, ""),
    ("../a/b", ["--lint-absolute-path-literals", "fatal"], 0, ""),
    ("a/${\"b\"}", ["--lint-short-path-literals", "fatal"], 1,
     "error: relative path literal 'a/' should be prefixed with '.' for clarity: './a/' "
     "(lint-short-path-literals)"),
    ("http://example.com", ["--lint-url-literals", "warn"], 0,
     'warning: URL literals are discouraged. Consider using a string literal "http://example.com" instead '
     "(lint-url-literals)"),
    ("http://example.com", ["--lint-url-literals", "fatal"], 1,
     'error: URL literals are disallowed. Consider using a string literal "http://example.com" instead '
     "(lint-url-literals)"),
    ('"http://example.com"', ["--lint-url-literals", "fatal"], 0, ""),
]


@pytest.mark.parametrize("expr,flags,rc,first", LINT_CASES)
def test_lints(expr, flags, rc, first):
    code, out, err = instantiate("--eval", *flags, "-E", expr)
    assert code == rc, err
    assert (err.splitlines()[0] if err else "") == first
    if first:
        assert "at «string»:1:1:" in err.splitlines()[1]


def test_lint_level_from_nix_config(monkeypatch):
    monkeypatch.setenv("NIX_CONFIG", "lint-url-literals = fatal")
    code, _, err = instantiate("--eval", "-E", "http://example.com")
    assert code == 1 and err.startswith("error: URL literals are disallowed")
    # the flag wins over the configuration
    code, _, err = instantiate("--eval", "--lint-url-literals", "ignore", "-E", "http://example.com")
    assert code == 0 and err == ""


def test_bad_lint_level():
    code, _, err = instantiate("--eval", "--lint-url-literals", "loud", "-E", "1")
    assert code == 1 and "invalid value 'loud'" in err


CURSED = [
    # (expression, the text Nix suggests to wrap, or None when it must not warn)
    ("let or = 1; in [ (x: x) or ]", "((x: x) or)"),
    ("let or = 1; in (x: x * 2) (x: x + 1) or", "((x: x + 1) or)"),
    ("let or = 1; in { a = 2; }.a or (x: x) or", "((x: x) or)"),
    ("let or = (x: x); in map or []", None),
    ("let f = (x: x); or = f; in f (f or)", None),
    ("let or = 1; in [ ((x: x) or) ]", None),
]


@pytest.mark.parametrize("expr,wrapped", CURSED)
def test_cursed_or(expr, wrapped):
    code, _, err = instantiate("--eval", "-E", expr)
    assert code == 0
    if wrapped is None:
        assert err == ""
    else:
        lines = err.splitlines()
        assert lines[0].startswith("warning: at «string»:1:")
        assert lines[0].endswith("This expression uses `or` as an identifier in a way that will change "
                                 "in a future Nix release.")
        assert lines[2] == "    " + wrapped


COUNT_DOWN = """let countDown = n: if n == 0 then throw "kaboom"
  else builtins.addErrorContext "n = ${toString n}" ("x" + countDown (n - 1)); in countDown 3"""


def test_trace_without_show_trace_is_truncated():
    code, _, err = instantiate("--eval", "--no-show-trace", "-E", COUNT_DOWN)
    assert code == 1
    frames = [line.strip() for line in err.splitlines() if line.strip().startswith("…")]
    # no per-call frames; context frames survive the truncation
    assert frames == ["… n = 3", "… in an operand of '+'", "… n = 2", "… n = 1"]
    assert "(stack trace truncated; use '--show-trace' to show the full, detailed trace)" in err
    assert err.rstrip().endswith("error: kaboom")


def test_trace_with_show_trace_is_full():
    code, _, err = instantiate("--eval", "--show-trace", "-E", COUNT_DOWN)
    assert code == 1
    assert "… from call site" in err and "… while calling 'countDown'" in err
    assert "truncated" not in err


def test_few_duplicate_frames_are_printed_not_counted():
    # three repeats of the same frames: printed again, not "(N duplicate frames omitted)"
    code, _, err = instantiate("--eval", "--show-trace", "-E", COUNT_DOWN)
    assert "duplicate frames omitted" not in err
    assert err.count("… in an operand of '+'") == 3
