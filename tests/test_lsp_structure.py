"""End to end: selection ranges, semantic tokens and inlay hints from the real
`python -m nixlang lsp` process (pytest-lsp over stdio), plus the semantic
token encoding on its own.

One server process serves the module; each test opens its own document.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.convert import LineIndex
from lsp.structure import LEGEND, encode_semantic_tokens
from lsp_support import SERVER, assert_no_handler_failed, init_params, open_doc
from nixlang.ide import analyze
from nixlang.ide.tokens import semantic_tokens

aio = pytest.mark.asyncio(loop_scope="module")
INIT: list = []
DOCS = Path("/tmp")      # a URI's folder; the documents are opened from the editor, never written


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    INIT.append(await lsp_client.initialize_session(init_params({"evaluation": {"enable": False}})))
    yield
    await lsp_client.shutdown_session()


def decode(data: list[int], legend=LEGEND):
    """LSP's relative encoding back to (line, column, length, type, {modifiers})."""
    out = []
    line = col = 0
    for i in range(0, len(data), 5):
        dl, dc, length, ty, bits = data[i:i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        mods = {m for j, m in enumerate(legend.token_modifiers) if bits & (1 << j)}
        out.append((line, col, length, legend.token_types[ty], mods))
    return out


@aio
async def test_capabilities(client: LanguageClient):
    caps = INIT[-1].capabilities
    st = caps.semantic_tokens_provider
    assert st is not None and st.full is True and st.range is True
    assert list(st.legend.token_types) == list(LEGEND.token_types)
    assert list(st.legend.token_modifiers) == list(LEGEND.token_modifiers)
    assert caps.selection_range_provider
    assert caps.inlay_hint_provider


@aio
async def test_selection_range_nests(client: LanguageClient):
    text = "{\n  a = f (g x y);\n}\n"
    uri = open_doc(client, DOCS, text)
    result = await client.text_document_selection_range_async(types.SelectionRangeParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        positions=[types.Position(line=1, character=11), types.Position(line=0, character=0)]))
    assert len(result) == 2
    idx = LineIndex(text)
    chain = []
    r = result[0]
    while r is not None:
        chain.append(text[idx.offset(r.range.start):idx.offset(r.range.end)])
        r = r.parent
    assert chain == ["x", "g x", "g x y", "(g x y)", "f (g x y)", "a = f (g x y);", "{\n  a = f (g x y);\n}",
                     text]
    assert result[1].range.start == types.Position(line=0, character=0)



@aio
async def test_semantic_tokens_full_utf16(client: LanguageClient):
    # a name cannot be non-ASCII, so `é` is an error; the string holds the non-ASCII text
    text = 'let\n  s = "é😀${x}";\n  x = 1;\nin /* a\n b */ s\n'
    uri = open_doc(client, DOCS, text)
    result = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert decode(result.data) == [
        (0, 0, 3, "keyword", set()),
        (1, 2, 1, "variable", {"declaration"}),
        (1, 6, 1, "string", set()),            # "
        (1, 7, 3, "string", set()),            # é😀: 1 + 2 UTF-16 code units
        (1, 10, 2, "keyword", set()),          # ${
        (1, 12, 1, "variable", set()),         # x
        (1, 13, 1, "keyword", set()),          # }
        (1, 14, 1, "string", set()),           # "
        (2, 2, 1, "variable", {"declaration"}),
        (2, 6, 1, "number", set()),
        (3, 0, 2, "keyword", set()),
        (3, 3, 4, "comment", set()),           # /* a   (a block comment, split per line)
        (4, 0, 5, "comment", set()),           #  b */
        (4, 6, 1, "variable", set()),
    ]


@aio
async def test_semantic_tokens_range(client: LanguageClient):
    text = 'let\n  s = "é😀";\n  f = n: n;\nin f s\n'
    uri = open_doc(client, DOCS, text)
    result = await client.text_document_semantic_tokens_range_async(types.SemanticTokensRangeParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=1, character=6), end=types.Position(line=2, character=6))))
    assert decode(result.data) == [
        (1, 6, 1, "string", set()),
        (1, 7, 3, "string", set()),
        (1, 10, 1, "string", set()),
        (2, 2, 1, "function", {"declaration"}),
    ]
    assert_no_handler_failed(client)


