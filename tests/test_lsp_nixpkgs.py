"""`lib.` and `pkgs.` in any file, end to end, with a nixpkgs tree (the shared one; skipped without it).

The server is given the tree by the `nixpkgs` setting (it runs in a home of
its own, so nothing else is found). A module-like file in a workspace of
its own (nobody calls it) gets nixpkgs' lib for its `lib`, and `pkgs.`
completes the top-level package names, computed by a background worker
(the first answers are incomplete, never late).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import shared_nixpkgs
from lsp_support import assert_no_handler_failed, hermetic_server, init_params, open_uri, pos

aio = pytest.mark.asyncio(loop_scope="module")
WORK: Path = Path("/nonexistent")
TREE: Path = Path("/nonexistent")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global WORK, TREE
    TREE = shared_nixpkgs()            # skips the module when there is no tree
    WORK = tmp_path_factory.mktemp("nixpkgs-user")
    return WORK


@pytest_lsp.fixture(scope="module", config=hermetic_server())
async def client(lsp_client: LanguageClient):
    params = init_params({"pynix": {"nixpkgs": str(TREE), "evaluation": {"enable": False}}}, hover=True,
                         completion_docs=True)
    params.workspace_folders = [types.WorkspaceFolder(uri=WORK.as_uri(), name="work")]
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


MODULE = "{ config, pkgs, lib, ... }:\n{\n  environment.systemPackages = [ pkgs.hel$0 ];\n}\n"


async def complete(client: LanguageClient, uri: str, p):
    return await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))


async def names_once_known(client: LanguageClient, uri: str, p) -> list[str]:
    """Completion asked again (as an editor does while the list is incomplete)
    until the package names are known: the labels then."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 600                  # bounds a failure only: the names take seconds
    while True:
        got = await complete(client, uri, p)
        labels = [i.label for i in got.items]
        if "hello" in labels or loop.time() > end:
            return labels
        assert got.is_incomplete             # still computing: the editor asks again as the user types
        await asyncio.sleep(0.2)


@aio
async def test_pkgs_completion_comes_from_the_background(client: LanguageClient):
    text, p = pos(MODULE)
    uri = open_uri(client, (WORK / "configuration.nix").as_uri(), text)
    got = await names_once_known(client, uri, p)
    assert "hello" in got and all(n.lower().startswith("hel") for n in got)
    assert_no_handler_failed(client)


@aio
@pytest.mark.parametrize("text", ["let np = import <nixpkgs> { }; in np.hel$0",
                                  "{ pkgs ? import <nixpkgs> { } }: pkgs.hel$0"],
                         ids=["import <nixpkgs>", "pkgs ? import <nixpkgs>"])
async def test_pkgs_completion_of_import_nixpkgs(client: LanguageClient, text):
    text, p = pos(text)
    uri = open_uri(client, (WORK / f"np-{len(text)}.nix").as_uri(), text)
    assert "hello" in await names_once_known(client, uri, p)


# (text with the cursor, names offered)
LIB_COMPLETIONS = [
    ("{ lib, ... }:\n{\n  options.x = lib.$0\n}\n", {"mkOption", "mkIf", "mkEnableOption", "types", "foldl'"}),
    ("{ lib, ... }:\n{\n  options.x = lib.types.$0\n}\n", {"str", "bool", "listOf", "submodule"}),
    ("{ stdenv, lib }:\nstdenv.mkDerivation { meta.license = lib.licenses.$0; }\n", {"mit", "gpl3Only"}),
]


@aio
@pytest.mark.parametrize("text,expected", LIB_COMPLETIONS, ids=["lib", "lib.types", "lib.licenses"])
async def test_lib_completion_from_nixpkgs(client: LanguageClient, text, expected):
    text, p = pos(text)
    uri = open_uri(client, (WORK / f"lib-{len(text)}.nix").as_uri(), text)
    got = await complete(client, uri, p)
    assert expected <= {i.label for i in got.items}


@aio
async def test_lib_definition_and_doc_from_nixpkgs(client: LanguageClient):
    text, p = pos("{ lib, ... }:\n{\n  options.enable = lib.mkEnable$0Option \"x\";\n}\n")
    uri = open_uri(client, (WORK / "enable.nix").as_uri(), text)
    got = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [Path(l.uri.removeprefix("file://")) for l in got or []] == [TREE / "lib" / "options.nix"]
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert h is not None and "options.nix" in h.contents.value
