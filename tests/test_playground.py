"""The playground's Python side, without a browser (the page itself:
tests/test_playground_browser.py).

`nixlang.playground.session` is what the browser's worker calls; here it
runs in CPython and must say what the CLI says: the value `pynix eval`
prints, the error with its code and the catalogue's entry, the REPL's
`:trace`, `--parse`'s line. It must also be safe to import where Pyodide
runs it: no thread, process or resource limit on its code paths. And the
build's pieces: wheels, lessons, the static server, the command line.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from nixlang import cli
from nixlang.errors.catalogue import explanation
from nixlang.playground import server, session, site, wheels
from nixlang.repl import Repl

# the lessons the playground offers: those that need no nixpkgs
LESSONS = [p for p in sorted((ROOT / "examples" / "lessons").glob("[0-9][0-9]-*.nix"))
           if "<nixpkgs" not in p.read_text(encoding="utf-8")]


def pynix_eval(text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["eval", "-E", text], out, err)
    return code, out.getvalue(), err.getvalue()


# -- evaluate: what `pynix eval` prints --------------------------------------------------------

VALUES = [
    "1 + 2",
    '{ b = "x${toString 3}"; a = [ 1 2.5 null true ]; }',
    "let f = { a ? 1, b }: a + b; in f { b = 2; }",
    "{ a ? 40 }: a + 2",                              # a function is called with its defaults
    'builtins.toJSON { x = [ 1 "two" ]; }',
    "let xs = [ 1 2 3 ]; in { inherit xs; ys = xs; }",   # «repeated» as Nix prints it
    'derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; }',
    "x: x",
]


@pytest.mark.parametrize("text", VALUES)
def test_a_value_is_printed_as_pynix_eval_prints_it(text):
    code, out, err = pynix_eval(text)
    assert code == 0, err
    r = session.evaluate(text)
    assert r["ok"] and r["error"] is None and r["code"] is None
    assert r["value"] + "\n" == out


ERRORS = [
    ('throw "no"', "E204"),
    ("1 + \"a\"", "E200"),
    ("let x = 1; in x.y", "E201"),
    ("{ a = 1; }.b", "E202"),
    ("assert 1 == 2; 3", "E206"),
    ("1 / 0", "E207"),
    ("let x = y; in x", "E013"),
    ("{ a = 1", "E001"),
    ("let f = n: f (n + 1); in f 0", "E210"),
    ("let a = a; in a", "E203"),
]


@pytest.mark.parametrize("text,code", ERRORS)
def test_an_error_has_its_code_hint_and_explanation(text, code):
    status, _out, err = pynix_eval(text)
    assert status == 1
    r = session.evaluate(text)
    assert not r["ok"] and r["value"] is None
    assert r["code"] == code
    # the friendly text `pynix eval` prints (Nix's message, the code, the hint)
    assert r["error"] + "\n" == err
    assert r["hint"] and r["hint"] in r["error"]
    e = explanation(code)
    assert r["explanation"]["title"] == e.title and r["explanation"]["text"] == e.text
    assert r["explanation"]["broken"] == e.broken and r["explanation"]["fixed"] == e.fixed


@pytest.mark.parametrize("text", ['builtins.fetchurl "https://example.com/a.txt"', 'fetchTarball "https://x.org/y.tgz"',
                                  'import (builtins.fetchGit { url = "https://github.com/NixOS/nix"; })'])
def test_network_builtins_say_the_playground_is_offline(text, monkeypatch):
    import socket

    def no_socket(*a, **k):
        raise AssertionError("the playground must never open a socket")
    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "getaddrinfo", no_socket)
    r = session.evaluate(text)
    assert not r["ok"] and r["code"] == "E220"
    assert "needs the network, which the playground does not use" in r["error"]
    assert r["hint"].startswith("this needs the network")


def test_trace_output_is_what_the_warning_log_gets():
    r = session.evaluate('builtins.trace "hello" 1')
    assert r["ok"] and r["value"] == "1" and r["log"] == "trace: hello\n"


TWO_DRVS = """let
  a = derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; args = [ "-c" "echo > $out" ]; };
