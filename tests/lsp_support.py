"""What the end-to-end language-server tests (tests/test_lsp*.py) share.

Each test module keeps its own module-scoped `client` fixture (pytest-lsp wants
one per module), built from these pieces:

    @pytest_lsp.fixture(scope="module", config=SERVER)
    async def client(lsp_client: LanguageClient):
        INIT.append(await lsp_client.initialize_session(init_params({...}, hover=True)))
        yield
        await lsp_client.shutdown_session()

`init_params` gives the client only the capabilities a module asks for: the
server does different things for some of them (it pulls `workspace/configuration`,
reports work-done progress, answers with versioned `documentChanges`).
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# the real server, over stdio; one process a test module
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "nixlang", "lsp"])

def hermetic_server() -> ClientServerConfig:
    """The real server in a home of its own (a temporary folder, removed at
    exit): no NIX_PATH, nix.conf or channels of the user (so it finds nixpkgs
    only where a test says), the user's cache kept."""
    import atexit
    import os
    import shutil
    import tempfile
    home = tempfile.mkdtemp(prefix="pynix-test-home-")
    atexit.register(shutil.rmtree, home, True)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    env = dict(os.environ, HOME=home, NIX_PATH="", NIX_CONF_DIR=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_CONFIG_DIRS=os.path.join(home, ".config"), XDG_CACHE_HOME=cache)
    env.pop("NIX_CONFIG", None)
    return ClientServerConfig(server_command=SERVER.server_command, server_env=env)


# publishDiagnostics with everything the server can fill in
ALL_DIAGNOSTICS = {
    "related_information": True, "code_description_support": True, "version_support": True,
    "tag_support": types.ClientDiagnosticsTagOptions(
        value_set=[types.DiagnosticTag.Unnecessary, types.DiagnosticTag.Deprecated]),
}


def init_params(initialization_options, *, hover: bool = False, completion_docs: bool = False,
                symbols: bool = False, links: bool = False, diagnostics: dict | None = None,
                configuration: bool = False, document_changes: bool = False, progress: bool = False,
                utf16: bool = True, **text_document) -> types.InitializeParams:
    """The `initialize` request of a client with these capabilities (each off unless asked for):

    hover / completion_docs: Markdown in hovers / in completion item documentation;
    symbols: hierarchical document symbols; links: document link tooltips;
    diagnostics: the PublishDiagnosticsClientCapabilities fields to set (ALL_DIAGNOSTICS for all);
    configuration: `workspace/configuration`; document_changes: versioned documentChanges
    in a WorkspaceEdit; progress: `window.workDoneProgress`; utf16: UTF-16 positions,
    said explicitly; text_document: any further TextDocumentClientCapabilities fields.
    """
    md = [types.MarkupKind.Markdown]
    if hover:
        text_document["hover"] = types.HoverClientCapabilities(content_format=md)
    if completion_docs:
        text_document["completion"] = types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(documentation_format=md))
    if symbols:
        text_document["document_symbol"] = types.DocumentSymbolClientCapabilities(
            hierarchical_document_symbol_support=True)
    if links:
        text_document["document_link"] = types.DocumentLinkClientCapabilities(tooltip_support=True)
    if diagnostics is not None:
        text_document["publish_diagnostics"] = types.PublishDiagnosticsClientCapabilities(**diagnostics)
    workspace = {}
    if configuration:
        workspace["configuration"] = True
    if document_changes:
        workspace["workspace_edit"] = types.WorkspaceEditClientCapabilities(document_changes=True)
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(**text_document) if text_document else None,
        workspace=types.WorkspaceClientCapabilities(**workspace) if workspace else None,
        window=types.WindowClientCapabilities(work_done_progress=True) if progress else None,
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]) if utf16 else None,
    )
    return types.InitializeParams(capabilities=caps, initialization_options=initialization_options)


_n = 0


def open_uri(client: LanguageClient, uri: str, text: str, language_id: str = "nix") -> str:
    """Open `text` as version 1 of `uri` (from the editor: nothing is read from disk)."""
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
    return uri


def open_doc(client: LanguageClient, folder: Path, text: str, name: str = "doc.nix") -> str:
    """Open `text` as a new document `folder/N-name` (N counts up, so every call has its
    own URI and the tests do not see each other); its URI."""
    global _n
    _n += 1
    return open_uri(client, (folder / f"{_n}-{name}").as_uri(), text)


def pos(text: str, marker: str = "$0"):
    """The text without the marker, and the LSP position (UTF-16) of the marker."""
    i = text.index(marker)
    before = text[:i]
    line = before.count("\n")
    col = len(before[before.rfind("\n") + 1:].encode("utf-16-le")) // 2
    return text[:i] + text[i + len(marker):], types.Position(line=line, character=col)


async def until(pred, timeout: float = 120.0, what: str = "condition"):
    """Wait until `pred()` is truthy (polling every 20 ms); its value. The
    default timeout only bounds a failing wait: a loaded machine may need it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        got = pred()
        if got:
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_diagnostics(client: LanguageClient, uri: str, pred=lambda ds: True, timeout: float = 8.0):
    """Wait until the diagnostics published for `uri` satisfy `pred`; those diagnostics."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        ds = client.diagnostics.get(uri)
        if ds is not None and pred(ds):
            return ds
        await asyncio.sleep(0.02)
    raise AssertionError(f"no matching diagnostics for {uri}: {client.diagnostics.get(uri)}")


def assert_no_handler_failed(client: LanguageClient):
    """Handlers never raise, but a caught exception is logged to the client as an error."""
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert errors == []


async def complete_when_ready(client: LanguageClient, uri: str, p, timeout: float = 120.0) -> list[str]:
    """The completion labels at `p`, asking again while the server answers that its
    list is incomplete (module options still being evaluated in the background)."""
    async def ask():
        r = await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p))
        return None if r is None or r.is_incomplete else [i.label for i in r.items]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    got = await ask()
    while got is None and loop.time() < end:
        await asyncio.sleep(0.05)
        got = await ask()
    assert got is not None, "completion stayed incomplete"
    return got
