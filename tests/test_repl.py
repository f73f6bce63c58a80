"""`pynix repl` (nixlang/repl.py): the Repl logic driven without a terminal,
and one end-to-end session through prompt_toolkit's pipe input."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import nixpkgs_env, shared_nixpkgs
from nixlang.repl import Quit, Repl, run_repl


def session(lines):
    r = Repl()
    return r, [r.handle(line) for line in lines]


# (inputs, expected output of the last input)
VALUES = [
    (["1 + 2"], "3\n"),
    (['"a" + "b"'], '"ab"\n'),
    (["[ 1 (2 + 3) ]"], "[ 1 5 ]\n"),
    (["{ a = 1 + 1; b = { c = 1 + 2; }; }"], "{ a = 2; b = { c = <CODE>; }; }\n"),
    (['{ ok = 1; bad = throw "no"; }'], "{ bad = <CODE>; ok = 1; }\n"),
    (["x = 1", "x + 1"], "2\n"),
    (["x = 1", "y = x * 10", "x = 5", "y + x"], "15\n"),           # y saw the old x
    (["map = 3", "map + 1"], "4\n"),                              # a binding shadows a builtin
    (["f = a: a * 2", "f 21"], "42\n"),
    ([":a { p = 1; q = 2; }", "p + q"], "3\n"),
    ([":t 1"], "an integer\n"),
    ([':t "s"'], "a string\n"),
    ([":t { }"], "a set\n"),
    ([":t x: x"], "a function\n"),
    ([":t map"], "a built-in function\n"),
    ([":p { a = { b = 1 + 1; }; }"], "{ a = { b = 2; }; }\n"),
    ([":p [ [ (1 + 1) ] ]"], "[ [ 2 ] ]\n"),
    (["x = 1", ""], ""),
]


@pytest.mark.parametrize("inputs,expected", VALUES)
def test_handle_values(inputs, expected):
    _, outs = session(inputs)
    assert outs[-1] == expected
    assert all(o == "" for o in outs[:-1] if not o.startswith("Added"))


# (input, fragments that must appear)
ERRORS = [
    ("y", ["undefined variable 'y'", "[E013]", "pynix explain E013"]),
    ('throw "boom"', ["boom", "[E204]"]),
    ('1 + "a"', ["pynix explain E2"]),
    ("{ a = ", ["syntax error", "[E001]"]),
    (":p { a = throw \"deep\"; }", ["deep", "while evaluating the attribute 'a'"]),
    (":l /nonexistent/file.nix", ["does not exist"]),
    (":a 3", ["expected a set"]),
    (":bogus", ["unknown command ':bogus'"]),
    (":explain E999", ["unknown error code"]),
]


@pytest.mark.parametrize("line,fragments", ERRORS)
def test_errors_are_friendly(line, fragments):
    _, (out,) = session([line])
    assert "Traceback" not in out
    assert out.startswith("error")
    for f in fragments:
        assert f in out, out


DOCS = [
    (":doc map", ["builtins.map (2 arguments)", "Apply a function to every element"]),
    (":doc builtins.map", ["builtins.map"]),
    (":doc 1", ["does not have documentation"]),
]


@pytest.mark.parametrize("line,fragments", DOCS)
def test_doc(line, fragments):
    _, (out,) = session([line])
    for f in fragments:
        assert f in out, out


def test_doc_comment_of_a_function():
    r = Repl()
    r.handle("f = /** Doubles its argument. */ x: x * 2")
    assert r.handle(":doc f") == "f\n\nDoubles its argument.\n"


# -- :l <NAME>, derivations, :doc found where a value is defined ------------------------------

def test_load_looks_a_name_up_in_the_search_path(tmp_path):
    from nixlang.evaluator import EvalOptions, Evaluator
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "default.nix").write_text("{ a = 1; b = 2; }\n")
    r = Repl(Evaluator(EvalOptions(search_path=[f"things={tmp_path}/things"], nix_path=[])), cwd=str(tmp_path))
    assert r.handle(":l <things>") == "Added 2 variables.\n"
    assert r.handle("a + b") == "3\n"
    # :r looks the name up again and reads the file again
    (tmp_path / "things" / "default.nix").write_text("{ a = 10; }\n")
    assert r.handle(":r") == "Added 1 variables.\n"
    assert r.handle("a") == "10\n"
    out = r.handle(":l <nothing>")
    assert out.startswith("error: file 'nothing' was not found in the Nix search path (add it using "
                          "$NIX_PATH or -I)\n"), out
    assert "[E204]" in out and f"the search path has things={tmp_path}/things" in out
    assert r.handle(":l").startswith("usage: :l FILE | <NAME>")


def test_the_command_line_loads_files_and_takes_search_path_entries(tmp_path):
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "default.nix").write_text("{ a = 1; b = 2; }\n")
    (tmp_path / "more.nix").write_text("{ c = 3; }\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NIX_PATH", "NIX_CONFIG")}
    proc = subprocess.run([sys.executable, "-m", "nixlang", "repl", "-I", f"things={tmp_path}/things", "<things>",
                           "more.nix"], input="a + b + c\n", cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Added 2 variables.\nAdded 1 variables.\n\n6\n\n", "")
    proc = subprocess.run([sys.executable, "-m", "nixlang", "repl", "--no-such-flag"], input="", cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "unrecognised flag '--no-such-flag'" in proc.stderr


DRV = 'derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; }'
DRV_SHOWN = "«derivation /nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv»"

# what `nix repl` (2.8) prints for a derivation: its .drv path, wherever it is
# (pynix shows direct attributes and elements, where Nix 2.8 shows `{ ... }`)
DERIVATIONS = [
    ("d", DRV_SHOWN),
    ("{ inherit d; n = 1; }", f"{{ d = {DRV_SHOWN}; n = 1; }}"),
    ("[ d d ]", f"[ {DRV_SHOWN} {DRV_SHOWN} ]"),
    ("{ inherit d; s = { inherit d; }; }", f"{{ d = {DRV_SHOWN}; s = {{ d = {DRV_SHOWN}; }}; }}"),
    # :p prints as nix repl's :p does (the second time, «repeated»)
    (":p { inherit d; l = [ d ]; }", f"{{ d = {DRV_SHOWN}; l = [ «repeated» ]; }}"),
    # a set whose `type` is not "derivation" is a set
    ('{ type = "other"; drvPath = 1; }', '{ drvPath = 1; type = "other"; }'),
]


@pytest.mark.parametrize("line,shown", DERIVATIONS)
def test_a_derivation_is_shown_by_its_drv_path(line, shown):
    _, outs = session([f"d = {DRV}", line])
    assert outs[-1] == shown + "\n"


# a small library built as nixpkgs' lib is: a fixed point `self` whose
# attributes are inherited from its parts, documented in those parts
DOC_LIB = {
    "default.nix": """let
  self = {
    attrsets = import ./attrsets.nix { lib = self; };
    inherit (self.attrsets) mapAttrs twice plain undocumented afterSection;
    inherit (builtins) isPath;
  };