in { inherit a; b = derivation { name = "b"; builder = "/bin/sh"; system = "x86_64-linux"; src = a; }; }"""


def test_the_derivations_an_evaluation_wrote_come_with_json_and_aterm():
    r = session.evaluate(TWO_DRVS)
    assert r["ok"] and [d["name"] for d in r["derivations"]] == ["a", "b"]
    # the same as `pynix derivation show`, which has its own tests against Nix
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(["derivation", "show", "-E", TWO_DRVS], out, err) == 0, err.getvalue()
    shown = json.loads(out.getvalue())
    for d in r["derivations"]:
        assert d["path"].startswith("/nix/store/") and d["path"].endswith(f"-{d['name']}.drv")
        assert shown[d["path"].rsplit("/", 1)[1]] == d["json"]
        assert d["aterm"].startswith('Derive([("out","' + d["outputs"]["out"] + '"')
    # a lesson's: the ones its value only mentions count too
    lesson = ROOT / "examples" / "lessons" / "08-derivations-and-the-store.nix"
    r = session.evaluate(lesson.read_text(), str(lesson))
    assert r["ok"] and [d["name"] for d in r["derivations"]] == ["greeting", "shout"]


def test_an_interruption_is_reported_and_the_session_goes_on():
    # Pyodide's interrupt buffer raises KeyboardInterrupt in the running code,
    # as _thread.interrupt_main does here
    # (interrupt_main does nothing when SIGINT is ignored, as it is in a
    # command started in the background by a non-interactive shell: the
    # fast suite hung here, run so; Python's own handler is put in place)
    import _thread
    import signal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        r = session.evaluate("let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 60")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not r["ok"] and r["interrupted"] and r["error"] == session.INTERRUPTED
    assert session.evaluate("1 + 1")["value"] == "2"


def test_an_internal_error_is_a_message_not_a_traceback(monkeypatch):
    import nixlang.runtime.printer as printer

    def broken(*a, **k):
        raise ZeroDivisionError("a pynix bug")
    monkeypatch.setattr(printer, "print_value", broken)
    r = session.evaluate("1")
    assert not r["ok"] and r["error"].startswith("error: internal pynix error") and "a pynix bug" in r["error"]


# -- diagnostics, trace, tree -----------------------------------------------------------------

DIAGNOSTICS = [
    ("let x = 1; in y", {"E013", "W001"}),
    ("{ a = 1", {"E001"}),
    ("let in 1", {"W005"}),
    ("rec { a = 1; }", {"W004"}),
    ("1 + 1", set()),
]


@pytest.mark.parametrize("text,codes", DIAGNOSTICS)
def test_diagnostics_carry_codes_titles_and_hints(text, codes):
    found = session.diagnostics(text)
    assert {d["code"] for d in found} == codes
    for d in found:
        assert d["title"] == explanation(d["code"]).title
        assert 0 <= d["from"] <= d["to"] <= len(text)


def test_offsets_count_utf16_code_units_as_javascript_does():
    # "😀" is one code point but two UTF-16 units: the undefined name after it
    text = 'let s = "😀"; in s + y'
    (d,) = [d for d in session.diagnostics(text) if d["code"] == "E013"]
    js = text.encode("utf-16-le")
    assert js[2 * d["from"]:2 * d["to"]].decode("utf-16-le") == "y"


@pytest.mark.parametrize("text", ["let a = 1 + 1; b = throw \"no\"; in a * 2",
                                  "let xs = [ 1 (throw \"x\") ]; in builtins.length xs"])
def test_trace_is_the_repls(text):
    assert session.trace(text) == Repl().trace(text)
    assert "never forced" in session.trace(text)


def test_the_syntax_tree_has_the_parse_line_and_ranges():
    text = "{ a = 1; b = x: x + 1; }"
    t = session.syntax_tree(text)
    assert t["ok"] and t["parse"] == "{ a = 1; b = (x: (x + 1)); }"
    tree = t["tree"]
    assert tree["type"] == "Attrs" and [c["field"] for c in tree["children"]] == ["attrs.a", "attrs.b"]
    lam = tree["children"][1]["children"][0]
    assert lam["type"] == "Lambda" and text[lam["from"]:lam["to"]] == "x: x + 1"
    bad = session.syntax_tree("{ a = ")
    assert not bad["ok"] and bad["code"] == "E001" and "unexpected end of file" in bad["error"]


def test_call_dispatches_by_name_and_answers_json():
    assert json.loads(session.call("evaluate", json.dumps(["2 * 21"])))["value"] == "42"
    assert json.loads(session.call("explain", json.dumps(["E204"])))["code"] == "E204"
    assert not json.loads(session.call("open", json.dumps(["/etc/passwd"])))["ok"]


# -- lessons ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_is_listed_with_its_title_exercise_and_value(lesson):
    info = site.lesson_info(lesson.name, lesson.read_text())
    first = lesson.read_text().splitlines()[0]
    assert first == f"# {info['title']}" and info["title"].startswith("Lesson ")
    assert info["expected"] == lesson.read_text().rstrip("\n").splitlines()[-1][len("# => "):]
    if "# Try:" in lesson.read_text():
        assert info["exercise"] and not info["exercise"].startswith("Try")
    # and it runs in the playground to that very value, its imports resolved beside it
    r = session.evaluate(lesson.read_text(), str(lesson))
    assert r["ok"], r["error"]
    assert r["value"] == info["expected"]


def test_the_lessons_data_holds_the_files_lessons_import():
    data = site.lessons_data(ROOT / "examples" / "lessons")
    assert [l["file"] for l in data["lessons"]] == [p.name for p in LESSONS]
    assert "lib/greet.nix" in data["files"] and "06-imports.nix" in data["files"]


def test_lessons_that_need_nixpkgs_are_left_out():
    every = sorted((ROOT / "examples" / "lessons").glob("[0-9][0-9]-*.nix"))
    left_out = [p.name for p in every if p not in LESSONS]
    assert left_out and all(site.needs_nixpkgs(p.read_text()) for p in every if p.name in left_out)
    data = site.lessons_data(ROOT / "examples" / "lessons")
    assert not set(left_out) & {l["file"] for l in data["lessons"]}


def test_prepare_writes_the_tables_and_lesson_files(tmp_path, monkeypatch):
    monkeypatch.setattr(session, "LESSONS_DIR", str(tmp_path / "lessons"))
    monkeypatch.setattr(session, "PLAYGROUND_DIR", str(tmp_path / "playground"))
    table = tmp_path / "tables.pickle"
    monkeypatch.setattr("nixlang.syntax.parser.tables_cache_file", lambda: str(table))
    limit = sys.getrecursionlimit()
    try:
        session.prepare(b"tables", json.dumps({"lib/a.nix": "1", "b.nix": "2"}))
        assert sys.getrecursionlimit() == session.RECURSION_LIMIT
    finally:
        sys.setrecursionlimit(limit)
    assert table.read_bytes() == b"tables"
    assert (tmp_path / "lessons" / "lib" / "a.nix").read_text() == "1"
    assert (tmp_path / "playground").is_dir()


# -- what Pyodide can run ------------------------------------------------------------------------

SAFE = r"""
import os, sys, threading, subprocess
def refuse(what):
    def f(*a, **k):
        raise AssertionError(f"the playground's code path used {what}")
    return f
