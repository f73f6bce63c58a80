"""End to end: rename and code actions of the real `python -m nixlang lsp` process (pytest-lsp).

Same set-up as tests/test_lsp.py (one server for the module, one document URI
per test); the client says it supports versioned `documentChanges`, and
every WorkspaceEdit the server sends is applied to the text and compared.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp.convert import LineIndex
from lsp_support import SERVER, init_params, open_doc, pos, wait_diagnostics

FIXTURES: Path = Path("/nonexistent")     # set by the `work` fixture: a temporary folder

aio = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global FIXTURES
    FIXTURES = tmp_path_factory.mktemp("lsp-edits")
    return FIXTURES


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    quick_fixes = types.CodeActionClientCapabilities(
        code_action_literal_support=types.ClientCodeActionLiteralOptions(
            code_action_kind=types.ClientCodeActionKindOptions(value_set=[types.CodeActionKind.QuickFix])),
        is_preferred_support=True)
    params = init_params({"evaluation": {"enable": False}}, diagnostics={"related_information": True},
                         document_changes=True, rename=types.RenameClientCapabilities(prepare_support=True),
                         code_action=quick_fixes)
    INIT.append(await lsp_client.initialize_session(params))
    yield
    await lsp_client.shutdown_session()


INIT: list = []


def apply(text: str, uri: str, edit: types.WorkspaceEdit) -> str:
    """Apply a WorkspaceEdit (versioned documentChanges) to the text of `uri`."""
    assert edit.changes is None
    (doc_edit,) = edit.document_changes
    assert doc_edit.text_document.uri == uri
    assert doc_edit.text_document.version == 1
    idx = LineIndex(text)
    spans = sorted(((idx.offset(e.range.start), idx.offset(e.range.end), e.new_text) for e in doc_edit.edits),
                   reverse=True)
    for s, e, new in spans:
        text = text[:s] + new + text[e:]
    return text


async def actions_at(client: LanguageClient, uri: str, text: str, at: int, until=lambda ds: True):
    """Code actions for a cursor at offset `at`, once the diagnostics are published."""
    await wait_diagnostics(client, uri, until, timeout=8)
    p = LineIndex(text).position(at)
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=p, end=p),
        context=types.CodeActionContext(diagnostics=client.diagnostics[uri])))


@aio
async def test_capabilities(client: LanguageClient):
    caps = INIT[-1].capabilities
    assert caps.rename_provider.prepare_provider is True
    assert list(caps.code_action_provider.code_action_kinds) == [types.CodeActionKind.QuickFix]


# -- rename -----------------------------------------------------------------------------------

@aio
async def test_prepare_rename(client: LanguageClient):
    text, p = pos('let s = "😀"; count = 1; in cou$0nt + count\n')
    uri = open_doc(client, FIXTURES, text)
    r = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert r.placeholder == "count"
    # UTF-16: the emoji before counts 2 units
    assert r.range == types.Range(start=types.Position(line=0, character=28),
                                  end=types.Position(line=0, character=33))


RENAMES = [
    ('let s = "😀"; cou$0nt = 1; in count + count\n', "n", 'let s = "😀"; n = 1; in n + n\n'),
    ("let x = 1;\nin {\n  inherit x$0;\n}\n", "y", "let y = 1;\nin {\n  x = y;\n}\n"),
    ("args@{ a$0, ... }:\nargs.a\n", "b", "args@{ b, ... }:\nargs.b\n"),
]


@aio
@pytest.mark.parametrize("src,new,expected", RENAMES)
async def test_rename(client: LanguageClient, src, new, expected):
    text, p = pos(src)
    uri = open_doc(client, FIXTURES, text)
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p, new_name=new))
    assert apply(text, uri, edit) == expected


@aio
async def test_refused_rename_is_an_error_the_user_sees(client: LanguageClient):
    text, p = pos("let x$0 = 1; in let y = 2; in x + y\n")
    uri = open_doc(client, FIXTURES, text)
    with pytest.raises(JsonRpcException) as e:
        await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p, new_name="y"))
    assert "'y' on line 1 would then refer to the let binding 'y'" in str(e.value)
    assert e.value.code == types.LSPErrorCodes.RequestFailed
    # prepareRename refuses a builtin before a new name is asked for
    text, p = pos("ma$0p (x: x) [ ]\n")
    uri = open_doc(client, FIXTURES, text)
    with pytest.raises(JsonRpcException) as e:
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert "builtin" in str(e.value)


@aio
async def test_rename_of_an_unknown_document_answers_nothing(client: LanguageClient):
    r = await client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=(FIXTURES / "never-opened.nix").as_uri()),
        position=types.Position(line=0, character=0), new_name="y"))
    assert r is None


# -- code actions -----------------------------------------------------------------------------

# (text, where the cursor is, code, title, preferred, the text after the fix)
CODE_ACTIONS = [
    ("{\n  a = 1\n  b = 2;\n}\n", "= 2", "E001", "Add the missing `;` at the end of line 2", True,
     "{\n  a = 1;\n  b = 2;\n}\n"),
    ("let\n  unused = 1;\n  used = 2;\nin used\n", "unused", "W001", "Remove the unused binding `unused`", True,
     "let\n  used = 2;\nin used\n"),
    ("let\n  unused = 1;\n  used = 2;\nin used\n", "unused", "W001",
     "Rename `unused` to `_unused` (marks it as deliberately unused)", None,
     "let\n  _unused = 1;\n  used = 2;\nin used\n"),
    ("{ stdenv, ... }:\nstdenv.mkDerivation { buildInputs = [ zlib ]; }\n", "lib ]", "E013",
     "Add `zlib` to the function's arguments `{ … }:` (line 1)", None,
     "{ stdenv, zlib, ... }:\nstdenv.mkDerivation { buildInputs = [ zlib ]; }\n"),
    ("let pkgs = { }; in pkgz\n", "pkgz", "E013", "Change `pkgz` to `pkgs`", True, "let pkgs = { }; in pkgs\n"),
    ("{ pkgs }: with pkgs; 1\n", "with", "W003", "Remove the unused `with pkgs;`", True, "{ pkgs }: 1\n"),
]


@aio
@pytest.mark.parametrize("text,at,code,title,preferred,expected", CODE_ACTIONS)
async def test_code_action(client: LanguageClient, text, at, code, title, preferred, expected):
    uri = open_doc(client, FIXTURES, text)
    acts = await actions_at(client, uri, text, text.index(at), lambda ds: any(d.code == code for d in ds))
    (act,) = [a for a in acts if a.title == title]
    assert act.kind == types.CodeActionKind.QuickFix
    assert act.is_preferred is preferred
    (diag,) = act.diagnostics
    assert diag.code == code
    # the same diagnostic as the one published (a client matches them by range and message)
    assert any(d.range == diag.range and d.message == diag.message for d in client.diagnostics[uri])
    assert apply(text, uri, act.edit) == expected


@aio
async def test_code_actions_only_when_quickfixes_are_wanted(client: LanguageClient):
    text = "let pkgs = { }; in pkgz\n"
    uri = open_doc(client, FIXTURES, text)
    await actions_at(client, uri, text, 0, lambda ds: len(ds) > 0)
    p = LineIndex(text).position(text.index("pkgz"))
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=p, end=p),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Refactor])))
    assert got is None
    # nothing to fix at a clean spot
    clean = LineIndex(text).position(text.index("{ }"))
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=clean, end=clean),
        context=types.CodeActionContext(diagnostics=[])))
    assert got is None


def test_workspace_edit_without_document_changes():
    """A client without `documentChanges` gets plain `changes` keyed by URI."""
    from lsp.edits import workspace_edit
    from nixlang.ide.rename import TextEdit
    ls = SimpleNamespace(client_capabilities=types.ClientCapabilities())
    doc = SimpleNamespace(uri="file:///x.nix", version=3)
    we = workspace_edit(ls, doc, LineIndex("let a = 1; in a"), [TextEdit(4, 5, "b"), TextEdit(14, 15, "b")])
    assert we.document_changes is None
    assert [(e.range.start.character, e.new_text) for e in we.changes["file:///x.nix"]] == [(4, "b"), (14, "b")]
