"""Navigation and docs across nixpkgs' lib, end to end: the real server on ../shared/nixpkgs-lib.

lib/default.nix builds lib as a fixed point (`makeExtensible' (self: ...)`),
reads each file with `callLibs = file: import file { lib = self; }`, and
re-exports with `inherit (self.lists) foldl' ...`; each file is `{ lib }:`.
The server follows all of it: definitions land on the real definition (in
the other file, not on an `inherit` line), hovers show its `/** */` doc,
`lib.` completes in the files that get `lib`, references cross files.
Expected places are found in the files themselves (a line that starts the
definition), so another revision of nixpkgs' lib passes as well.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import SHARED
from lsp_support import assert_no_handler_failed, hermetic_server, init_params, open_uri, wait_diagnostics

LIB = SHARED / "nixpkgs-lib" / "lib"
pytestmark = pytest.mark.skipif(not LIB.is_dir(), reason=f"{LIB} (nixpkgs' lib) is missing")
aio = pytest.mark.asyncio(loop_scope="module")
OPEN: dict = {}


@pytest_lsp.fixture(scope="module", config=hermetic_server())
async def client(lsp_client: LanguageClient):
    params = init_params({"pynix": {"evaluation": {"enable": False}}}, hover=True, completion_docs=True)
    params.workspace_folders = [types.WorkspaceFolder(uri=LIB.parent.as_uri(), name="nixpkgs-lib")]
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def opened(client: LanguageClient, rel: str) -> tuple[str, str]:
    if rel not in OPEN:
        text = (LIB / rel).read_text()
        OPEN[rel] = (open_uri(client, (LIB / rel).as_uri(), text), text)
    return OPEN[rel]


def position(text: str, pattern: str) -> types.Position:
    """The position of the group `x` of the regular expression `pattern` (its first match)."""
    i = re.search(pattern, text, re.M).start("x")
    return types.Position(line=text.count("\n", 0, i), character=i - (text.rfind("\n", 0, i) + 1))


def definition_line(rel: str, name: str) -> int:
    """1-based line where `name = ...` starts at the top level of a lib file (two spaces in)."""
    lines = (LIB / rel).read_text().split("\n")
    return next(i + 1 for i, l in enumerate(lines) if re.match(rf"  {re.escape(name)} =", l))


# (file, where the cursor is: group x of a pattern, the file and name defined there, a fragment of the hover)
CASES = [
    # `inherit (self.lists) ... foldl' ...;` in default.nix: the doc, not only "inherited from"
    ("default.nix", r"^\s+(?P<x>foldl')$", "lists.nix", "foldl'", "Reduce a list by applying a binary operator"),
    ("default.nix", r"^\s+(?P<x>mapAttrs)$", "attrsets.nix", "mapAttrs", "Apply a function to each element"),
    # modules.nix's `{ lib }` comes from default.nix's callLibs
    ("modules.nix", r"^\s+(?P<x>foldl')$", "lists.nix", "foldl'", "Reduce a list"),
    ("modules.nix", r"inherit \(lib\.options\)\s+isOption\s+(?P<x>mkOption)", "options.nix", "mkOption",
     "Creates an Option declaration"),
    ("modules.nix", r"= (?P<x>mkOption) \{", "options.nix", "mkOption", "Creates an Option declaration"),
    ("modules.nix", r"lib\.strings\.(?P<x>escapeNixIdentifier)", "strings.nix", "escapeNixIdentifier",
     "Quotes a string"),
    ("options.nix", r"lib\.(?P<x>mkOption)\b", "options.nix", "mkOption", "Creates an Option declaration"),
]


@aio
@pytest.mark.parametrize("rel,pattern,target,name,fragment", CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES])
async def test_definition_and_doc_across_lib(client: LanguageClient, rel, pattern, target, name, fragment):
    if not re.search(pattern, (LIB / rel).read_text(), re.M):
        pytest.skip(f"this revision of nixpkgs' lib has no {pattern!r} in {rel}")
    uri, text = opened(client, rel)
    p = position(text, pattern)
    got = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [(Path(l.uri.removeprefix("file://")).name, l.range.start.line + 1) for l in got or []] == \
        [(target, definition_line(target, name))]
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert h is not None and fragment in h.contents.value


@aio
async def test_lib_completion_in_a_module_of_the_tests(client: LanguageClient):
    """A `{ lib, ... }:` module nobody imports by path: `lib` is the workspace's lib."""
    path = LIB / "tests" / "modules" / "declare-enable.nix"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    text = "{ lib, ... }:\n{\n  options.x = lib.;\n}\n"
    uri = open_uri(client, path.as_uri(), text)
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=18)))
    items = {i.label: i for i in (got.items if got else [])}
    assert {"mkOption", "mkIf", "foldl'", "mapAttrs", "strings", "types"} <= set(items)
    docs = items["mkOption"].documentation
    assert docs is not None and "Creates an Option declaration" in getattr(docs, "value", docs)


@aio
async def test_references_of_foldl_cross_files(client: LanguageClient):
    uri, text = opened(client, "lists.nix")
    got = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, r"^  (?P<x>foldl') =$"),
        context=types.ReferenceContext(include_declaration=True)))
    files = {Path(l.uri.removeprefix("file://")).name for l in got or []}
    assert {"lists.nix", "default.nix", "modules.nix", "attrsets.nix"} <= files


@aio
@pytest.mark.parametrize("rel", ["default.nix", "modules.nix", "lists.nix", "options.nix", "strings.nix"])
async def test_no_false_diagnostics(client: LanguageClient, rel):
    uri, _ = opened(client, rel)
    ds = await wait_diagnostics(client, uri, timeout=60)
    assert [d.message for d in ds if d.severity == types.DiagnosticSeverity.Error] == []
    assert_no_handler_failed(client)
