"""End to end: the real `python -m nixlang lsp` process, driven over stdio by pytest-lsp.

One server process serves the whole module (start-up is the slow part);
each test opens its own document URI, so the tests do not see each other.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.convert import LineIndex, apply_change
from lsp_support import (ALL_DIAGNOSTICS, SERVER, assert_no_handler_failed, init_params, open_doc, pos,
                         wait_diagnostics)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES: Path = Path("/nonexistent")     # set by the `work` fixture: a temporary folder

aio = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    """A folder for the documents (they are opened from the editor, not read from
    disk) and for the files they import."""
    global FIXTURES
    FIXTURES = tmp_path_factory.mktemp("lsp")
    (FIXTURES / "lib.nix").write_text("{ double = x: x * 2; }\n")
    return FIXTURES


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    params = init_params({"evaluation": {"delay": 0.0, "timeout": 5}}, hover=True, completion_docs=True,
                         symbols=True, diagnostics=ALL_DIAGNOSTICS, configuration=True)
    INIT.append(await lsp_client.initialize_session(params))
    yield
    await lsp_client.shutdown_session()


INIT: list = []      # the InitializeResult


@aio
async def test_initialize_capabilities(client: LanguageClient):
    caps = INIT[-1].capabilities
    assert INIT[-1].server_info.name == "pynix"
    assert caps.hover_provider
    assert caps.definition_provider
    assert caps.references_provider
    assert caps.document_symbol_provider
    assert caps.folding_range_provider
    assert caps.completion_provider is not None and "." in caps.completion_provider.trigger_characters
    sync = caps.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close
    assert caps.position_encoding in (None, types.PositionEncodingKind.Utf16)


@aio
async def test_diagnostics_for_a_broken_file(client: LanguageClient):
    text = "let\n  a = 1\n  b = 2;\n  pkgs = 3;\nin a + pkgz + c\n"
    uri = open_doc(client, FIXTURES, text)
    ds = await wait_diagnostics(client, uri, lambda ds: len(ds) >= 3)
    by_code = {d.code: d for d in ds}
    assert set(by_code) >= {"E001", "E013"}
    syntax = by_code["E001"]
    assert syntax.source == "pynix"
    assert syntax.severity == types.DiagnosticSeverity.Error
    assert syntax.range.start == types.Position(line=2, character=4)   # the '=' after b
    assert "expecting ';'" in syntax.message
    undefined = [d for d in ds if d.code == "E013"]
    assert sorted(d.range.start.character for d in undefined) == [7, 14]
    pkgz = next(d for d in undefined if d.range.start.character == 7)
    assert "Did you mean 'pkgs'?" in pkgz.message
    for d in ds:
        assert d.related_information, d
        assert any(d.code in r.message for r in d.related_information)


@aio
async def test_lint_diagnostics_are_tagged(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "let unused = 1; in with { }; rec { a = 1; }\n")
    ds = await wait_diagnostics(client, uri, lambda ds: len(ds) >= 3)
    codes = {d.code for d in ds}
    assert {"W001", "W003", "W004"} <= codes
    unused = next(d for d in ds if d.code == "W001")
    assert list(unused.tags) == [types.DiagnosticTag.Unnecessary]
    assert unused.severity == types.DiagnosticSeverity.Warning


@aio
async def test_incremental_and_full_changes(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "let a = 1; in a\n")
    await wait_diagnostics(client, uri, lambda ds: len(ds) == 0)
    # incremental: replace `a` in the body by `é + b` (a non-ASCII name would be invalid; use a string)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=14),
                              end=types.Position(line=0, character=15)),
            text='"é😀" + b')]))
    ds = await wait_diagnostics(client, uri, lambda ds: any(d.code == "E013" for d in ds))
    b = next(d for d in ds if d.code == "E013")
    # UTF-16 columns: `let a = 1; in "é😀" + b` -> the b is at code unit 14 + 5 + 3 = 22
    assert b.range.start == types.Position(line=0, character=22)
    # full: a whole new text
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="{ x = 1; }\n")]))
    await wait_diagnostics(client, uri, lambda ds: len(ds) == 0)


@aio
async def test_evaluation_error_is_reported_at_its_span(client: LanguageClient):
    text = 'let cfg = { port = 80; }; in {\n  url = "http://localhost:" + cfg.port;\n}\n'
    uri = open_doc(client, FIXTURES, text)
    ds = await wait_diagnostics(client, uri, lambda ds: any(d.code.startswith("E2") for d in ds))
    ev = next(d for d in ds if d.code.startswith("E2"))
    assert ev.code == "E201"
    assert "cannot coerce an integer to a string" in ev.message
    assert ev.range.start.line == 1


@aio
async def test_hover_on_a_builtin(client: LanguageClient):
    text, p = pos("let xs = [ 1 2 ]; in builtins.ma$0p (x: x) xs\n")
    uri = open_doc(client, FIXTURES, text)
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert h is not None
    assert "builtins.map" in h.contents.value
    assert "2 arguments" in h.contents.value
    assert "every element of a list" in h.contents.value
    assert h.range.start == types.Position(line=0, character=30)


@aio
async def test_hover_on_a_let_binding_with_doc_comment(client: LanguageClient):
    text, p = pos("let\n  /** How many things there are. */\n  count = 3;\nin cou$0nt\n")
    uri = open_doc(client, FIXTURES, text)
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert "let binding" in h.contents.value
    assert "How many things there are." in h.contents.value
    assert "line 3" in h.contents.value


@aio
async def test_definition_of_a_let_binding(client: LanguageClient):
    text, p = pos("let\n  greeting = \"hi\";\nin\n  greet$0ing + \"!\"\n")
    uri = open_doc(client, FIXTURES, text)
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert len(locs) == 1
    assert locs[0].uri == uri
    assert locs[0].range == types.Range(start=types.Position(line=1, character=2),
                                        end=types.Position(line=1, character=10))


@aio
async def test_definition_of_an_import_goes_to_the_file(client: LanguageClient):
    text, p = pos("import ./li$0b.nix\n")
    uri = open_doc(client, FIXTURES, text, "importer.nix")
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [l.uri for l in locs] == [(FIXTURES / "lib.nix").as_uri()]


@aio
async def test_references_and_symbols(client: LanguageClient):
    text, p = pos("let\n  x$0 = 1;\n  y = x + x;\nin { inherit y; z = x; }\n")
    uri = open_doc(client, FIXTURES, text)
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p,
        context=types.ReferenceContext(include_declaration=True)))
    assert [(r.range.start.line, r.range.start.character) for r in refs] == [(1, 2), (2, 6), (2, 10), (3, 20)]
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [s.name for s in syms] == ["x", "y", "y", "z"]


@aio
async def test_completion_after_dot(client: LanguageClient):
    text, p = pos("let pkgs = { hello = 1; world = 2; }; in pkgs.$0")
    uri = open_doc(client, FIXTURES, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert sorted(i.label for i in result.items) == ["hello", "world"]


@aio
async def test_completion_of_builtins_has_docs(client: LanguageClient):
    text, p = pos("builtins.$0")
    uri = open_doc(client, FIXTURES, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    items = {i.label: i for i in result.items}
    assert "attrNames" in items and "toJSON" in items
    assert "names of an attribute set" in items["attrNames"].documentation.value
    assert items["attrNames"].kind == types.CompletionItemKind.Function


@aio
async def test_folding_ranges(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "{\n  a = [\n    1\n    2\n  ];\n  b = 2;\n}\n")
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert sorted((r.start_line, r.end_line) for r in ranges) == [(0, 5), (1, 3)]


@aio
async def test_server_survives_garbage(client: LanguageClient):
    garbage = '{ a = ${ "\u0000 ]] let in in in { } } } ${ ${ \'\' ./ <> ~/ 1e999999 0x12 @@ ... "'
    uri = open_doc(client, FIXTURES, garbage)
    await wait_diagnostics(client, uri, lambda ds: len(ds) >= 1)
    # requests at every position of the garbage, and out of range
    for ch in range(0, len(garbage) + 3, 7):
        p = types.Position(line=0, character=ch)
        await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p))
        await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p))
        await client.text_document_definition_async(types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=99, character=99)))
    # an unknown document and a change that does not fit the text
    await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri="file:///nowhere.nix"),
        position=types.Position(line=0, character=0)))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=50, character=3),
                              end=types.Position(line=2, character=0)), text="x")]))
    # still alive and answering
    text, p = pos("let q = 1; in $0q")
    uri2 = open_doc(client, FIXTURES, text)
    locs = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri2), position=p))
    assert locs and locs[0].range.start.character == 4
    assert_no_handler_failed(client)


@aio
async def test_document_highlight(client: LanguageClient):
    text, p = pos("let a = 1; in [ a$0 a ]")
    uri = open_doc(client, FIXTURES, text)
    hl = await client.text_document_document_highlight_async(types.DocumentHighlightParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [h.range.start.character for h in hl] == [4, 16, 18]


@aio
async def test_settings_from_workspace_configuration(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "let unused = 1; in x\n")
    await wait_diagnostics(client, uri, lambda ds: {d.code for d in ds} == {"W001", "E013"})
    client.set_configuration({"lints": {"enable": False}, "docsUrl": "https://example.org/errors"},
                             section="pynix")
    try:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        ds = await wait_diagnostics(client, uri, lambda ds: [d.code for d in ds] == ["E013"])
        assert ds[0].code_description.href == "https://example.org/errors#e013"
    finally:
        client.set_configuration({"lints": {"enable": True}}, section="pynix")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_diagnostics(client, uri, lambda ds: {d.code for d in ds} == {"W001", "E013"})
    assert_no_handler_failed(client)


# -- position conversion (no server needed) --------------------------------------------------

def test_line_index_utf16():
    text = 'a = "é😀";\r\nb = 1;\rc\n'
    idx = LineIndex(text)
    # 😀 is two UTF-16 code units, é one
    assert idx.position(text.index("😀")) == types.Position(line=0, character=6)
    assert idx.position(text.index('";')) == types.Position(line=0, character=8)
    assert idx.offset(types.Position(line=0, character=8)) == text.index('";')
    assert idx.position(text.index("b")) == types.Position(line=1, character=0)
    assert idx.position(text.index("c")) == types.Position(line=2, character=0)   # a lone CR ends a line
    # past the end of a line: its end; past the last line: the end of the text
    assert idx.offset(types.Position(line=1, character=99)) == text.index("\rc")
    assert idx.offset(types.Position(line=9, character=0)) == len(text)
    for off in range(len(text) + 1):
        if text[off - 1:off + 1] == "\r\n" or "\ud800" <= text[off:off + 1] <= "\udfff":
            continue
        assert idx.offset(idx.position(off)) == off


def test_apply_change():
    text = "let\n  é = 1;\nin é\n"
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=1, character=2), end=types.Position(line=1, character=3)),
        text="x")
    assert apply_change(text, change) == "let\n  x = 1;\nin é\n"
    whole = types.TextDocumentContentChangeWholeDocument(text="1")
    assert apply_change(text, whole) == "1"
