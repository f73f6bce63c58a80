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
    ("let x = 1 in x", "E001", "error: syntax error, unexpected 'in', expecting ';'", "missing ';'"),
    ("throw \"no\"", "E204", "error: no", "throw"),
    ("let x = x; in x", "E203", "error: infinite recursion encountered", "depends on itself"),
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


def test_same_nix_text_as_instantiate():
    expr = "let f = x: x.a; in f 1"
    _, _, nix_err = pynix("instantiate", "--eval", "--strict", "--no-show-trace", "-E", expr)
    _, _, friendly = pynix("eval", "-E", expr)
    assert friendly.startswith(nix_err.rstrip("\n"))


@pytest.mark.parametrize("args,phrase", [
    ([], "nothing to evaluate"),
    (["--json", "--raw", "-E", "1"], "cannot be used together"),
    (["--bogus", "-E", "1"], "unrecognised flag"),
    (["-E"], "requires 1 argument"),
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
