"""Flake input navigation end to end: the real `python -m nixlang lsp` process.

The documents are real flake.nix / flake.lock pairs from
../shared/flake-examples (copied to a temporary folder, so the server finds
the lock beside the flake on disk), plus a small made-up flake for the
diagnostics. `nixlang/ide` unit tests (tests/test_ide_flakes.py) cover the
details; these check that every flake feature reaches an editor.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import SHARED
from lsp_support import SERVER, init_params, open_uri, wait_diagnostics

EXAMPLES = SHARED / "flake-examples"
NIL = EXAMPLES / "nil-test-flake"
REV = "5ed481943351e9fd354aeb557679624224de38d5"

pytestmark = pytest.mark.skipif(not NIL.is_dir(), reason="../shared/flake-examples is not beside the clone")
aio = pytest.mark.asyncio(loop_scope="module")

WORK: Path = Path("/nonexistent")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global WORK
    WORK = tmp_path_factory.mktemp("flakes")
    if NIL.is_dir():
        shutil.copytree(NIL, WORK / "nil")
    made_up = WORK / "made-up"
    made_up.mkdir()
    lock = json.loads((NIL / "flake.lock").read_text())
    (made_up / "flake.lock").write_text(json.dumps(lock, indent=2))
    return WORK


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    params = init_params({"pynix": {"evaluation": {"enable": False}}}, hover=True, completion_docs=True,
                         links=True, diagnostics={"version_support": True}, utf16=False)
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def open_file(client: LanguageClient, path: Path, text: str | None = None) -> tuple[str, str]:
    text = path.read_text() if text is None else text
    return open_uri(client, path.as_uri(), text, "json" if path.name == "flake.lock" else "nix"), text


def position(text: str, needle: str, delta: int = 0) -> types.Position:
    i = text.index(needle) + delta
    line = text.count("\n", 0, i)
    return types.Position(line=line, character=i - (text.rfind("\n", 0, i) + 1))


@aio
async def test_real_flake_has_no_diagnostics(client: LanguageClient):
    uri, _ = open_file(client, WORK / "nil" / "flake.nix")
    assert list(await wait_diagnostics(client, uri)) == []


@aio
@pytest.mark.parametrize("needle, delta, fragments", [
    ("nixpkgs.url", 0, ["lock node `nixpkgs`", "NixOS/nixpkgs", REV, "narHash", "/nix/store/"]),
    ("nix = {", 0, ["lock node `nix`", "(not a flake)", "2.13.3"]),
    ("{ nixpkgs, ... }", 2, ["flake input `nixpkgs`", REV]),
])
async def test_hover_shows_the_pin(client: LanguageClient, needle, delta, fragments):
    uri, text = open_file(client, WORK / "nil" / "flake.nix")
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, needle, delta)))
    assert h is not None
    for f in fragments:
        assert f in h.contents.value, (f, h.contents.value)


@aio
async def test_definition_goes_to_the_lock_node(client: LanguageClient):
    uri, text = open_file(client, WORK / "nil" / "flake.nix")
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, "{ nixpkgs, ... }", 2)))
    assert locs, "a definition"
    loc = locs[0]
    assert loc.uri == (WORK / "nil" / "flake.lock").as_uri()
    lock_lines = (WORK / "nil" / "flake.lock").read_text().splitlines()
    assert '"nixpkgs"' in lock_lines[loc.range.start.line]


@aio
async def test_document_links_are_pinned_at_the_locked_rev(client: LanguageClient):
    uri, _ = open_file(client, WORK / "nil" / "flake.nix")
    links = await client.text_document_document_link_async(types.DocumentLinkParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    targets = [l.target for l in links or []]
    assert f"https://github.com/NixOS/nixpkgs/tree/{REV}" in targets, targets


@aio
async def test_hover_in_the_lock_names_the_input(client: LanguageClient):
    uri, text = open_file(client, WORK / "nil" / "flake.lock")
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, '"nixpkgs": {', 2)))
    assert h is not None and "nixpkgs" in h.contents.value


@aio
async def test_flake_diagnostics_for_a_stale_lock_and_non_literal_inputs(client: LanguageClient):
    flake = WORK / "made-up" / "flake.nix"
    text = ('{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";\n'
            '  inputs.extra.url = "github:numtide/flake-utils";\n'
            '  inputs.nix = { flake = false; url = "github:NixOS/nix/" + "2.13.3"; };\n'
            '  outputs = { self, nixpkgs, ... }: { };\n}\n')
    flake.write_text(text)
    uri, _ = open_file(client, flake, text)
    codes = {d.code for d in await wait_diagnostics(client, uri)}
    assert {"F001", "F002", "F003"} <= codes, codes


@aio
async def test_completion_of_input_names_in_outputs(client: LanguageClient):
    flake = WORK / "made-up" / "flake.nix"
    text = ('{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/' + REV + '";\n'
            '  inputs.nix = { url = "github:NixOS/nix/2.13.3"; flake = false; };\n'
            '  outputs = { self, n }: { };\n}\n')
    uri, _ = open_file(client, flake, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, "n }", 1)))
    items = result.items if isinstance(result, types.CompletionList) else result
    labels = {i.label for i in items or []}
    assert {"nixpkgs", "nix"} <= labels, labels
