"""End to end: module options in the real server (`python -m nixlang lsp`, driven by pytest-lsp).

The module set is tests/modules/services (copied to a temporary workspace,
so that a test can change a file and save it): two service modules
(`web`, with an `attrsOf submodule` of virtual hosts; `db`, with a plain
submodule and a freeform one), a configuration that imports them and sets
options through `mkMerge` and `mkIf` (host.nix), and one with mistakes
(broken.nix: a misspelled option, one in a submodule, a type error).
The options come from `lib.evalModules` with nixpkgs' lib of ../shared
(the `modules.lib` setting); without it the module is skipped.

NixOS's options (their evaluation takes minutes here, then is cached on
disk) are in the slow tier, on ../shared's nixpkgs tree.
"""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import SHARED
from lsp_support import (SERVER, assert_no_handler_failed, complete_when_ready, init_params, open_uri, pos,
                         wait_diagnostics)

LIB = SHARED / "nixpkgs-lib" / "lib"
SET = Path(__file__).parent / "modules" / "services"
WORK: Path = Path("/nonexistent")        # set by the `work` fixture

aio = pytest.mark.asyncio(loop_scope="module")
pytestmark = pytest.mark.skipif(not (LIB / "modules.nix").is_file(),
                                reason=f"nixpkgs' lib not found at {LIB} (../shared is absent)")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global WORK
    WORK = tmp_path_factory.mktemp("lsp-options") / "services"
    shutil.copytree(SET, WORK)
    return WORK


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, work):
    params = init_params({"pynix": {"modules": {"lib": str(LIB)}}}, hover=True, completion_docs=True,
                         diagnostics={"version_support": True})
    params.workspace_folders = [types.WorkspaceFolder(uri=work.as_uri(), name="services")]
    params.root_uri = work.as_uri()
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


_opened: dict = {}


def open_file(client: LanguageClient, name: str, marker_text: str | None = None):
    """Open workspace file `name` (its text on disk, or `marker_text`); (uri, text)."""
    uri = (WORK / name).as_uri()
    text = marker_text if marker_text is not None else (WORK / name).read_text()
    if uri in _opened:
        _opened[uri] += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_opened[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    else:
        _opened[uri] = 1
        open_uri(client, uri, text)
    return uri, text


async def labels(client: LanguageClient, uri: str, p) -> list[str]:
    return await complete_when_ready(client, uri, p)


def with_marker(name: str, before: str, insert: str, after: bool = False) -> str:
    """The text of workspace file `name` with `insert` put before (or after) the first `before`."""
    text = (WORK / name).read_text()
    i = text.index(before) + (len(before) if after else 0)
    return text[:i] + insert + text[i:]


# -- completion --------------------------------------------------------------------------------------

CASES = [
    # (what, insert after this text of host.nix, inserted text with $0, expected labels, labels not expected)
    ("a nested set", "services.web = {", "\n        $0", ["enable", "port", "virtualHosts"], ["root", "services"]),
    ("a dotted name", "services.web = {", "\n        virtualHosts.$0", [], ["enable"]),
    ("attrsOf submodule", '"example.org" = {', "\n          $0", ["root", "ssl"], ["enable"]),
    ("through mkMerge", "lib.mkMerge [\n    {", "\n      $0", ["services"], ["imports", "enable"]),
    ("inside mkIf", "(lib.mkIf config.services.web.enable {", "\n      services.db.$0",
     ["enable", "settings", "tuning", "user"], ["port"]),
    ("a plain submodule", "(lib.mkIf config.services.web.enable {", "\n      services.db.tuning.$0",
     ["maxConnections"], ["user"]),
    ("after config.", "(lib.mkIf config.services.web.enable {", "\n      services.db.user = config.services.db.$0",
     ["enable", "settings", "tuning", "user"], ["port", "services"]),
    ("a half-typed name", "(lib.mkIf config.services.web.enable {", "\n      services.web.po$0",
     ["enable", "port", "virtualHosts"], []),
]


@aio
@pytest.mark.parametrize("what,anchor,insert,expected,absent", CASES, ids=[c[0] for c in CASES])
async def test_option_completion(client: LanguageClient, what, anchor, insert, expected, absent):
    text, p = pos(with_marker("host.nix", anchor, insert, after=True))
    uri, _ = open_file(client, "host.nix", text)
    got = await labels(client, uri, p)
    assert set(expected) <= set(got), got
    assert not set(absent) & set(got), got
    if what == "a dotted name":
        assert got == []        # an attrsOf takes any name: nothing to offer
    assert_no_handler_failed(client)


@aio
async def test_no_option_names_in_a_value(client: LanguageClient):
    text, p = pos((WORK / "host.nix").read_text().replace("enable = true;", "enable = t$0;", 1))
    uri, _ = open_file(client, "host.nix", text)
    r = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    got = [i.label for i in r.items]
    assert "virtualHosts" not in got and "true" in got      # the usual expression items


@aio
async def test_completion_items_carry_the_option_docs(client: LanguageClient):
    text, p = pos(with_marker("host.nix", "services.web = {", "\n        $0", after=True))
    uri, _ = open_file(client, "host.nix", text)
    await labels(client, uri, p)
    r = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    port = next(i for i in r.items if i.label == "port")
    assert port.detail.startswith("16 bit unsigned integer")
    doc = port.documentation.value if hasattr(port.documentation, "value") else port.documentation
    assert "Port the web server listens on." in doc and "8080" in doc


# -- hover and definition ------------------------------------------------------------------------------

async def hover_text(client, uri, p) -> str:
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    return h.contents.value if h is not None else ""


@aio
async def test_hover_shows_the_option(client: LanguageClient):
    text, p = pos(with_marker("host.nix", "root = ", "$0"))
    uri, _ = open_file(client, "host.nix", text)
    await labels(client, uri, pos(with_marker("host.nix", "services.web = {", "\n$0", after=True))[1])
    md = await hover_text(client, uri, types.Position(line=p.line, character=p.character + 1))
    assert "services.web.virtualHosts.\"example.org\".root" in md
    assert "**option**" in md and "`string`" in md and "Folder the host serves." in md
    assert "modules/web.nix:20" in md


@aio
async def test_hover_and_definition_of_an_option_read_from_config(client: LanguageClient):
    text, p = pos(with_marker("host.nix", "enable {", "$0"))
    uri, _ = open_file(client, "host.nix", text)
    await labels(client, uri, pos(with_marker("host.nix", "services.web = {", "\n$0", after=True))[1])
    at = types.Position(line=p.line, character=p.character + 2)      # on `enable` of config.services.web.enable
    md = await hover_text(client, uri, at)
    assert md.startswith("`services.web.enable`: **option**") and "Whether to enable the web server." in md
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=at))
    assert [(l.uri, l.range.start.line) for l in locs] == [((WORK / "modules" / "web.nix").as_uri(), 7)]


