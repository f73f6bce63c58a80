"""The `pynix` command line: flags, inputs and exit codes as nix-instantiate."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from nixlang.cli import run


def cli(*args, stdin=None):
    p = subprocess.run([sys.executable, "-m", "nixlang", *args], input=stdin, capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def test_parse_file():
    rc, out, err = cli("instantiate", "--parse", "examples/hello.nix")
    assert rc == 0, err
    assert out.startswith('({ greeting ? "Hello", name ? "world" }: (let ')
    assert f"here = {ROOT}/examples;" in out


def test_parse_stdin_and_expr():
    assert cli("instantiate", "--parse", "-", stdin="1 + 2")[1] == "(1 + 2)\n"
    assert cli("instantiate", "--parse", "--expr", "x: x")[1] == "(x: x)\n"
    assert cli("instantiate", "--parse", "-E", "1", "2")[1] == "1\n2\n"


def test_syntax_error_exit_code():
    rc, out, err = cli("instantiate", "--parse", "-", stdin="{ a = 1; ")
    assert rc == 1
    assert err.startswith("error: syntax error, unexpected end of file")
    assert "Traceback" not in err


@pytest.mark.parametrize("args,msg", [
    (["instantiate", "--parse", "/nonexistent/x.nix"], "error: getting status of '/nonexistent/x.nix'"),
    (["instantiate", "--parse", "--bogus"], "error: unrecognised flag '--bogus'"),
    (["instantiate", "--parse", "--arg", "x"], "error: flag '--arg' requires 2 argument(s)"),
    (["nosuchcommand"], "error: unknown command 'nosuchcommand'"),
])
def test_usage_errors(args, msg):
    rc, out, err = cli(*args)
    assert rc == 1
    assert err.startswith(msg)


def test_pipe_operators_need_the_feature():
    rc, out, err = cli("instantiate", "--parse", "-", stdin="x: x |> f: f")
    assert rc == 1
    assert err.startswith("error: experimental Nix feature 'pipe-operators' is disabled; add "
                          "'--extra-experimental-features pipe-operators' to enable it\n       at «stdin»:1:6:")
    rc, out, err = cli("instantiate", "--parse", "--extra-experimental-features", "pipe-operators", "-",
                       stdin="x: f: x |> f |> f")
    assert (rc, out) == (0, "(x: (f: (f (f x))))\n")
    rc, out, err = cli("instantiate", "--parse", "--extra-experimental-features", "pipe-operators", "-",
                       stdin="x: f: f <| f <| x")
    assert (rc, out) == (0, "(x: (f: (f (f x))))\n")


def test_check_reports_all_diagnostics():
    out, err = io.StringIO(), io.StringIO()
    import os
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".nix", delete=False) as f:
        f.write("{\n  a = 1\n  b = x;\n  a = 2;\n}\n")
    try:
        rc = run(["check", f.name], out, err)
    finally:
        os.unlink(f.name)
    lines = out.getvalue().splitlines()
    assert rc == 1
    assert [l.split(": ", 1)[1].split(" ", 1)[0] for l in lines] == ["E001", "E013", "E010"]
    assert "[inserted ';']" in lines[0]


def test_version_and_help():
    assert cli("--version")[1].startswith("pynix ")
    assert "instantiate" in cli("--help")[1]


@pytest.mark.parametrize("argv, expect_rc, expect_codes", [
    ([], 0, [("W001", "warning"), ("W002", "hint"), ("W003", "warning")]),
    (["--no-lints"], 0, []),
])
def test_check_reports_lints_as_warnings(tmp_path, argv, expect_rc, expect_codes):
    f = tmp_path / "lints.nix"
    f.write_text("let unused = 1; f = { a, b }: a; in with builtins; f { a = 1; b = 2; }\n")
    rc, out, err = cli("check", *argv, str(f))
    codes = [l.split(": ", 1)[1].split(" ", 1)[0] for l in out.splitlines() if not l.startswith(" ")]
    assert (rc, codes, err) == (expect_rc, [c for c, _ in expect_codes], "")
    rc, out, _ = cli("check", "--json", *argv, str(f))
    assert [(d["code"], d["severity"]) for d in json.loads(out)] == expect_codes


# Which of two errors `--eval --strict` shows: --json and --xml force each
# value as they print it, names sorted (printValueAsJSON / printValueAsXML);
# the plain printer forces the whole value first, in the attrsets' own order
# (forceValueDeep: by symbol, so in a new process, as Nix). Found on nixpkgs: an attrset of drvPaths printed with
# --json failed on another attribute than Nix's.
FORCING_ORDER = [
    (["--json"], '{ zed = abort "zed"; a = abort "a"; }', "a"),
    (["--xml"], '{ zed = abort "zed"; a = abort "a"; }', "a"),
    ([], '{ zed = abort "zed"; a = abort "a"; }', "zed"),
    (["--json"], '{ b = [ (abort "b0") ]; a = { y = abort "ay"; x = { }; }; }', "ay"),
    (["--xml"], '{ b = [ (abort "b0") ]; a = { y = abort "ay"; x = { }; }; }', "ay"),
    ([], '{ b = [ (abort "b0") ]; a = { y = abort "ay"; x = { }; }; }', "b0"),
    (["--json"], '[ { b = abort "b"; } (abort "second") ]', "b"),
]


@pytest.mark.parametrize("flags,expr,which", FORCING_ORDER)
def test_strict_output_forces_in_nix_order(flags, expr, which):
    rc, _, err = cli("instantiate", "--eval", "--strict", *flags, "-E", expr)
    assert rc == 1 and f"error: evaluation aborted with the following error message: '{which}'" in err


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("flags,expr,which", FORCING_ORDER)
def test_nix_forces_in_the_same_order(flags, expr, which):
    p = subprocess.run(["nix-instantiate", "--eval", "--strict", *flags, "-E", expr], capture_output=True, text=True)
    assert f"error: evaluation aborted with the following error message: '{which}'" in p.stderr


# --json without --strict prints what is already a value and fails on a thunk
# (printValueAsJSON with strict = false; Nix keeps it for compatibility):
# constants and variables already forced are values (maybeThunk), the rest
# of an attrset or list literal is a thunk until something forces it
LAZY_JSON = [
    ('{ a = 1; b = "x"; c = ./.; d = null; }', None),
    ("let x = 1 + 1; in builtins.seq x { inherit x; }", '{"x":2}'),
    ("let y = { a = 2 + 2; }; in builtins.seq y.a y", '{"a":4}'),
    ("1 + 1", "2"),
    ("{ a = 1 + 1; }", "cannot convert a thunk to JSON"),
    ("[ (1 + 1) ]", "cannot convert a thunk to JSON"),
    ("{ a = 1; c = [ 1 2 ]; }", "cannot convert a thunk to JSON"),
    ("let x = 1 + 1; in { inherit x; }", "cannot convert a thunk to JSON"),
    ("{ f = x: x; }", "cannot convert a thunk to JSON"),
    ("x: x", "cannot convert a function to JSON"),
]


@pytest.mark.parametrize("expr,result", LAZY_JSON)
def test_json_without_strict_prints_only_values(expr, result):
    out, err = io.StringIO(), io.StringIO()
    rc = run(["instantiate", "--eval", "--json", "-E", expr], out, err)
    if result is None or result.startswith(("{", "[", "2")):
        assert rc == 0, err.getvalue()
        assert result is None or out.getvalue() == result + "\n"
    else:
        assert rc == 1 and f"error: {result}" in err.getvalue() and out.getvalue() == ""
    # --strict forces everything (a function still has no JSON)
    rc = run(["instantiate", "--eval", "--strict", "--json", "-E", expr], io.StringIO(), io.StringIO())
    assert rc == (1 if "x: x" in expr else 0)


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("expr,result", LAZY_JSON)
def test_nix_prints_the_same_without_strict(expr, result):
    p = subprocess.run(["nix-instantiate", "--eval", "--json", "-E", expr], capture_output=True, text=True)
    if result is None or result.startswith(("{", "[", "2")):
        assert p.returncode == 0 and (result is None or p.stdout.rstrip("\n") == result)
    else:
        assert p.returncode == 1 and f"error: {result}" in p.stderr
