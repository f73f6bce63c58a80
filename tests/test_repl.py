"""`pynix repl` (nixlang/repl.py): the Repl logic driven without a terminal,
and one end-to-end session through prompt_toolkit's pipe input."""
from __future__ import annotations

import pytest

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


def test_explain_and_help():
    _, (out, help_) = session([":explain E201", ":?"])
    assert out.startswith("E201: wrong type")
    assert "Broken:" in out and "Fixed:" in out
    for cmd in (":p", ":t", ":doc", ":l", ":a", ":r", ":q", ":explain", ":trace"):
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
    (":t", [":t", ":trace"]),
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