@aio
async def test_hover_shows_default_and_example(client: LanguageClient):
    uri, text = open_file(client, "broken.nix")
    await wait_diagnostics(client, uri, lambda ds: any("does not exist" in d.message for d in ds), 120)
    line = text[:text.index("port =")].count("\n")
    md = await hover_text(client, uri, types.Position(line=line, character=text.splitlines()[line].index("port") + 1))
    assert "*Default:*" in md and "8080" in md and "*Example:*" in md and "80" in md


@aio
async def test_definition_jumps_to_the_declaration(client: LanguageClient):
    text, p = pos(with_marker("host.nix", "ssl = true", "$0"))
    uri, _ = open_file(client, "host.nix", text)
    await labels(client, uri, pos(with_marker("host.nix", "services.web = {", "\n$0", after=True))[1])
    text, p = pos(with_marker("host.nix", "ssl = true", "$0"))
    open_file(client, "host.nix", text)
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [(l.uri, l.range.start.line) for l in locs] == [((WORK / "modules" / "web.nix").as_uri(), 23)]


# -- diagnostics -----------------------------------------------------------------------------------------

@aio
async def test_undefined_options_and_type_errors(client: LanguageClient):
    uri, text = open_file(client, "broken.nix")
    ds = await wait_diagnostics(client, uri, lambda ds: sum("does not exist" in d.message for d in ds) == 2
                                and any("is not of type" in d.message for d in ds), 120)

    def at(d):
        lines = text.splitlines()
        return lines[d.range.start.line][d.range.start.character:d.range.end.character]
    found = sorted((at(d), d.message.split("\n")[0], d.code) for d in ds if d.code == "E204")
    assert found == [
        ("enabel", "The option `services.web.enabel' does not exist.", "E204"),
        ("port", "A definition for option `services.web.port' is not of type `16 bit unsigned integer; "
                 "between 0 and 65535 (both inclusive)'. Definition values:", "E204"),
        ("rooot", "The option `services.web.virtualHosts.docs.rooot' does not exist.", "E204"),
    ]
    enabel = next(d for d in ds if at(d) == "enabel")
    # the module system's own suggestions (lib/modules.nix, checkUnmatched)
    assert enabel.message.endswith("Did you mean `services.web.enable', `services.web.port' or "
                                   "`services.web.virtualHosts'?")
    rooot = next(d for d in ds if at(d) == "rooot")
    assert "Did you mean `services.web.virtualHosts.docs.root' or" in rooot.message


@aio
async def test_a_correct_configuration_has_no_option_errors(client: LanguageClient):
    uri, text = open_file(client, "host.nix")
    # once options are known (completion is complete), the diagnostics are published again
    await labels(client, uri, pos(with_marker("host.nix", "services.web = {", "\n$0", after=True))[1])
    uri, text = open_file(client, "host.nix")
    ds = await wait_diagnostics(client, uri, lambda ds: True, 30)
    assert [d.message for d in ds if d.code == "E204"] == []
    for name in ("modules/web.nix", "modules/db.nix"):
        u, _ = open_file(client, name)
        ds = await wait_diagnostics(client, u, lambda ds: True, 30)
        assert [d.message for d in ds if d.code == "E204"] == []


@aio
async def test_saving_a_module_refreshes_the_options(client: LanguageClient):
    text, p = pos(with_marker("host.nix", "services.web = {", "\n        $0", after=True))
    uri, _ = open_file(client, "host.nix", text)
    assert "workers" not in await labels(client, uri, p)
    web = WORK / "modules" / "web.nix"
    web.write_text(web.read_text().replace(
        "    port = lib.mkOption {",
        "    workers = lib.mkOption { type = lib.types.int; default = 4; description = \"Workers.\"; };\n\n"
        "    port = lib.mkOption {"))
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=web.as_uri())))

    async def has_workers():
        return "workers" in await labels(client, uri, p)
    loop = asyncio.get_running_loop()
    end = loop.time() + 120
    while loop.time() < end and not await has_workers():
        await asyncio.sleep(0.1)
    assert await has_workers()


@aio
async def test_nixpkgs_lib_files_get_no_option_diagnostics(client: LanguageClient):
    for name in ("modules.nix", "options.nix", "types.nix", "attrsets.nix"):
        uri = open_uri(client, (LIB / name).as_uri(), (LIB / name).read_text())
        ds = await wait_diagnostics(client, uri, lambda ds: True, 60)
        assert [d.message for d in ds if d.code == "E204"] == [], name
    assert_no_handler_failed(client)
