"""Names and suggestions in error texts, as Nix 2.36 prints them.

Nix formats a symbol through printIdentifier (the `<<` of SymbolStr): a name
that is not a plain identifier is printed as Nix code, `"b c"`, `""`,
`"if"`. Every message that names an attribute or argument does so (missing
attribute, unexpected or missing argument, "already defined", the trace
frames that name an attribute). And the "Did you mean" line follows the
error whether or not the error has trace frames, in `pynix instantiate` and
in `pynix eval`. Every line of the text is right-trimmed (the `chomp` of
Nix's `indent`), so a message that starts with a newline, as NixOS's
"Failed assertions" does, leaves `error:` alone on its line."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from conftest import error_message
from nixlang.cli import run

NIX = shutil.which("nix-instantiate")


def pynix(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = run(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


# (expression, a line of `pynix instantiate --eval --strict`'s error text)
QUOTED = [
    ('({ a }: a) { a = 1; "b c" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument '\"b c\"'"),
    ('({ a }: a) { a = 1; "if" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument '\"if\"'"),
    ('({ a }: a) { a = 1; "" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument '\"\"'"),
    ('({ a }: a) { a = 1; "x\\ny" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument '\"x\\ny\"'"),
    ('({ a }: a) { a = 1; "\\${" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument '\"\\${\"'"),
    ('({ a }: a) { a = 1; "it\'s-ok_1" = 2; }',
     "error: function 'anonymous lambda' called with unexpected argument 'it's-ok_1'"),
    ('{ a = 1; }."b c"', "error: attribute '\"b c\"' missing"),
    ('{ a = 1; }."b c"', "… while evaluating the attribute '\"b c\"'"),
    ('{ a = 1; }.${"b" + " c"}', "… while evaluating the attribute '\"b c\"'"),
    ('{ a = { }; }.a."b c"', "… while evaluating the attribute 'a.\"b c\"'"),
    ('{ a = 1; }."or"', "error: attribute 'or' missing"),
    ('builtins.getAttr "b c" { }', "error: attribute '\"b c\"' missing"),
    ('{ "b c" = 1; "b c" = 2; }', "error: attribute '\"b c\"' already defined at «string»:1:3"),
    ('{ "b c".x = 1; "b c".x = 2; }', "error: attribute '\"b c\".x' already defined at «string»:1:3"),
    ('let k = "b c"; in { ${k} = 1; ${k} = 2; }',
     "error: dynamic attribute '\"b c\"' already defined at «string»:1:21"),
    ('{ "b c" = throw "x"; }', "… while evaluating the attribute '\"b c\"'"),
    ('{ "b c" = throw "x"; }."b c"', "… from the definition of '\"b c\"'"),
    ('builtins.toJSON { "b c" = throw "x"; }', "… while evaluating attribute '\"b c\"'"),
    ('assert { "b c" = 1; } == { "b c" = 2; }; 1', "… while comparing attribute '\"b c\"'"),
    ('(derivation { name = "x"; system = "x"; builder = "/bin/sh"; "b c" = throw "x"; }).drvPath',
     "… while evaluating attribute '\"b c\"' of derivation 'x'"),
]


@pytest.mark.parametrize("expr,line", QUOTED)
def test_names_print_as_nix_prints_symbols(expr, line):
    rc, _, err = pynix("instantiate", "--eval", "--strict", "--show-trace", "-E", expr)
    assert rc == 1
    assert line in [ln.strip() for ln in err.splitlines()], err


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("expr,token", [
    ('({ a }: a) { a = 1; "b c" = 2; }', "unexpected argument '\"b c\"'"),
    ('({ a }: a) { a = 1; "if" = 2; }', "unexpected argument '\"if\"'"),
    ('{ "b c" = 1; "b c" = 2; }', "attribute '\"b c\"' already defined"),
    ('builtins.getAttr "b c" { }', "attribute '\"b c\"' missing"),
])
def test_nix_quotes_the_same_names(expr, token):
    # Nix 2.8 words these messages differently, but quotes the name the same way
    nix = subprocess.run([NIX, "--eval", "-E", expr], capture_output=True, text=True)
    assert token in nix.stderr
    assert token in pynix("instantiate", "--eval", "-E", expr)[2]


# (expression, how `pynix instantiate --eval` ends its error text): Nix 2.8 and
# 2.36 both right-trim each line of it (showErrorInfo's indent); the trailing
# whitespace of a message line goes, an empty line stays empty
TRIMMED = [
    ('throw "\\nFailed assertions:\\n- no root file system."',
     "       error:\n       Failed assertions:\n       - no root file system.\n"),
    ('throw "a  "', "       error: a\n"),
    ('throw "a \\t\\n\\nb\\n"', "       error: a\n\n       b\n"),
    ('let x = throw "\\nfoo \\nbar"; in x + 1', "       error:\n       foo\n       bar\n"),
    ('builtins.addErrorContext "ctx " (throw "x")', "       … ctx\n\n"),
]


@pytest.mark.parametrize("expr,tail", TRIMMED)
@pytest.mark.parametrize("command", [["instantiate", "--eval"], ["instantiate", "--eval", "--show-trace"]])
def test_lines_of_the_error_text_are_right_trimmed(expr, tail, command):
    rc, _, err = pynix(*command, "-E", expr)
    assert rc == 1
    assert tail in err, err
    assert all(line == line.rstrip() for line in err.split("\n")), err


def test_a_message_ending_in_an_argument_keeps_its_last_line():
    # Nix colours the arguments of its format: the colour code that closes
    # fromTOML's text stops the trim, so its final newline shows as 7 spaces
    rc, _, err = pynix("instantiate", "--eval", "-E", "builtins.fromTOML ''attr = 9223372036854775808''")
    assert rc == 1 and err.endswith("^-- must be < 2^63\n       \n"), err


def test_friendly_text_is_right_trimmed_too():
    rc, _, err = pynix("eval", "-E", 'throw "\\nFailed assertions:\\n- x "')
    assert rc == 1 and "error:\n       Failed assertions:\n       - x\n" in err, err


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("expr", [expr for expr, _ in TRIMMED])
def test_nix_trims_the_message_the_same_way(expr):
    nix = subprocess.run([NIX, "--eval", "-E", expr], capture_output=True, text=True)
    assert error_message(pynix("instantiate", "--eval", "-E", expr)[2]) == error_message(nix.stderr)


# (expression, the "Did you mean" line); none of these errors has a frame without --show-trace
SUGGESTIONS = [
    ("let f = { x }: x; in f { x = 1; y = 2; }", "Did you mean x?"),
    ("({ x, z }: x + z) { x = 1; z = 2; y = 3; }", "Did you mean one of x or z?"),
    ("({ abcdef }: 1) { abcdef = 1; abcdxy = 2; }", "Did you mean abcdef?"),
    ("let inherit (builtins) mapp; in mapp", "Did you mean map?"),
    ("{ alpha = 1; }.alpah", "Did you mean alpha?"),
    ('{ "b c" = 1; }."b d"', "Did you mean b c?"),
]


@pytest.mark.parametrize("expr,line", SUGGESTIONS)
@pytest.mark.parametrize("command", [["instantiate", "--eval"], ["instantiate", "--eval", "--show-trace"],
                                     ["eval"], ["eval", "--show-trace"]])
def test_suggestions_are_printed_with_or_without_frames(expr, line, command):
    rc, _, err = pynix(*command, "-E", expr)
    assert rc == 1
    assert f"       {line}" in err.splitlines(), err


def test_suggestions_follow_the_excerpt():
    _, _, err = pynix("instantiate", "--eval", "-E", "let f = { x }: x; in f { x = 1; y = 2; }")
    assert err == ("error: function 'f' called with unexpected argument 'y'\n"
                   "       at «string»:1:9:\n"
                   "            1| let f = { x }: x; in f { x = 1; y = 2; }\n"
                   "             |         ^\n"
                   "       Did you mean x?\n")


@pytest.mark.parametrize("expr", [
    "({ abcdef }: 1) { abcdef = 1; abcxyz = 2; }",     # three edits away: Nix suggests nothing
    '({ a }: a) { a = 1; "b c" = 2; }',
])
def test_no_suggestion_beyond_two_edits(expr):
    assert "Did you mean" not in pynix("instantiate", "--eval", "-E", expr)[2]


def test_selection_path_suggestions(tmp_path):
    f = tmp_path / "a.nix"
    f.write_text("{ hello = 1; foo.bar = 2; }\n")
    rc, _, err = pynix("instantiate", "--eval", str(f), "-A", "helo")
    assert rc == 1 and err == ("error: attribute 'helo' in selection path 'helo' not found\n"
                               "       Did you mean hello?\n")
    rc, _, err = pynix("eval", str(f), "-A", "foo.baz")
    assert rc == 1 and "       Did you mean bar?" in err.splitlines()
