"""Control and filesystem builtins (nixlang/builtins/control.py, filesystem.py):
tables of (expression, printed value) and of (expression, error message),
evaluated in process, plus the stderr output of trace / warn."""
from __future__ import annotations

import os

import pytest

from nixlang import errors as E
from nixlang.builtins.control import current_system, show_lazy, warning_text
from nixlang.builtins.filesystem import nix_path_value, parse_nix_path
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.runtime.printer import print_value


def ev_print(expr: str, ev: Evaluator | None = None) -> str:
    ev = ev or Evaluator()
    v = ev.eval_string(expr)
    ev.deep_force(v)
    return print_value(v)


def ev_error(expr: str, ev: Evaluator | None = None) -> E.NixError:
    ev = ev or Evaluator()
    with pytest.raises(E.NixError) as info:
        v = ev.eval_string(expr)
        ev.deep_force(v)
    return info.value


@pytest.fixture
def tree(tmp_path):
    """A small folder: a file, a sub-folder, symlinks to both, a broken symlink."""
    (tmp_path / "bar").write_text("hello\n")
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "inner").write_text("")
    (tmp_path / "nul").write_bytes(b"a\0b")
    os.symlink("bar", tmp_path / "linked")
    os.symlink("foo", tmp_path / "ldir")
    os.symlink("nonexistent", tmp_path / "broken")
    return str(tmp_path)


OKAY = [
    # tryEval: throw and assert are caught, a success keeps the value
    ('builtins.tryEval "x"', '{ success = true; value = "x"; }'),
    ('builtins.tryEval (throw "bla")', "{ success = false; value = false; }"),
    ('builtins.tryEval (assert false; "y")', "{ success = false; value = false; }"),
    ("(builtins.tryEval [ (throw 1) ]).success", "true"),          # shallow
    ("(builtins.tryEval <no-such-file-anywhere>).success", "false"),
    ('let throw = abort "no"; in (builtins.tryEval <no-such-file-anywhere>).success', "false"),
    # trace and friends return their second argument
    ('builtins.trace "msg" 42', "42"),
    ('builtins.traceVerbose "msg" 42', "42"),
    ('builtins.warn "careful" [ 1 ]', "[ 1 ]"),
    ("builtins.break (1 + 2)", "3"),
    ('builtins.addErrorContext "ctx" 7', "7"),
    # constants
    ("builtins.langVersion", "6"),
    ("builtins.nixVersion", '"2.36.0"'),
    ("builtins.currentSystem", f'"{current_system()}"'),
    ("builtins.isInt builtins.currentTime", "true"),
    ("builtins.storeDir", '"' + (os.environ.get("NIX_STORE_DIR") or "/nix/store").rstrip("/") + '"'),
    # getEnv
    ('builtins.getEnv "PYNIX_SURELY_UNSET_VAR"', '""'),
    # toPath: canonical absolute path, as a string
    ('builtins.toPath "/a/../b/./c//"', '"/b/c"'),
    ("builtins.toPath /a/b", '"/a/b"'),
    ('builtins.toPath { outPath = "/x/y"; }', '"/x/y"'),
    ('builtins.toPath { __toString = self: "/z"; }', '"/z"'),
    # findFile with an explicit search path
    ('builtins.findFile [ ] "nix/fetchurl.nix"', "/__corepkgs__/fetchurl.nix"),
    ("builtins.isFunction (builtins.scopedImport { } <nix/fetchurl.nix>)", "true"),
]


@pytest.mark.parametrize("expr,expected", OKAY)
def test_okay(expr, expected):
    assert ev_print(expr) == expected