in self
""",
    "attrsets.nix": """{ lib }:
{
  /**
    Apply a function to each attribute.

    # Example
        mapAttrs (n: v: v) { }
  */
  mapAttrs = builtins.mapAttrs;

  /* Doubles a number.
   * An older comment, with stars.
   */
  twice = x: x * 2;

  /* Section: values. */

  afterSection = 1;

  undocumented = 1;

  /** The answer. */
  plain = 42;
}
""",
}

# (input, expected output); {lib} is the folder of DOC_LIB
DOC_BY_POSITION = [
    # a primop's attribute, documented where nixpkgs-style code defines it, through `inherit (self.attrsets)`
    (":doc lib.mapAttrs",
     "lib.mapAttrs\n  … defined at {lib}/attrsets.nix:9:3\n"
     "  (it is builtins.mapAttrs: `:doc builtins.mapAttrs` shows Nix's own documentation)\n\n"
     "Apply a function to each attribute.\n\n# Example\n    mapAttrs (n: v: v) { }\n"),
    (":doc lib.attrsets.mapAttrs",
     "lib.attrsets.mapAttrs\n  … defined at {lib}/attrsets.nix:9:3\n"
     "  (it is builtins.mapAttrs: `:doc builtins.mapAttrs` shows Nix's own documentation)\n\n"
     "Apply a function to each attribute.\n\n# Example\n    mapAttrs (n: v: v) { }\n"),
    # a function: its own doc comment, an older `/* */` one with its column of stars removed
    (":doc lib.twice", "lib.twice\n  … defined at {lib}/attrsets.nix:14:11\n\n"
                       "Doubles a number.\nAn older comment, with stars.\n"),
    # a value that is not a function, documented where it is defined
    (":doc lib.plain", "lib.plain\n  … defined at {lib}/attrsets.nix:23:3\n\nThe answer.\n"),
    # a `/* */` comment followed by a blank line heads a section: it documents nothing
    (":doc lib.afterSection", "error: value does not have documentation: it is an integer\n"),
    (":doc lib.undocumented", "error: value does not have documentation: it is an integer\n"),
    # inherited from builtins: the builtin's own text
    (":doc lib.isPath", "builtins.isPath\n\nWhether the value is of that type: `builtins.isPath x`.\n"),
]


@pytest.mark.parametrize("line,expected", DOC_BY_POSITION, ids=[c[0] for c in DOC_BY_POSITION])
def test_doc_finds_the_comment_where_the_value_is_defined(line, expected, tmp_path):
    for name, text in DOC_LIB.items():
        (tmp_path / name).write_text(text)
    r = Repl(cwd=str(tmp_path))
    r.handle("lib = import ./default.nix")
    out = r.handle(line)
    assert out == expected.replace("{lib}", str(tmp_path))


def test_explain_and_help():
    _, (out, help_) = session([":explain E201", ":?"])
    assert out.startswith("E201: wrong type")
    assert "Broken:" in out and "Fixed:" in out
    for cmd in (":p", ":t", ":doc", ":l", ":a", ":r", ":q", ":explain", ":trace", ":e"):
        assert cmd in help_


def test_quit():
    with pytest.raises(Quit):
        Repl().handle(":q")


def test_load_and_reload(tmp_path):
    f = tmp_path / "lib.nix"
    f.write_text("{ answer = 42; greet = name: \"hi ${name}\"; }")
    r = Repl(cwd=str(tmp_path))
    assert r.handle(":l lib.nix") == "Added 2 variables.\n"
    assert r.handle('greet "ada"') == '"hi ada"\n'
    assert r.handle("answer") == "42\n"
    f.write_text("{ answer = 43; }")
    assert r.handle(":r") == "Added 1 variables.\n"
    assert r.handle("answer") == "43\n"


def test_load_function_file_is_called(tmp_path):
    (tmp_path / "f.nix").write_text("{ x ? 7 }: { inherit x; }")
    r = Repl(cwd=str(tmp_path))
    r.handle(":l f.nix")
    assert r.handle("x") == "7\n"


def test_trace_never_forces_unused_binding():
    out = Repl().handle(':trace let x = throw "no"; in 1')
    lines = out.splitlines()
    assert 'create thunk #1 x at 1:9-19: throw "no"' in out
    assert not any(line.strip().split(". ", 1)[-1].startswith("force") for line in lines)
    assert "result: 1" in lines
    assert "thunks created: 1, forced: 0" in lines
    assert "never forced (laziness: their code never ran): #1 x" in lines


def test_trace_forcing_order():
    out = Repl().handle(":trace let a = 1; b = a + 1; in b")
    steps = [line.split(". ", 1)[1] for line in out.splitlines() if line[:3].strip().isdigit()]
    assert steps == [
        "a at 1:9-10 is already a value, no thunk: 1",
        "create thunk #1 b at 1:16-21: a + 1",
        "force #1 b",
        "  need a: already a value",
        "#1 b = 2",
    ]
    assert "result: 2" in out


def test_trace_nested_forcing_and_errors():
    out = Repl().handle(":trace let a = 2 * 3; b = a + 1; in b")
    order = [line.split(". ", 1)[1].strip() for line in out.splitlines() if line[:3].strip().isdigit()]
    assert order.index("force #2 b") < order.index("force #1 a") < order.index("#1 a = 6") < order.index("#2 b = 7")
    out = Repl().handle(':trace let x = throw "no"; in x')
    assert "#1 x failed: no" in out and "result: error" in out and "Traceback" not in out


def test_trace_shows_what_printing_forces():
    # the value first as far as evaluation needed it (list items still thunks),
    # then what printing it forces: `x` once (shared), `y` never
    out = Repl().handle(':trace let x = 1 + 2; y = throw "no"; in [ x x ]')
    lines = out.splitlines()
    split = lines.index("printing it evaluates the rest:")
    assert lines[split - 1] == "value (only as far as needed, <CODE> = not yet evaluated): [ <CODE> <CODE> ]"
    assert [l.split(". ", 1)[1] for l in lines[split + 1:] if l[:3].strip().isdigit()] == ["force #1 x", "#1 x = 3"]
    assert "result: [ 3 3 ]" in lines
    assert "never forced (laziness: their code never ran): #2 y" in lines
    # a value that is complete once computed has no second part
    assert "printing it" not in Repl().handle(":trace let a = 1; in a + 1")


def test_trace_does_not_change_normal_evaluation():
    r = Repl()
    r.handle(":trace let a = 1; in a")
    assert r.handle("let a = 1; in a") == "1\n"


NEEDS_MORE = [
    ("{", True), ("[", True), ("''", True), ('"', True), ("let x = 1;", True), ("(1 +", True),
    ("x = {", True), ("x =", True), (":p [ 1", True), ('"abc ${', True),
    ("1", False), ("{ a = 1; }", False), ("let x = 1; in x", False), ('"abc"', False),
    ("x = [ 1 ]", False), (":q", False), (":?", False), ("", False),
    ("1 +* 2", False),   # a real syntax error: stop and show it
]


@pytest.mark.parametrize("text,expected", NEEDS_MORE)
def test_needs_more(text, expected):
    assert Repl().needs_more(text) is expected


COMPLETE = [
    ("pkgs.he", ["pkgs.hello", "pkgs.help"]),
    ("pkgs.", ["pkgs.hello", "pkgs.help", "pkgs.sub", "pkgs.world"]),
    ("pkgs.sub.d", ["pkgs.sub.deep"]),
    ("1 + pk", ["pkgs"]),
    ("myv", ["myvar"]),
    ("builtins.toJ", ["builtins.toJSON"]),
    ("ma", ["map"]),
    ("le", ["let"]),
    (":t", [":t", ":te", ":trace"]),
    ("pkgs.nothere.x", []),
    ("myvar.x", []),
]


@pytest.mark.parametrize("text,expected", COMPLETE)
def test_complete(text, expected):
    r = Repl()
    r.handle("pkgs = { hello = 1; help = 2; world = 3; sub = { deep = 4; }; }")
    r.handle("myvar = 5")
    assert r.complete(text) == expected


def test_end_to_end_through_prompt_toolkit(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    shown = []

    class Recording(DummyOutput):
        def write_raw(self, data):
            shown.append(data)

    history = tmp_path / "hist"
    with create_pipe_input() as inp:
        inp.send_text("x = {\r a = 1;\r b = 2;\r}\r")
        inp.send_text("x.a + x.b\r")
        inp.send_text(":t x\r")
        inp.send_text(":trace let u = throw \"no\"; in 1\r")
        inp.send_text(":q\r")
        assert run_repl(input=inp, output=Recording(), history=str(history)) == 0
    text = "".join(shown)
    assert "3\n" in text
    assert "a set\n" in text
    assert "thunks created: 1, forced: 0" in text
    assert "x.a + x.b" in history.read_text()


def test_piped_input_runs_as_a_script():
    """`printf ... | pynix repl`: no prompts, one output per complete input,
    multi-line input joined, :q ends it."""
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "nixlang", "repl"], input="1 + 2\nx = { a = 1;\n b = 2; }\nx.b\n:q\n3\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert [line for line in p.stdout.splitlines() if line] == ["3", "2"]
    assert "Traceback" not in p.stderr


# -- :e ----------------------------------------------------------------------------------------

@pytest.fixture
def editor(tmp_path, monkeypatch):
    """A recording editor: Repl.run_editor is replaced, $EDITOR names it."""
    calls = []

    def run(argv):
        calls.append(argv)
        return 0
    monkeypatch.setattr(Repl, "run_editor", staticmethod(run))
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "vim")
    return calls


def test_edit_needs_an_editor(tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    (tmp_path / "a.nix").write_text("1")
    out = Repl(cwd=str(tmp_path)).handle(":e a.nix")
    assert out.startswith("error: no editor set") and "$EDITOR" in out


def test_edit_a_file(tmp_path, editor):
    (tmp_path / "a.nix").write_text("1")
    r = Repl(cwd=str(tmp_path))
    assert r.handle(":e a.nix") == ""
    assert editor == [["vim", str(tmp_path / "a.nix")]]
    r.handle(":e ./a.nix")                       # a path value
    assert editor[-1] == ["vim", str(tmp_path / "a.nix")]


def test_edit_goes_to_the_definition_line(tmp_path, editor):
    lib = tmp_path / "lib.nix"
    lib.write_text("{\n  answer = 42;\n\n  greet =\n    name: \"hi ${name}\";\n  sub.deep = 1;\n}\n")
    r = Repl(cwd=str(tmp_path))
    r.handle(":l lib.nix")
    r.handle(":e greet")                         # a name :l brought in: its attribute's line
    assert editor[-1] == ["vim", "+4", str(lib)]
    r.handle("g = greet")
    r.handle(":e g")                             # a function: where the lambda starts
    assert editor[-1] == ["vim", "+5", str(lib)]
    r.handle("l = import ./lib.nix")
    r.handle(":e l.answer")                      # an attribute path
    assert editor[-1] == ["vim", "+2", str(lib)]
    r.handle(":e l.sub.deep")
    assert editor[-1] == ["vim", "+6", str(lib)]


def test_edit_reloads_afterwards(tmp_path, monkeypatch):
    lib = tmp_path / "lib.nix"
    lib.write_text("{ answer = 42; }\n")

    def run(argv):
        lib.write_text("{ answer = 43; extra = 1; }\n")
        return 0
    monkeypatch.setattr(Repl, "run_editor", staticmethod(run))
    monkeypatch.setenv("VISUAL", "nano")
    r = Repl(cwd=str(tmp_path))
    r.handle(":l lib.nix")
    assert r.handle(":e lib.nix") == "Added 2 variables.\n"
    assert r.handle("answer") == "43\n"


@pytest.mark.parametrize("line,fragment", [
    (":e f", "defined at the prompt, not in a file"),
    (":e 1", "an integer has no file or position"),
    (":e nosuchname", "undefined variable 'nosuchname'"),
    (":e", "usage: :e"),
])
def test_edit_errors(line, fragment, editor):
    r = Repl()
    r.handle("f = x: x")
    out = r.handle(line)
    assert fragment in out and "Traceback" not in out
    assert editor == []


def test_edit_a_derivation_at_its_meta_position(tmp_path, editor):
    pkg = tmp_path / "pkg.nix"
    pkg.write_text("{ type = \"derivation\"; name = \"x\";\n  meta.position = \"%s:7\"; }\n" % pkg)
    r = Repl(cwd=str(tmp_path))
    r.handle(":e import ./pkg.nix")
    assert editor[-1] == ["vim", "+7", str(pkg)]


def test_edit_when_the_editor_cannot_start(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
    (tmp_path / "a.nix").write_text("1")
    out = Repl(cwd=str(tmp_path)).handle(":e a.nix")
    assert out.startswith("error: cannot start the editor")


@pytest.mark.parametrize("editor_var,line,argv", [
    ("vim", 3, ["vim", "+3", "F"]),
    ("nvim", 3, ["nvim", "+3", "F"]),
    ("emacsclient -t", 3, ["emacsclient", "-t", "+3", "F"]),
    ("/usr/bin/nano", 3, ["/usr/bin/nano", "+3", "F"]),
    ("code --wait", 3, ["code", "--wait", "F"]),      # no +LINE for editors that do not take it
    ("vim", 0, ["vim", "F"]),
])
def test_editor_command(editor_var, line, argv):
    from nixlang.repl import editor_command
    assert editor_command(editor_var, "F", line) == argv


# -- highlighting ------------------------------------------------------------------------------

def kinds(text):
    from nixlang.repl import highlight
    return [(k, text[s:e]) for k, s, e in highlight(text)]


def test_highlight_uses_the_nix_lexer():
    assert kinds('let x = "a${b}c"; # hi\nin ./p/${x} + 1.5') == [
        ("keyword", "let"), ("string", '"'), ("string", "a"), ("interpolation", "${"),
        ("interpolation", "}"), ("string", "c"), ("string", '"'), ("comment", "# hi"), ("keyword", "in"),
        ("path", "./p/"), ("interpolation", "${"), ("interpolation", "}"), ("number", "1.5")]
    assert kinds("map (x: x) [ true null ]") == [("builtin", "map"), ("constant", "true"), ("constant", "null")]
    # an identifier that only starts like a keyword is no keyword (the lexer's longest match)
    assert kinds("iffy") == []
    assert kinds("''\n  a ${b} ''") == [("string", "''\n"), ("string", "  a "), ("interpolation", "${"),
                                          ("interpolation", "}"), ("string", " "), ("string", "''")]


@pytest.mark.parametrize("text", ['"abc', "''ab", "{ a = ", "/* open", '"${', "./a/${", "x: { a, b ? ",
                                  "1 +* 2 \x00 $ ` \\", "let\n  x = ''\n    ${ { a = \"", "99999999999999999999"])
def test_highlight_tolerates_half_typed_input(text):
    from nixlang.repl import highlight
    for i in range(len(text) + 1):
        pieces = highlight(text[:i])
        assert all(0 <= s < e <= i for _, s, e in pieces)
    assert kinds("/* open") == [("comment", "/* open")]
    assert kinds('"abc') == [("string", '"'), ("string", "abc")]


def test_prompt_toolkit_lexer_styles_each_line():
    from prompt_toolkit.document import Document
    from nixlang.repl import STYLES, _prompt_parts
    _, lexer = _prompt_parts(Repl())
    get_line = lexer.lex_document(Document(':p {\n  a = "x";\n}'))
    assert get_line(0) == [(STYLES["keyword"], ":p"), ("", " {")]
    assert (STYLES["string"], '"x"') in get_line(1)
    assert "".join(t for _, t in get_line(1)) == '  a = "x";'
    assert get_line(5) == []


def test_explain_lint_code_in_the_repl():
    out = Repl().handle(":explain w003")
    assert out.startswith("W003: unused with") and "Broken:" in out and "pynix lsp" in out


# -- :te (show error traces), as in nix repl -----------------------------------------------

# (inputs, what the last one prints, whether its error shows the call-site frames)
TRACE_TOGGLE = [
    ([":te"], "showing error traces\n", None),
    ([":te", ":te"], "not showing error traces\n", None),
    ([":te true", ":te true"], "showing error traces\n", None),
    ([":te false"], "not showing error traces\n", None),
    ([":trace-enable"], "showing error traces\n", None),
    ([":te maybe"], "error: unexpected argument 'maybe' to :te\n", None),
    (['f = a: "" + a', "f 2"], None, False),
    (['f = a: "" + a', ":te", "f 2"], None, True),
    (['f = a: "" + a', ":te", ":te", "f 2"], None, False),
]


@pytest.mark.parametrize("inputs,printed,frames", TRACE_TOGGLE)
def test_te_toggles_error_traces(inputs, printed, frames):
    _, outs = session(inputs)
    if printed is not None:
        assert outs[-1] == printed
    if frames is not None:
        assert "cannot coerce an integer to a string: 2" in outs[-1]
        assert ("… from call site" in outs[-1]) is frames
        assert ("… while calling anonymous lambda" in outs[-1]) is frames


def test_help_lists_te():
    _, (help_,) = session([":?"])
    assert ":te [bool]     Enable, disable or toggle showing traces for errors" in help_


def test_interrupted_input_keeps_the_bindings(monkeypatch):
    """Ctrl-C in the middle of an input (here: a KeyboardInterrupt raised by the
    evaluation itself) prints Nix's message; the session goes on."""
    r = Repl()
    r.handle("keep = 41")
    calls = []

    def stop(*args):
        calls.append(args)
        raise KeyboardInterrupt
    monkeypatch.setattr(r, "show", stop)
    assert r.handle("1 + 1") == "error: interrupted by the user\n" and calls
    monkeypatch.undo()
    assert r.handle("keep + 1") == "42\n"


