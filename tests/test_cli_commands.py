"""`pynix instantiate`'s inputs as nix-instantiate takes them (-A selection
paths by parseAttrPath, ./default.nix when no file is given, `-`, <name>),
and the --help of every command. Expectations recorded from Nix 2.8; run
against `nix-instantiate` too when it is installed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from nixlang.attrpath import parse_attr_path

NIX = shutil.which("nix-instantiate")


def run(cmd, *args, cwd=ROOT, stdin=None):
    p = subprocess.run([*cmd, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd,
                       env=dict(os.environ))
    return p.returncode, p.stdout, p.stderr


PYNIX = [sys.executable, "-m", "nixlang"]
VALUE = '{ a = { b = 1; "b.c" = 2; "1" = 3; bc = 4; }; l = [ 10 20 ]; }'

ATTR_CASES = [
    ("a.b", 0, "1\n", ""),
    ('a."b.c"', 0, "2\n", ""),
    ("l.1", 0, "20\n", ""),
    ("a.", 0, '{ "1" = 3; b = 1; "b.c" = 2; bc = 4; }\n', ""),
    ("", 0, "{ a = <CODE>; l = <CODE>; }\n", ""),
    ("a.0", 1, "", "error: the expression selected by the selection path 'a.0' should be a list but is a set\n"),
    ('a."1"', 1, "", "error: the expression selected by the selection path 'a.\"1\"' should be a list but is a "
                     "set\n"),
    ("l.x", 1, "", "error: the expression selected by the selection path 'l.x' should be a set but is a list\n"),
    ("l.5", 1, "", "error: list index 5 in selection path 'l.5' is out of range\n"),
    ("a..b", 1, "", "error: empty attribute name in selection path 'a..b'\n"),
    (".a", 1, "", "error: empty attribute name in selection path '.a'\n"),
    ('"a', 1, "", "error: missing closing quote in selection path '\"a'\n"),
    ("x", 1, "", "error: attribute 'x' in selection path 'x' not found\n       Did you mean one of a or l?\n"),
    ("a.bb", 1, "", "error: attribute 'bb' in selection path 'a.bb' not found\n"
                    "       Did you mean one of b, bc, 1 or b.c?\n"),
]


@pytest.mark.parametrize("path,rc,out,err", ATTR_CASES)
def test_attr_paths(path, rc, out, err):
    got = run(PYNIX, "instantiate", "--eval", "-E", VALUE, "-A", path)
    assert got == (rc, out, err)
    if NIX:
        assert run(["nix-instantiate"], "--eval", "-E", VALUE, "-A", path) == got


@pytest.mark.parametrize("text,parts", [
    ("a.b.c", ["a", "b", "c"]),
    ('a."b.c".d', ["a", "b.c", "d"]),
    ('x"y.z"w', ["xy.zw"]),
    ("a..b", ["a", "", "b"]),
    ("a.", ["a"]),
    ("", []),
    (".", [""]),
    ('""', []),
])
def test_parse_attr_path(text, parts):
    assert parse_attr_path(text) == parts


def test_compound_attr_flag():
    # -Aa.b is -A -a .b to Nix's argument parser
    got = run(PYNIX, "instantiate", "--eval", "-E", "{ a.b = 1; }", "-Aa.b")
    assert got == (1, "", "error: attribute '-a' in selection path '-a' not found\n       Did you mean a?\n")


def test_default_nix(tmp_path):
    """No file and no -E: ./default.nix (a missing one is Nix's error)."""
    rc, out, err = run(PYNIX, "instantiate", "--eval", cwd=tmp_path)
    assert (rc, out) == (1, "")
    assert err == f"error: getting status of '{tmp_path}/default.nix': No such file or directory\n"
    (tmp_path / "default.nix").write_text("{ x = 1; }")
    assert run(PYNIX, "instantiate", "--eval", cwd=tmp_path) == (0, "{ x = 1; }\n", "")
    assert run(PYNIX, "instantiate", "--eval", "-A", "x", cwd=tmp_path) == (0, "1\n", "")
    assert run(PYNIX, "instantiate", "--parse", cwd=tmp_path) == (0, "{ x = 1; }\n", "")
    # -E with no expression evaluates nothing
    assert run(PYNIX, "instantiate", "--eval", "-E", cwd=tmp_path) == (0, "", "")
    # `-` is standard input, and then ./default.nix is not read
    assert run(PYNIX, "instantiate", "--eval", "-", cwd=tmp_path, stdin="2") == (0, "2\n", "")
    if NIX:
        for argv in (["--eval"], ["--eval", "-A", "x"], ["--parse"], ["--eval", "-E"]):
            assert run(["nix-instantiate"], *argv, cwd=tmp_path) == run(PYNIX, "instantiate", *argv, cwd=tmp_path)


def test_find_file_and_lookup_arguments(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "default.nix").write_text("{ v = 7; }")
    inc = f"here={tmp_path}"
    assert run(PYNIX, "instantiate", "-I", inc, "--find-file", "here/lib") == (0, f"{tmp_path}/lib\n", "")
    assert run(PYNIX, "instantiate", "-I", inc, "--eval", "<here/lib>", "-A", "v") == (0, "7\n", "")
    if NIX:
        assert run(["nix-instantiate"], "-I", inc, "--eval", "<here/lib>", "-A", "v") == (0, "7\n", "")


HELP_COMMANDS = [["instantiate"], ["check"], ["derivation"], ["derivation", "show"], ["explain"], ["lsp"],
                 ["repl"], ["eval"]]


@pytest.mark.parametrize("cmd", HELP_COMMANDS)
def test_help(cmd):
    rc, out, err = run(PYNIX, *cmd, "--help")
    assert rc == 0 and err == ""
    assert out.startswith("usage: pynix " + cmd[0])
    assert len(out.splitlines()) > 2


@pytest.mark.parametrize("argv,message", [
    (["derivation", "shw"], "error: 'shw' is not a recognised command of 'pynix derivation' (its subcommand is: "
                            "show)\n"),
    (["derivation"], "error: 'pynix derivation' needs a subcommand: show (see 'pynix derivation --help')\n"),
    (["check", "--bogus"], "error: unrecognised flag '--bogus' (see 'pynix check --help')\n"),
    (["nosuch"], "error: unknown command 'nosuch'\n"),
])
def test_unknown_subcommands(argv, message):
    rc, out, err = run(PYNIX, *argv)
    assert rc == 1 and out == ""
    assert err.startswith(message)


# a flag without its value: Nix's Args wording ("flag '%s' requires %d
# argument(s)", as `nix eval --expr` prints it) in every command of the new
# CLI's kind; nix-instantiate's own flags keep its "'-A' requires an argument"
@pytest.mark.parametrize("argv,message", [
    (["derivation", "show", "-A"], "error: flag '-A' requires 1 argument(s)\n"),
    (["derivation", "show", "--store"], "error: flag '--store' requires 1 argument(s)\n"),
    (["graph", "-A"], "error: flag '-A' requires 1 argument(s)\n"),
    (["graph", "--depth"], "error: flag '--depth' requires 1 argument(s)\n"),
    (["path-info", "--store"], "error: flag '--store' requires 1 argument(s)\n"),
    (["instantiate", "-A"], "error: '-A' requires an argument\n"),
])
def test_flag_without_its_value(argv, message):
    rc, out, err = run(PYNIX, *argv)
    assert rc == 1 and out == ""
    assert err.startswith(message)
