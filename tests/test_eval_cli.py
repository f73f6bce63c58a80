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


# -- beginner traps: a specific hint instead of the code's general one ---------------------------

TRAPS = [
    # (name, expression, code, phrase of the hint)
    ("set given to a plain argument", "let f = x: x + 1; in f { x = 1; }", "E201",
     "`x` looks like a plain argument (`x: ...`) that was given an attribute set"),
    ("number given to named arguments", "let f = { a, b }: a + b; in f 1", "E201",
     "this function takes named arguments (`{ ... }: ...`), so it must be called with an attribute set"),
    ("let wins over with", 'let pkgs = { hello = "hello-2.12"; }; hello = 1; in with pkgs; "using " + hello',
     "E201", "`with` never shadows let bindings or function arguments, so `hello` here is the let/argument one; "
             "write `pkgs.hello`"),
    ("name missing from with", "let pkgs = { hello = 1; }; in with pkgs; helo", "E013",
     "`pkgs` does not have it either: check the spelling and that the set has it (`pkgs ? helo`)"),
    ("missing ; between bindings", "{\n  a = 1\n  b = 2;\n}", "E001",
     "the `;` is probably missing at line 2, column 8, after `a = 1`"),
    ("missing ; before }", "{ a = 1; b = 2 }", "E001", "the `;` is probably missing at line 1, column 15"),
    ("missing ; before in", "let a = 1\nin a", "E001", "the `;` is probably missing at line 1, column 10"),
    ("comma in a set", "{ a = 1, b = 2; }", "E001", "end with `;`, not `,`"),
    ("comma in a list", "[ 1, 2 ]", "E001", "separated by spaces, not commas"),
    ("JSON colon", '{ "a": 1 }', "E001", "not `name: value,` as in JSON"),
    ("string plus path", '"./foo" + /no-such-file-here', "E200",
     "it is copied to the store first, so it must exist"),
    ("path to a missing file in a string", '"${./no-such-file-here}"', "E200", "`./foo + \"bar\"` is `./foobar`"),
    ("import of a string", 'import "foo.nix"', "E200", "write a path literal such as `./foo.nix`"),
    ("readFile of a relative string", 'builtins.readFile "./x"', "E200", "not the string"),
    ("x = x + 1", "let x = x + 1; in x", "E203", "`x = x + 1` refers to itself: Nix has no assignment"),
    ("rec attribute named like an outer variable", 'let name = "x"; in rec { name = name; }.name', "E203",
     "`name = name` refers to itself"),
    ("rec loop", "rec { a = b; b = a; }.a", "E203", "refer to each other in a circle"),
    ("int in a string", '"${1}"', "E201", "use `toString x`"),
    ("number plus string", '1 + "a"', "E200", "never a number and a string: convert with `toString n`"),
    ("list in a string", '"${[ 1 ]}"', "E201", "builtins.concatStringsSep"),
    ("head of an empty list", "builtins.head [ ]", "E200", "the list is empty; test it first"),
    ("index past the end", "builtins.elemAt [ 1 ] 1", "E200", "lists count from 0"),
    ("comparing functions", "(x: x) < (x: x)", "E200", "functions cannot be ordered or compared"),
    ("truthy values", "if 1 then 2 else 3", "E201", "Nix has no truthy values"),
    ("two values side by side", '"a" "b"', "E201", "two values side by side are a function call"),
]


@pytest.mark.parametrize("name,expr,code,phrase", TRAPS, ids=[t[0] for t in TRAPS])
def test_trap_hints(name, expr, code, phrase, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = pynix("eval", "-E", expr)
    assert rc == 1 and out == ""
    coded = [line for line in err.splitlines() if line.startswith(f"  [{code}] ")]
    assert len(coded) == 1, err
    assert phrase in coded[0], err
    # the specific hint replaces the general one of the code
    assert HINTS[code] not in err
    assert err.rstrip().endswith(f"more: pynix explain {code}")


def test_trap_hint_for_import_of_a_relative_string_in_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.nix").write_text("{ answer = 42; }\n")
    (tmp_path / "main.nix").write_text('let lib = import "lib.nix"; in lib.answer\n')
    rc, _, err = pynix("eval", "main.nix")
    assert rc == 1 and "string 'lib.nix' doesn't represent an absolute path" in err
    assert "write a path literal such as `./foo.nix`" in err
    (tmp_path / "main.nix").write_text("let lib = import ./lib.nix; in lib.answer\n")
    assert pynix("eval", "main.nix") == (0, "42\n", "")


def test_no_trap_hint_where_none_applies():
    # a let-bound name used under a `with` that does not define it: no shadowing claim
    rc, _, err = pynix("eval", "-E", 'let n = 1; in with { m = 2; }; "a" + n')
    assert rc == 1 and "never shadows" not in err
    # a type error on a name that is not a plain argument
    rc, _, err = pynix("eval", "-E", 'let s = { a = 1; }; in "a" + s')
    assert rc == 1 and "plain argument" not in err and "outPath" in err


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
from nixlang.errors.friendly import bound_names, hint_for, render_friendly, similar, trap_for  # noqa: E402
from nixlang.source import Source, Span  # noqa: E402


def test_render_without_a_place():
    err = E.ThrownError("no")
    out = render_friendly(err)
    assert out == "error: no\n\n  [E204] thrown error: " + HINTS["E204"] + "\n  more: pynix explain E204\n"


def test_traps_never_fail_on_odd_errors():
    src = Source("x", "«string»")
    odd = [E.TypeError_("cannot coerce a set to a string", src, Span(5, 9)),         # span past the end
           E.SyntaxError_("syntax error, unexpected '=', expecting ';'", src, Span(0, 0)),
           E.InfiniteRecursionError("infinite recursion encountered", None, None),
           E.UndefinedVariable("undefined variable", src, Span(0, 1)),            # no quoted name
           E.TypeError_("expected a set but found an integer: 1", Source("", "«string»"), Span(0, 0))]
    for err in odd:
        out = render_friendly(err, names=["x", "y"])
        assert out.rstrip().endswith(f"more: pynix explain {err.code}")
        assert hint_for(err)


def test_a_multi_line_span_is_underlined_to_the_end_of_its_first_line():
    src = Source("let\n  f = { a }: a;\nin f 1 ", "«string»")
    start = src.text.index("{ a }")
    err = E.TypeError_("expected a set but found an integer: 1", src, Span(start, len(src.text)))
    lines = render_friendly(err).splitlines()
    assert "             |       ^~~~~~~~~" in lines       # `{ a }: a;`, 9 characters
    assert "named arguments" in trap_for(err)


def test_bound_names_and_similar():
    text = "let greeting = 1; f = { name, size ? 2 }: x: name; inherit (lib) mkIf; in with pkgs; f"
    assert {"greeting", "f", "name", "size", "x", "mkIf"} <= bound_names(text)
    assert "pkgs" not in bound_names(text) and "let" not in bound_names(text)
    assert similar("greting", bound_names(text)) == ["greeting"]
    assert similar("lett", ["let", "letter"]) == []     # keywords are never suggested
    assert similar("abc", ["abc"]) == []
