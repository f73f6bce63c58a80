"""`pynix eval`, the friendly front: the values of `instantiate --eval
--strict`, and errors as Nix's text plus a pynix code, hint and pointer."""
from __future__ import annotations

import io

import pytest

from nixlang.cli import run
from nixlang.errors import ALL_CODES
from nixlang.errors.friendly import HINTS


def pynix(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = run(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


VALUES = [
    # (arguments, stdout)
    (["-E", "1 + 2"], "3\n"),
    (["-E", "{ b = [ 1 (2 + 1) ]; a = \"x\"; }"], '{ a = "x"; b = [ 1 3 ]; }\n'),
    (["--json", "-E", "{ a = [ 1 \"x\" null ]; }"], '{"a":[1,"x",null]}\n'),
    (["--raw", "-E", '"a${toString 1}b"'], "a1b"),
    (["-A", "x.y", "-E", "{ x.y = 5; }"], "5\n"),
    (["--arg", "n", "4", "-E", "{ n }: n * 2"], "8\n"),
    (["--argstr", "s", "hi", "-E", "{ s }: s + \"!\""], '"hi!"\n'),
]


@pytest.mark.parametrize("args,stdout", VALUES)
def test_values(args, stdout):
    rc, out, err = pynix("eval", *args)
    assert (rc, out, err) == (0, stdout, "")


ERRORS = [
    # (expression, code, the last `error:` line of Nix's text, a phrase of the hint)
    ("{ a = 1; }.b", "E202", "error: attribute 'b' missing", "or default"),
    ("({ a, b }: a) { a = 1; }", "E209",
     "error: function 'anonymous lambda' called without required argument 'b'", "no default"),
    ("let s = { f = x: x; }; in s 1", "E201",
     "error: attempt to call something which is not a function but a set: { f = «thunk»; }",
     "a set is not a function"),
    ('"${{ a = 1; }}"', "E201", "error: cannot coerce a set to a string: { a = 1; }", "outPath"),
    ("let x = 1 in x", "E001", "error: syntax error, unexpected 'in', expecting ';'", "`;` is probably missing"),
    ("throw \"no\"", "E204", "error: no", "throw"),
    ("let x = x; in x", "E203", "error: infinite recursion encountered", "`x = x` refers to itself"),
    ("let a = { b = 1; }; in a.b.c", "E201", "error: expected a set but found an integer: 1", "wrong type"),
    ("undefinedName", "E013", "error: undefined variable 'undefinedName'", "spelling"),
]


@pytest.mark.parametrize("expr,code,first,hint", ERRORS)
def test_errors(expr, code, first, hint):
    rc, out, err = pynix("eval", "-E", expr)
    assert rc == 1 and out == ""
    final = [line.strip() for line in err.splitlines() if line.strip().startswith("error:")][-1]
    assert final == first
    assert f"[{code}]" in err and hint in err
    assert err.rstrip().endswith(f"more: pynix explain {code}")
    assert "Traceback" not in err


@pytest.mark.parametrize("expr", ["let f = x: x.a; in f 1", "let greeting = 1; in greting", "{ a = 1 }"])
def test_same_nix_text_as_instantiate(expr):
    # Nix's text comes first, unchanged but for the underline that continues its caret
    _, _, nix_err = pynix("instantiate", "--eval", "--strict", "--no-show-trace", "-E", expr)
    _, _, friendly = pynix("eval", "-E", expr)
    assert friendly.replace("^~", "^").replace("~", "").startswith(nix_err.rstrip("\n"))


@pytest.mark.parametrize("args,phrase", [
    ([], "nothing to evaluate"),
    (["--json", "--raw", "-E", "1"], "cannot be used together"),
    (["--bogus", "-E", "1"], "unrecognised flag"),
    (["-E"], "requires 1 argument(s)"),
])
def test_usage_errors(args, phrase):
    rc, _, err = pynix("eval", *args)
    assert rc == 1 and phrase in err


def test_every_code_has_a_hint_and_explains():
    missing = [c for c in ALL_CODES if c not in HINTS and c not in ("E000",)]
    assert missing == []
    for code in ALL_CODES:
        rc, out, _ = pynix("explain", code)
        assert rc == 0 and out.startswith(f"{code}: ")
    rc, _, err = pynix("explain", "E999")
    assert rc == 1 and "unknown error code" in err


# the hints of specific beginner traps: tests/test_hints.py


def test_did_you_mean_for_an_undefined_name():
    rc, _, err = pynix("eval", "-E", "let greeting = 1; in greting")
    assert rc == 1 and "  did you mean 'greeting'?" in err.splitlines()
    rc, _, err = pynix("eval", "-E", "tostring 1")      # a builtin
    assert "  did you mean 'toString'?" in err.splitlines()
    rc, _, err = pynix("eval", "-E", "zzzzqqq")
    assert "did you mean" not in err


def test_the_span_is_underlined():
    rc, _, err = pynix("eval", "-E", "let greeting = 1; in greting")
    lines = err.splitlines()
    i = lines.index("            1| let greeting = 1; in greting")
    assert lines[i + 1] == "             |                      ^~~~~~~"
    # a one-character span keeps Nix's caret
    rc, _, err = pynix("eval", "-E", "[ 1, 2 ]")
    assert "             |    ^\n" in err


# -- the friendly renderer as a unit -----------------------------------------------------------

from nixlang import errors as E  # noqa: E402
from nixlang.errors.friendly import render_friendly, similar  # noqa: E402
from nixlang.ide.hints import did_you_mean, hint_for, render, trap_for  # noqa: E402
from nixlang.source import Source, Span  # noqa: E402


def test_render_without_a_place():
    err = E.ThrownError("no")
    out = render_friendly(err)
    assert out == "error: no\n\n  [E204] thrown error: " + HINTS["E204"] + "\n  more: pynix explain E204\n"
    assert render(err) == out


def test_traps_never_fail_on_odd_errors():
    src = Source("x", "«string»")
    odd = [E.TypeError_("cannot coerce a set to a string", src, Span(5, 9)).tagged("coerce", found="a set"),
           E.SyntaxError_("syntax error, unexpected '=', expecting ';'", src, Span(0, 0)).tagged(
               "syntax", unexpected="ASSIGN", expected=["SEMI"]),
           E.InfiniteRecursionError("infinite recursion encountered", None, None),
           E.UndefinedVariable("undefined variable", src, Span(0, 1)),            # no name
           E.UndefinedVariable("undefined variable 'q'", src, Span(7, 9)).tagged("undefined-variable", name="q"),
           E.TypeError_("expected a set but found an integer: 1", Source("", "«string»"), Span(0, 0)).tagged(
               "type", expected="a set", found="an integer"),
           E.CallError("called without", None, None).tagged("missing-argument")]
    for err in odd:
        out = render(err, names=["x", "y"])
        assert out.rstrip().endswith(f"more: pynix explain {err.code}")
        assert hint_for(err)


def test_a_multi_line_span_is_underlined_to_the_end_of_its_first_line():
    src = Source("let\n  f = { a }: a;\nin f 1 ", "«string»")
    start = src.text.index("{ a }")
    err = E.TypeError_("expected a set but found an integer: 1", src, Span(start, len(src.text))).tagged(
        "type", expected="a set", found="an integer")
    lines = render(err).splitlines()
    assert "             |       ^~~~~~~~~" in lines       # `{ a }: a;`, 9 characters
    assert "named arguments" in trap_for(err)


def test_did_you_mean_looks_at_the_scope_not_the_text():
    text = "let greeting = 1; f = { name, size ? 2 }: x: nme; in f # nmae: a comment, gretings = text"
    src = Source(text, "«string»")
    at = text.index("nme;")
    err = E.UndefinedVariable("undefined variable 'nme'", src, Span(at, at + 3)).tagged(
        "undefined-variable", name="nme")
    assert did_you_mean(err) == ["name"]        # not `nmae`, a word of the comment
    at = text.index("f #")
    err = E.UndefinedVariable("undefined variable 'gretting'", src, Span(at, at + 1)).tagged(
        "undefined-variable", name="gretting")
    assert did_you_mean(err) == ["greeting"]    # `name` and `size` are not in scope there
    assert did_you_mean(err, names=["grettings"]) == ["greeting", "grettings"]


def test_similar():
    assert similar("greting", ["greeting", "name"]) == ["greeting"]
    assert similar("lett", ["let", "letter"]) == []     # keywords are never suggested
    assert similar("abc", ["abc"]) == []


# -- with the real nixpkgs (slow tier) ----------------------------------------------------------

# (arguments, what `nix eval --impure --expr` (2.8) printed on the shared tree)
NIXPKGS_VALUES = [
    (["-E", "with import <nixpkgs> {}; hello.name"], '"hello-2.12.1"\n'),
    (["--raw", "-E", "(import <nixpkgs> {}).hello.name"], "hello-2.12.1"),
]


@pytest.mark.slow
@pytest.mark.parametrize("args,stdout", NIXPKGS_VALUES)
def test_nixpkgs_values(args, stdout, tmp_path):
    import subprocess
    import sys
    from conftest import nixpkgs_env, shared_nixpkgs
    env = nixpkgs_env(shared_nixpkgs(), tmp_path)
    proc = subprocess.run([sys.executable, "-m", "nixlang", "eval", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, stdout, "")
    import shutil
    if shutil.which("nix"):     # the recorded value is still Nix's
        nix_args = ["--expr" if a == "-E" else a for a in args]
        proc = subprocess.run(["nix", "--extra-experimental-features", "nix-command", "eval", "--impure", *nix_args],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert (proc.returncode, proc.stdout) == (0, stdout), proc.stderr