threading.Thread.start = refuse("a thread")
subprocess.Popen.__init__ = refuse("a process")
os.fork = refuse("fork")
sys.modules["resource"] = None          # Pyodide has no resource limits
import signal
signal.signal = refuse("a signal handler")
from nixlang.playground import session
import json, pathlib
root = pathlib.Path(sys.argv[1])
for lesson in sorted(root.glob("[0-9][0-9]-*.nix")):
    text = lesson.read_text()
    if "<nixpkgs" in text:
        continue            # not offered in the playground (no nixpkgs there)
    assert session.evaluate(text, str(lesson))["ok"], lesson
    session.diagnostics(text, str(lesson))
    session.trace(text, str(root))
    session.syntax_tree(text)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("nixlang"))))
"""


def test_the_worker_code_paths_start_no_thread_process_or_limit():
    p = subprocess.run([sys.executable, "-c", SAFE, str(ROOT / "examples" / "lessons")], capture_output=True,
                       text=True, timeout=600, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stderr[-3000:]
    used = json.loads(p.stdout)
    assert "nixlang.cli" not in used and "lsp" not in used


def test_the_memory_guard_degrades_without_proc_and_resource(monkeypatch):
    from nixlang.runtime import memory_guard
    monkeypatch.setitem(sys.modules, "resource", None)
    real_open = open

    def no_proc(path, *a, **k):
        if str(path).startswith("/proc/"):
            raise FileNotFoundError(path)
        return real_open(path, *a, **k)
    monkeypatch.setattr("builtins.open", no_proc)
    assert memory_guard.data_in_use() == 0
    assert memory_guard.install_guard(1 << 30) is None
    assert memory_guard.headroom() is None or memory_guard.headroom() > 0


# -- the build's pieces ------------------------------------------------------------------------

def test_the_pynix_wheel_holds_the_package_and_grammar_not_the_web_sources(tmp_path):
    files = wheels.pynix_files()
    assert "nixlang/playground/session.py" in files and "nixlang/evaluator.py" in files
    assert files["nixlang/grammar/nix.lark"] == (ROOT / "grammar" / "nix.lark").read_bytes()
    assert not [f for f in files if "/web/" in f or "__pycache__" in f]
    whl = wheels.pynix_wheel(tmp_path, files)
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        record = z.read("pynix-0.1.0.dist-info/RECORD").decode()
    assert whl.name == "pynix-0.1.0-py3-none-any.whl"
    assert "pynix-0.1.0.dist-info/WHEEL" in names and "nixlang/cli.py" in names
    assert all(n in record for n in names)
    # the same files make the same wheel
    again = wheels.pynix_wheel(tmp_path / "again", files)
    assert again.read_bytes() == whl.read_bytes()


def test_the_lark_wheel_is_repacked_from_the_installed_files(tmp_path):
    import lark
    whl = wheels.installed_wheel(tmp_path, "lark")
    assert whl.name == f"lark-{lark.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        assert z.read("lark/__init__.py") == Path(lark.__file__).read_bytes()
    assert not [n for n in names if n.endswith(".pyc")]


def test_a_missing_npm_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # no npm, no node
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(["playground", "build", str(tmp_path / "site")], out, err) == 1
    assert err.getvalue().startswith("error: npm was not found") and "apt-get install npm" in err.getvalue()
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("argv,message", [
    (["playground"], None),
    (["playground", "launch"], "'launch' is not a subcommand"),
    (["playground", "build"], "give the folder"),
    (["playground", "serve", "--port", "eighty"], "--port wants a port number"),
    (["playground", "build", "a", "b"], "give one folder"),
    (["playground", "serve", "--lessons", "x"], "unrecognised flag '--lessons'"),
])
def test_the_command_line_explains_its_mistakes(argv, message):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(argv, out, err)
    assert code == 1
    if message is None:
        assert "pynix playground build DIR" in out.getvalue()
    else:
        assert message in err.getvalue()


def test_serve_refuses_a_folder_that_is_not_a_site(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(["playground", "serve", "--port", "0", str(tmp_path)], out, err) == 1
    assert "is not a playground site" in err.getvalue() and "pynix playground build" in err.getvalue()


def test_the_server_sends_isolation_headers_and_types(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "a.mjs").write_text("export {}")
    (tmp_path / "b.wasm").write_bytes(b"\0asm")
    srv = server.make_server(tmp_path, 0, quiet=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        url = server.url_of(srv)
        assert url.startswith("http://localhost:")
        for name, ctype in [("", "text/html"), ("a.mjs", "text/javascript"), ("b.wasm", "application/wasm")]:
            for accept in ("identity", "gzip, deflate"):
                req = urllib.request.Request(url.replace("localhost", "127.0.0.1") + name,
                                             headers={"Accept-Encoding": accept})
                with urllib.request.urlopen(req, timeout=30) as r:
                    body = r.read()
                    assert r.headers["Content-Type"].startswith(ctype)
                    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
                    assert r.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
                    if accept == "gzip, deflate" and name:
                        assert r.headers["Content-Encoding"] == "gzip"
                        body = gzip.decompress(body)
                assert body == (tmp_path / (name or "index.html")).read_bytes()
    finally:
        srv.shutdown()
        srv.server_close()