ERRORS = [
    ('builtins.tryEval (abort "stop")', "evaluation aborted with the following error message: 'stop'"),
    ("builtins.tryEval (1 + true)", None),                               # a type error escapes
    ('builtins.getEnv [ ]', "expected a string but found a list: [ ]"),
    ('builtins.warn 1 null', "expected a string but found an integer: 1"),
    ('builtins.toPath "foo"', "string 'foo' doesn't represent an absolute path"),
    ("builtins.toPath [ ]", "cannot coerce a list to a string: [ ]"),
    ('builtins.pathExists "zorglub"', "string 'zorglub' doesn't represent an absolute path"),
    ("builtins.pathExists [ ]", "cannot coerce a list to a string: [ ]"),
    ('builtins.readFileType { outPath = "not-absolute"; }',
     "string 'not-absolute' doesn't represent an absolute path"),
    ('builtins.readFileType { __toString = "not a function"; }',
     'attempt to call something which is not a function but a string: "not a function"'),
    ("builtins.readDir /this/path/really/should/not/exist",
     "path '/this/path/really/should/not/exist' does not exist"),
    ('builtins.findFile [ ] "no-such-thing"',
     "file 'no-such-thing' was not found in the Nix search path (add it using $NIX_PATH or -I)"),
    ("builtins.findFile [ { prefix = \"a\"; } ] \"a\"", "attribute 'path' missing"),
    ('builtins.findFile 1 "a"', "expected a list but found an integer: 1"),
    ('builtins.scopedImport 1 ./x.nix', "expected a set but found an integer: 1"),
]


@pytest.mark.parametrize("expr,message", ERRORS)
def test_errors(expr, message):
    err = ev_error(expr)
    if message is None:
        assert not isinstance(err, (E.ThrownError, E.AssertionFailed))
    else:
        assert err.message == message


def _frames(err):
    return [f.message for f in getattr(err, "frames", [])]


def test_error_frames():
    err = ev_error("builtins.getEnv [ ]")
    assert "while evaluating the first argument passed to builtins.getEnv" in _frames(err)
    err = ev_error('builtins.toPath "foo"')
    assert "while evaluating the first argument passed to builtins.toPath" in _frames(err)
    err = ev_error('builtins.pathExists "zorglub"')
    assert "while realising the context of a path" in _frames(err)
    err = ev_error('builtins.readFileType { outPath = "x"; }')
    frames = _frames(err)
    assert frames.index("while realising the context of a path") < frames.index(
        "while using the `outPath` attribute")
    err = ev_error('builtins.readFileType { outPath = abort "some failure"; }')
    assert "while evaluating the `outPath` attribute" in _frames(err)
    err = ev_error('builtins.readFileType { __toString = self: "rel"; }')
    assert "while using the result of the `__toString` attribute" in _frames(err)


def test_add_error_context_frames():
    err = ev_error('let f = n: if n == 0 then throw "kaboom" else '
                   'builtins.addErrorContext "n = ${toString n}" ("x" + f (n - 1)); in f 2')
    assert err.message == "kaboom"
    ctx = [f.message for f in err.frames if getattr(f, "always", False)]
    assert ctx == ["n = 1", "n = 2"]          # innermost first


def test_trace_output(capsys):
    assert ev_print('builtins.trace "hello" 1') == "1"
    assert ev_print("builtins.trace [ (1 + 1) ] 1") == "1"
    assert ev_print('builtins.trace { a = 1; b = "s"; } 1') == "1"
    assert ev_print('builtins.trace "a\tb" 1') == "1"
    assert ev_print('builtins.traceVerbose "quiet" 1') == "1"
    assert capsys.readouterr().err == (
        'trace: hello\ntrace: [ «thunk» ]\ntrace: { a = 1; b = "s"; }\ntrace: a        b\n')


def test_trace_verbose_enabled(capsys):
    ev = Evaluator()
    ev.options.trace_verbose = True
    assert ev_print('builtins.traceVerbose "loud" 1', ev) == "1"
    assert capsys.readouterr().err == "trace: loud\n"


def test_warn_output(capsys):
    assert ev_print('builtins.warn "foo\\nbar" null') == "null"
    assert ev_print('builtins.warn "\\nfoo\\nbar" null') == "null"
    assert capsys.readouterr().err == (
        "evaluation warning: foo\n                    bar\n"
        "evaluation warning:\nfoo\nbar\n")