# -- with the real nixpkgs (slow tier: loading it costs seconds) ------------------------------------

# (input, what `nix repl` 2.8 printed for it on the shared tree, recorded so that
# the test runs without Nix; when Nix is installed it is asked again)
NIXPKGS_SESSION = [
    (":l <nixpkgs>", "Added 22841 variables.\n"),
    ("pkgs.hello", "«derivation /nix/store/0ia8zz7yjzv9qqzh1pwn64rwlqdhywcp-hello-2.12.1.drv»\n"),
    ("hello.name", '"hello-2.12.1"\n'),
]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pynix_repl(inputs, env, cwd) -> list[str]:
    """What `pynix repl` prints for each input, given them on a pipe (as
    `printf ... | pynix repl`: each output, then an empty line); a string
    printed after each input tells where its output ends."""
    mark = '"-- end of output --"'
    proc = subprocess.run([sys.executable, "-m", "nixlang", "repl"], input="".join(f"{i}\n{mark}\n" for i in inputs),
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.stderr == "" and proc.returncode == 0, proc.stderr
    outs = proc.stdout.split(f"{mark}\n\n")
    assert outs[-1] == "" and len(outs) == len(inputs) + 1, proc.stdout
    return [out[:-1] for out in outs[:-1]]


def nix_repl(inputs, env) -> list[str]:
    """What `nix repl` prints for each input, given them on a pipe (it echoes
    each input after its prompt; "Added N variables." goes to stderr)."""
    proc = subprocess.run(["nix", "--extra-experimental-features", "nix-command", "repl"],
                          input="\n".join(inputs) + "\n", env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    parts = _ANSI.sub("", proc.stdout).split("nix-repl> ")[1:len(inputs) + 1]
    return [part.partition("\n")[2].rstrip("\n") + "\n" for part in parts]


@pytest.mark.slow
def test_nixpkgs_in_the_repl(tmp_path):
    tree = shared_nixpkgs()
    inputs = [i for i, _ in NIXPKGS_SESSION] + [":doc lib.mapAttrs", "lib2 = (import <nixpkgs> { }).lib",
                                                ":doc lib2.mapAttrs"]
    outs = pynix_repl(inputs, nixpkgs_env(tree, tmp_path), tmp_path)
    assert outs[:3] == [o for _, o in NIXPKGS_SESSION]
    # :doc shows nixpkgs' own doc comment of lib.mapAttrs (an RFC 145 comment over
    # `mapAttrs = builtins.mapAttrs;`, reached through `inherit (self.attrsets)`)
    doc = outs[3]
    assert doc.startswith(f"lib.mapAttrs\n  … defined at {tree}/lib/attrsets.nix:1017:3\n"
                          "  (it is builtins.mapAttrs: `:doc builtins.mapAttrs` shows Nix's own documentation)\n\n"
                          "Apply a function to each element in an attribute set, creating a new attribute set.\n"), doc
    assert "mapAttrs :: (String -> Any -> Any) -> AttrSet -> AttrSet" in doc
    # the same through a `lib` of one's own
    assert outs[4:] == ["", doc.replace("lib.mapAttrs", "lib2.mapAttrs", 1)]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nix") is None, reason="nix (2.8) is not installed")
def test_nix_repl_prints_the_same(tmp_path):
    env = nixpkgs_env(shared_nixpkgs(), tmp_path)
    got = nix_repl([i for i, _ in NIXPKGS_SESSION], env)
    assert got == [o for _, o in NIXPKGS_SESSION]