@aio
async def test_semantic_tokens_follow_edits(client: LanguageClient):
    text = 'let\n  a = 1;\n  b = "x${a}";\nin { inherit a b; }\n'
    uri = open_doc(client, DOCS, text)
    params = types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    before = await client.text_document_semantic_tokens_full_async(params)
    assert list(before.data) == encode_semantic_tokens(semantic_tokens(analyze(text)), LineIndex(text))
    # turn `a = 1;` into a function and add an indented string after it
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=1, character=6), end=types.Position(line=1, character=7)),
            text="f: 1;\n  s = ''\n    ${b} é\n  ''")]))
    new = text.replace("a = 1;", "a = f: 1;\n  s = ''\n    ${b} é\n  '';")
    after = await client.text_document_semantic_tokens_full_async(params)
    assert list(after.data) == encode_semantic_tokens(semantic_tokens(analyze(new)), LineIndex(new))
    assert (1, 2, 1, "function", {"declaration"}) in decode(after.data)      # `a` is now a function
    assert (3, 4, 2, "keyword", set()) in decode(after.data)                 # the `${` in the new string


def inlay(client: LanguageClient, uri: str, first_line: int, end_line: int):
    return client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=first_line, character=0),
                          end=types.Position(line=end_line, character=0))))


@aio
async def test_inlay_hints_for_a_call(client: LanguageClient):
    text = 'let\n  pad = width: str: "é${str}";\nin pad 10 "x"\n'
    uri = open_doc(client, DOCS, text)
    hints = await inlay(client, uri, 0, 3)
    assert [(h.position.line, h.position.character, h.label, h.kind) for h in hints] == [
        (2, 7, "width:", types.InlayHintKind.Parameter), (2, 10, "str:", types.InlayHintKind.Parameter)]
    # outside the range: nothing
    assert not await inlay(client, uri, 0, 1)


@aio
async def test_broken_documents_answer(client: LanguageClient):
    uri = open_doc(client, DOCS, '{ a = "${ ]] let in ${ \'\' ./ <> ~/ @@ ... "')
    full = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert full is not None
    sel = await client.text_document_selection_range_async(types.SelectionRangeParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        positions=[types.Position(line=0, character=c) for c in range(0, 50, 5)]))
    assert len(sel) == 10
    await inlay(client, uri, 0, 9)
    # an unknown document
    assert await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri="file:///nowhere.nix"))) is None
    assert_no_handler_failed(client)


# -- the encoding alone ------------------------------------------------------------------------

def test_encoding_splits_lines_and_counts_utf16():
    text = 'a\n"é😀\nxy" b\r\nc'
    tokens = [(0, 1, "variable", ()), (2, 9, "string", ()), (10, 11, "variable", ("declaration",)),
              (13, 14, "function", ("defaultLibrary", "declaration")),
              (14, 20, "comment", ())]     # past the end of the text: dropped
    assert decode(encode_semantic_tokens(tokens, LineIndex(text))) == [
        (0, 0, 1, "variable", set()),
        (1, 0, 4, "string", set()),          # "é😀 : 1 + 1 + 2 code units
        (2, 0, 3, "string", set()),          # xy"
        (2, 4, 1, "variable", {"declaration"}),
        (3, 0, 1, "function", {"defaultLibrary", "declaration"}),
    ]


def test_encoding_drops_empty_pieces_and_unknown_types():
    text = "/*\n\n*/ x"
    tokens = [(0, 6, "comment", ()), (7, 8, "no-such-type", ())]
    assert decode(encode_semantic_tokens(tokens, LineIndex(text))) == [
        (0, 0, 2, "comment", set()), (2, 0, 2, "comment", set())]