def test_abort_on_warn(capsys):
    ev = Evaluator()
    ev.options.abort_on_warn = True
    err = ev_error('builtins.tryEval (builtins.warn "w" 1)', ev)
    assert err.message == "aborting to reveal stack trace of warning, as abort-on-warn is set"


@pytest.mark.parametrize("msg,text", [
    ("one", "evaluation warning: one"),
    ("a\nb  ", "evaluation warning: a\n                    b"),
    ("\nx\n\ny", "evaluation warning:\nx\n\ny"),
])
def test_warning_text(msg, text):
    assert warning_text(msg) == text


def test_show_lazy():
    ev = Evaluator()
    assert show_lazy(ev.eval_string("builtins.map")) == "«primop map»"
    assert show_lazy(ev.eval_string("builtins.map (x: x)")) == "«partially applied primop map»"
    assert show_lazy(ev.eval_string("x: x")) == "«lambda @ «string»:1:1»"
    assert show_lazy(ev.eval_string("let x = [ x ]; in x")) == "[ «repeated» ]"
    assert show_lazy(ev.eval_string("[ (1 + 1) ]")) == "[ «thunk» ]"
    assert show_lazy(ev.eval_string("{ }")) == "{ }"


def test_get_env(monkeypatch):
    monkeypatch.setenv("PYNIX_TEST_VAR", "foo")
    assert ev_print('builtins.getEnv "PYNIX_TEST_VAR" + "bar"') == '"foobar"'
    ev = Evaluator(EvalOptions(pure=True))
    assert ev_print('builtins.getEnv "PYNIX_TEST_VAR"', ev) == '""'


def test_filesystem(tree):
    t = tree
    cases = [
        (f'builtins.readFile "{t}/bar"', '"hello\\n"'),
        (f'builtins.readFile "{t}/linked"', '"hello\\n"'),
        (f'builtins.readDir "{t}"', '{ bar = "regular"; broken = "symlink"; foo = "directory"; '
                                    'ldir = "symlink"; linked = "symlink"; nul = "regular"; }'),
        (f'builtins.readDir "{t}/ldir"', '{ inner = "regular"; }'),
        (f'builtins.readFileType "{t}/bar"', '"regular"'),
        (f'builtins.readFileType "{t}/foo"', '"directory"'),
        (f'builtins.readFileType "{t}/linked"', '"symlink"'),
        (f'builtins.pathExists "{t}/bar"', "true"),
        (f'builtins.pathExists "{t}/bar/"', "false"),
        (f'builtins.pathExists "{t}/bar/."', "false"),
        (f'builtins.pathExists "{t}/foo/"', "true"),
        (f'builtins.pathExists "{t}/ldir/."', "true"),
        (f'builtins.pathExists "{t}/broken"', "true"),
        (f'builtins.pathExists "{t}/nope"', "false"),
        (f'builtins.pathExists "{t}/foo/../bar"', "true"),
        (f'builtins.pathExists (builtins.toPath "{t}/bar")', "true"),
    ]
    for expr, expected in cases:
        assert ev_print(expr) == expected, expr
    assert ev_error(f'builtins.readFile "{t}/nul"').message == (
        f"the contents of the file '{t}/nul' cannot be represented as a Nix string")
    assert ev_error(f'builtins.readDir "{t}/bar"').message == f"'{t}/bar' is not a directory"
    assert ev_error(f'builtins.readDir "{t}/linked"').message == f"'{t}/bar' is not a directory"
    assert ev_error(f'builtins.readFile "{t}/nope"').message == (
        f"opening file '{t}/nope': No such file or directory")


@pytest.fixture
def lookup(tmp_path):
    for d, files in (("dir1", ["a.nix"]), ("dir2", ["a.nix", "b.nix"]), ("dir3", ["a.nix", "c.nix"])):
        (tmp_path / d).mkdir()
        for f in files:
            (tmp_path / d / f).write_text(f'"{d}/{f}"')
    return str(tmp_path)


