"""The hints of `pynix eval` (nixlang/ide/hints.py): each beginner trap is
recognised from the parsed program and the facts the error carries, and
gets its own hint instead of the code's usual cause.

The table is data: an expression (or a few files, the first one evaluated)
-> the code `pynix eval` shows and a phrase its hint must contain. The
evaluation runs in an empty folder with no NIX_PATH, as a newcomer's would."""
from __future__ import annotations

import io

import pytest

from nixlang.cli import run
from nixlang.errors.friendly import HINTS


def pynix(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = run(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


LET_REC = """let
  # with pkgs; a comment that mentions `with` is no `with`
  package = {
    pname = "hello";
    name = "${pname}-1";
  };
in package.name
"""

OVERLAY = """let
  fix = f: let x = f x; in x;
  base = final: { message = "hi"; };
  excited = final: prev: { message = final.message + "!"; };
  extends = o: f: final: let prev = f final; in prev // o final prev;
in (fix (extends excited base)).message
"""

CASES = [
    # (name, expression or {file: text} (the first file is evaluated), code, phrase of the hint)
    ("set given to a plain argument", "let f = x: x + 1; in f { x = 1; }", "E201",
     "`x` is a plain argument (`x: ...`) that was given an attribute set"),
    ("set given to a plain argument, arithmetic", "let f = n: n * 2; in f { n = 1; }", "E201",
     "`n` is a plain argument (`n: ...`)"),
    ("number given to named arguments", "let f = { a, b }: a + b; in f 1", "E201",
     "this function takes named arguments (`{ ... }: ...`), so it must be called with an attribute set"),
    ("let wins over with", 'let pkgs = { hello = "hello-2.12"; }; hello = 1; in with pkgs; "using " + hello',
     "E201", "`with` never shadows let bindings or function arguments, so `hello` here is the let binding; "
             "write `pkgs.hello`"),
    ("argument wins over with", '(hello: with { hello = "x"; }; "a" + hello) 1', "E201",
     "so `hello` here is the function argument"),
    ("name missing from with", "let pkgs = { hello = 1; }; in with pkgs; helo", "E013",
     "`pkgs` does not have it either: check the spelling and that the set has it (`pkgs ? helo`)"),
    ("attributes of a plain set", {"main.nix": LET_REC}, "E013",
     "`pname` is an attribute of the set around it (line 3, column 13), but the attributes of a plain "
     "`{ ... }` cannot see each other: make it `rec { ... }`"),
    ("missing ; between bindings", "{\n  a = 1\n  b = 2;\n}", "E001",
     "the `;` is probably missing at line 2, column 8, after `a = 1`"),
    ("missing ; between bindings on one line", "{ a = 1 b = 2; }", "E001",
     "the `;` is probably missing at line 1, column 8, after `a = 1`"),
    ("missing ; before }", "{ a = 1; b = 2 }", "E001", "the `;` is probably missing at line 1, column 15, "
                                                       "after `b = 2`"),
    ("missing ; before in", "let a = 1\nin a", "E001", "the `;` is probably missing at line 1, column 10"),
    ("missing in", "let x = 1; x + 1", "E001",
     "the `in` before the expression is probably missing at line 1, column 12, before `x + 1`"),
    ("missing in before a list", "let\n  x = 1;\n[ x ]", "E001",
     "the `in` before the expression is probably missing at line 3, column 1, before `[ x ]`"),
    ("comma in a set", "{ a = 1, b = 2; }", "E001", "end with `;`, not `,`"),
    ("comma in a list", "[ 1, 2 ]", "E001", "separated by spaces, not commas"),
    ("JSON colon", '{ "a": 1 }', "E001", "not `name: value,` as in JSON"),
    ("list index with a dot", "let xs = [ 1 2 ]; in xs.0", "E201",
     "`xs.0` does not select an element: `.0` is read as the number 0.0, so the list is called like a "
     "function; lists are indexed with `builtins.elemAt xs 0`"),
    ("attribute named by a number", "let s = { a = 1; }; in s.1", "E201",
     "an attribute named 1 is written `s.\"1\"`"),
    ("import <nixpkgs> without a search path", "import <nixpkgs> { }", "E204",
     "`<nixpkgs>` is looked up in the search path, and the search path is empty: point `nixpkgs` at a "
     "nixpkgs folder with `-I nixpkgs=/path/to/nixpkgs` or `export NIX_PATH=nixpkgs=/path/to/nixpkgs`"),
    ("a missing file imported", {"main.nix": "import ./missing.nix\n"}, "E200",
     "/missing.nix does not exist: `./missing.nix` is relative to the directory of the file it is written "
     "in"),
    ("a missing file imported with -E", "import ./missing.nix", "E200",
     "/missing.nix does not exist: `./missing.nix` is relative to the current directory"),
    ("a function of pkgs evaluated alone", {"main.nix": "{ pkgs }: pkgs.hello\n"}, "E209",
     "the file is a function of { pkgs }: `pynix eval` calls it with the arguments given on the command "
     "line, so give `pkgs` one: `--arg pkgs 'import <nixpkgs> { }'`"),
    ("a formal without default", "({ a, b }: a) { a = 1; }", "E209",
     "the function needs `b` (it has no default)"),
    ("an argument too many", "({ x, z }: x) { x = 1; z = 2; y = 3; }", "E209",
     "the function takes only { x, z }, not `y`"),
    ("string plus path", '"./foo" + /no-such-file-here', "E200",
     "it is copied to the store first, so it must exist"),
    ("path to a missing file in a string", '"${./no-such-file-here}"', "E200", "`./foo + \"bar\"` is `./foobar`"),
    ("import of a string", 'import "foo.nix"', "E200", "write a path literal such as `./foo.nix`"),
    ("readFile of a relative string", 'builtins.readFile "./x"', "E200", "not the string \"./x\""),
    ("x = x + 1", "let x = x + 1; in x", "E203", "`x = x + 1` refers to itself: Nix has no assignment"),
    ("x = x + 1 hiding an outer x", "let x = 1; in let x = x + 1; in x", "E203",
     "(the `x` outside is hidden inside this let)"),
    ("rec attribute named like an outer variable", 'let name = "x"; in rec { name = name; }.name', "E203",
     "`name = name` refers to itself"),
    ("rec loop", "rec { a = b; b = a; }.a", "E203",
     "these bindings need each other's values in a circle: `b = a` → `a = b` → back to `b`"),
    ("overlay on final", {"main.nix": OVERLAY}, "E203",
     "`message` is defined from `final.message`, the same attribute of the finished set `final`, so it "
     "needs its own value; to build on the value before this change, use `prev.message`"),
    ("int in a string", '"${1}"', "E201", "use `toString x`"),
    ("number plus string", '1 + "a"', "E200", "never a number and a string: convert with `toString n`"),
    ("number plus set", "1 + { a = 1; }", "E200", "`a // b` is the set `a` with the attributes of `b`"),
    ("number plus list", "1 + [ 2 ]", "E200", "`a ++ b` does"),
    ("set plus set", "{ a = 1; } + { b = 2; }", "E201", "`+` does not combine sets: `a // b`"),
    ("list plus list", "let xs = [ 1 ]; in xs + [ 2 ]", "E201", "`+` does not join lists: `a ++ b` does"),
    ("a colon in a let is no JSON", "let x = 1; x: 2", "E001", "the `in` before the expression is probably missing"),
    ("list in a string", '"${[ 1 ]}"', "E201", "builtins.concatStringsSep"),
    ("head of an empty list", "builtins.head [ ]", "E200", "the list is empty; test it first"),
    ("index past the end", "builtins.elemAt [ 1 ] 1", "E200", "lists count from 0"),
    ("comparing functions", "(x: x) < (x: x)", "E200", "functions cannot be ordered or compared"),
    ("truthy values", "if 1 then 2 else 3", "E201", "Nix has no truthy values"),
    ("two values side by side", '"a" "b"', "E201", "two values side by side are a function call"),
    ("a set called", "let s = { f = x: x; }; in s 1", "E201", "a set is not a function"),
    ("a function selected from", "let f = { a }: a; in f.a", "E201", "call it (`f { ... }`) before selecting"),
]


@pytest.mark.parametrize("name,program,code,phrase", CASES, ids=[c[0] for c in CASES])
def test_trap_hints(name, program, code, phrase, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIX_PATH", raising=False)
    monkeypatch.delenv("NIX_CONFIG", raising=False)
    if isinstance(program, dict):
        for fname, text in program.items():
            (tmp_path / fname).write_text(text)
        args = [next(iter(program))]
    else:
        args = ["-E", program]
    rc, out, err = pynix("eval", *args)
    assert rc == 1 and out == ""
    coded = [line for line in err.splitlines() if line.startswith(f"  [{code}] ")]
    assert len(coded) == 1, err
    assert phrase in coded[0], err
    # the specific hint replaces the general one of the code
    assert HINTS[code] not in err
    assert err.rstrip().endswith(f"more: pynix explain {code}")


@pytest.mark.parametrize("expr,absent", [
    # a let-bound name used under a `with` whose set does not have it: no shadowing claim
    ('let n = 1; in with { m = 2; }; "a" + n', "never shadows"),
    # a type error on a name that is not a plain argument
    ('let s = { a = 1; }; in "a" + s', "plain argument"),
    # `with` in a comment or a string is no `with`
    ('# with pkgs;\n{ a = b; }', "pkgs"),
    ('"with pkgs; " + undefinedName', "pkgs"),
    # a name in a comment is never suggested
    ('# greeting: 1\nlet greetings = 1; in greting', "'greeting'"),
])
def test_no_trap_hint_where_none_applies(expr, absent, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = pynix("eval", "-E", expr)
    hint_lines = err[err.index("\n  ["):]
    assert rc == 1 and absent not in hint_lines, err


def test_trap_hint_for_import_of_a_relative_string_in_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.nix").write_text("{ answer = 42; }\n")
    (tmp_path / "main.nix").write_text('let lib = import "lib.nix"; in lib.answer\n')
    rc, _, err = pynix("eval", "main.nix")
    assert rc == 1 and "string 'lib.nix' doesn't represent an absolute path" in err
    assert "write a path literal such as `./lib.nix`" in err
    (tmp_path / "main.nix").write_text("let lib = import ./lib.nix; in lib.answer\n")
    assert pynix("eval", "main.nix") == (0, "42\n", "")


def test_the_auto_call_hint_is_only_for_the_command_line(tmp_path, monkeypatch):
    # the same function imported and called by code: the hint is about the call, not --arg
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.nix").write_text("{ pkgs }: pkgs.hello\n")
    (tmp_path / "main.nix").write_text("import ./f.nix { }\n")
    rc, _, err = pynix("eval", "main.nix")
    assert rc == 1 and "--arg" not in err and "the function needs `pkgs`" in err
    # given on the command line, it evaluates
    rc, out, _ = pynix("eval", "f.nix", "--arg", "pkgs", "{ hello = 1; }")
    assert (rc, out) == (0, "1\n")


def test_the_search_path_hint_lists_what_there_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIX_PATH", raising=False)
    (tmp_path / "other").mkdir()
    rc, _, err = pynix("eval", "-I", f"other={tmp_path}/other", "-E", "<nixpkgs>")
    assert rc == 1 and f"the search path has other={tmp_path}/other" in err
    rc, _, err = pynix("eval", "-E", "<foo/bar.nix>")
    assert "add `-I foo=/some/path` or `NIX_PATH=foo=/some/path`" in err


# (flags, expression, code, phrases of the hint); {tmp} is the test's folder, which has lib/ only
NIXPKGS_MISSING = [
    # no search path at all: every way to get nixpkgs, each exactly as it is typed
    ([], "import <nixpkgs> { }", "E204", [
        "the search path is empty", "`-I nixpkgs=/path/to/nixpkgs`", "`export NIX_PATH=nixpkgs=/path/to/nixpkgs`",
        "`git clone --depth 1 -b nixos-24.11 https://github.com/NixOS/nixpkgs`",
        "`curl -LO https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz && tar xf nixos-24.11.tar.gz`, "
        "which makes nixpkgs-nixos-24.11/",
        "`-I nixpkgs=https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz`; pynix does not download",
        "`nix-channel --add https://nixos.org/channels/nixos-24.11 nixpkgs && nix-channel --update`, found "
        "through ~/.nix-defexpr/channels when NIX_PATH is not set"]),
    # an entry for nixpkgs that names nothing
    (["-I", "nixpkgs={tmp}/nowhere"], "import <nixpkgs> { }", "E204", [
        "the search path has nixpkgs={tmp}/nowhere, but {tmp}/nowhere does not exist"]),
    # a tree without nixos/ (nixpkgs' lib alone)
    (["-I", "nixpkgs={tmp}"], "import <nixpkgs/nixos> { }", "E204", [
        "the search path has nixpkgs={tmp}, but there is no nixos in it"]),
    # the tarball URL Nix takes, which pynix does not download
    (["-I", "nixpkgs=https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz"], "import <nixpkgs> { }",
     "E299", ["`curl -LO https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz && tar xf "
              "nixos-24.11.tar.gz`, which makes nixpkgs-nixos-24.11/",
              "`-I nixpkgs=$PWD/nixpkgs-nixos-24.11`"]),
    (["-I", "https://example.org/exprs.tar.xz"], "<nixpkgs>", "E299",
     ["`curl -LO https://example.org/exprs.tar.xz && tar xf exprs.tar.xz`", "`-I $PWD/FOLDER`"]),
]


@pytest.mark.parametrize("flags,expr,code,phrases", NIXPKGS_MISSING, ids=range(len(NIXPKGS_MISSING)))
def test_the_nixpkgs_hint_says_how_to_get_one(flags, expr, code, phrases, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NIX_PATH", "")
    (tmp_path / "lib").mkdir()
    rc, out, err = pynix("eval", *[f.replace("{tmp}", str(tmp_path)) for f in flags], "-E", expr)
    coded = [line for line in err.splitlines() if line.startswith(f"  [{code}] ")]
    assert rc == 1 and out == "" and len(coded) == 1, err
    for phrase in phrases:
        assert phrase.replace("{tmp}", str(tmp_path)) in coded[0], err