def test_find_file(lookup):
    t = lookup
    sp = f'[ {{ path = "{t}/dir1"; }} {{ path = {t}/dir2; }} {{ prefix = "d3"; path = "{t}/dir3"; }} ]'
    table = [
        ('"a.nix"', f"{t}/dir1/a.nix"),
        ('"b.nix"', f"{t}/dir2/b.nix"),
        ('"d3/c.nix"', f"{t}/dir3/c.nix"),
        ('"d3"', f"{t}/dir3"),
    ]
    for name, expected in table:
        assert ev_print(f"builtins.findFile {sp} {name}") == expected
    # `<x>` is `__findFile __nixPath "x"`: a local __nixPath rebinds it
    assert ev_print(f'let __nixPath = [ {{ path = "{t}/dir2"; }} ]; in import <a.nix>') == '"dir2/a.nix"'
    assert ev_error(f'builtins.findFile {sp} "c.nix"').message.startswith("file 'c.nix' was not found")


def test_find_file_missing_entry_warns(lookup, capsys):
    t = lookup
    assert ev_print(f'builtins.findFile [ {{ path = "{t}/gone"; }} {{ path = "{t}/dir1"; }} ] "a.nix"') \
        == f"{t}/dir1/a.nix"
    assert capsys.readouterr().err == f"warning: Nix search path entry '{t}/gone' does not exist, ignoring\n"


def test_nix_path(monkeypatch, lookup):
    t = lookup
    monkeypatch.setenv("NIX_PATH", f"{t}/dir3:x={t}/dir2")
    ev = Evaluator(EvalOptions(search_path=[f"{t}/dir1", f"d5={t}/dir3"]))
    got = print_value(ev.deep_force(nix_path_value(ev)))
    assert got == (f'[ {{ path = "{t}/dir1"; prefix = ""; }} {{ path = "{t}/dir3"; prefix = "d5"; }} '
                   f'{{ path = "{t}/dir3"; prefix = ""; }} {{ path = "{t}/dir2"; prefix = "x"; }} ]')
    monkeypatch.setenv("NIX_PATH", "")
    assert nix_path_value(Evaluator()) == []


@pytest.mark.parametrize("text,parts", [
    ("a:b", ["a", "b"]),
    ("nixpkgs=/x:/y", ["nixpkgs=/x", "/y"]),
    ("nixpkgs=https://example.org/a.tar.gz:/y", ["nixpkgs=https://example.org/a.tar.gz", "/y"]),
    ("", []),
    ("a:", ["a"]),
])
def test_parse_nix_path(text, parts):
    assert parse_nix_path(text) == parts


def test_scoped_import(tmp_path):
    (tmp_path / "f.nix").write_text("x + y")
    (tmp_path / "g.nix").write_text("toString 1")
    (tmp_path / "h.nix").write_text("import ./f.nix")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "default.nix").write_text("x * 2")
    t = str(tmp_path)
    assert ev_print(f'builtins.scopedImport {{ x = 1; y = 2; }} "{t}/f.nix"') == "3"
    # the scope shadows builtins
    assert ev_print(f'builtins.scopedImport {{ toString = x: "mine"; }} "{t}/g.nix"') == '"mine"'
    assert ev_print(f'builtins.scopedImport {{ }} "{t}/g.nix"') == '"1"'
    assert ev_print(f'builtins.scopedImport {{ x = 4; }} "{t}/d"') == "8"
    # an overridden import that passes the scope on
    assert ev_print(f'let s = {{ x = 1; y = 1; import = builtins.scopedImport s; }}; '
                    f'in builtins.scopedImport s "{t}/h.nix"') == "2"
    assert ev_error(f'builtins.scopedImport {{ x = 1; }} "{t}/f.nix"').message == "undefined variable 'y'"
