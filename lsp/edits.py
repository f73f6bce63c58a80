"""LSP handlers that change the document: rename and quick fixes.

`textDocument/prepareRename` and `textDocument/rename` ask
`nixlang.ide.rename`; a rename it refuses (a builtin, a capture, a bad
name, ...) comes back to the editor as an error response whose message
the user sees. `textDocument/codeAction` asks `nixlang.ide.actions` for
the quick fixes of the diagnostics in the requested range, computed again
from the document (the editor's copy of the diagnostics is not trusted).

Edits are sent as a versioned `TextDocumentEdit` when the client supports
`documentChanges` (so a stale edit is rejected), else as `changes`.
Loaded by `lsp/server.py` (`from . import edits`).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from nixlang import ide
from nixlang.ide.actions import code_actions
from nixlang.ide.rename import RenameError, prepare_rename, rename

from . import convert
from .server import TITLES, PynixLanguageServer, _at, _document, safe, server


@dataclass(frozen=True)
class Refusal:
    """A handler's answer "no, because ...": sent as an error response."""
    message: str


class RequestFailed(JsonRpcException):
    CODE = int(types.LSPErrorCodes.RequestFailed)
    MESSAGE = "request failed"


def refusable(fn):
    """Outside `safe`: turn a `Refusal` into an error response (nothing else can fail here)."""
    @functools.wraps(fn)
    async def run(ls, params):
        out = await fn(ls, params)
        if isinstance(out, Refusal):
            raise RequestFailed(out.message)
        return out
    return run


def workspace_edit(ls: PynixLanguageServer, doc, idx: convert.LineIndex, edits) -> types.WorkspaceEdit:
    """The edits as one WorkspaceEdit; an edit with a `path` is in another
    file (versioned when that file is open)."""
    by_uri: dict = {doc.uri: []}
    for e in edits:
        path = getattr(e, "path", None)
        if path is None or (doc.path and os.path.abspath(path) == doc.path):
            by_uri[doc.uri].append(types.TextEdit(range=idx.range(e.start, e.end), new_text=e.new_text))
            continue
        other = ls.other_index(path)
        if other is None:
            continue
        by_uri.setdefault(other[0], []).append(types.TextEdit(range=other[1].range(e.start, e.end),
                                                              new_text=e.new_text))
    caps = ls.client_capabilities
    we = caps.workspace.workspace_edit if caps and caps.workspace else None
    if we is not None and we.document_changes:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=_version(ls, uri)),
            edits=text_edits) for uri, text_edits in by_uri.items()])
    return types.WorkspaceEdit(changes=by_uri)


def _version(ls: PynixLanguageServer, uri: str):
    d = ls.docs.get(uri)
    return d.version if d is not None else None


# -- rename -----------------------------------------------------------------------------------

async def _renaming(ls: PynixLanguageServer, params, answer):
    """`answer(doc, an, idx, offset)` for the document of `params` (in a worker
    thread); a `RenameError` becomes a `Refusal`."""
    doc, an, idx, off = await _at(ls, params)
    if doc is None:
        return None

    def run():
        try:
            return answer(doc, an, idx, off)
        except RenameError as e:
            return Refusal(e.message)
    return await ls.run(run)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
@refusable
@safe()
async def prepare_rename_(ls: PynixLanguageServer, params: types.PrepareRenameParams):
    def answer(doc, an, idx, off):
        t = prepare_rename(an, off)
        return types.PrepareRenamePlaceholder(range=idx.range(t.start, t.end), placeholder=t.name)
    return await _renaming(ls, params, answer)


@server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
@refusable
@safe()
async def rename_(ls: PynixLanguageServer, params: types.RenameParams):
    return await _renaming(ls, params, lambda doc, an, idx, off: workspace_edit(
        ls, doc, idx, rename(an, off, params.new_name)))


# -- code actions -----------------------------------------------------------------------------

def _wants_quickfix(context) -> bool:
    only = context.only if context is not None else None
    if not only:
        return True
    qf = types.CodeActionKind.QuickFix.value
    return any(k == qf or qf.startswith(f"{k}.") or k == "" for k in only)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
@safe()
async def code_action(ls: PynixLanguageServer, params: types.CodeActionParams):
    doc, an, idx = await _document(ls, params)
    if doc is None or an is None or not _wants_quickfix(params.context):
        return None
    return await ls.run(_code_actions, ls, doc, an, idx, params)


def _code_actions(ls: PynixLanguageServer, doc, an, idx: convert.LineIndex, params):
    start, end = idx.offset(params.range.start), idx.offset(params.range.end)
    diags = ide.diagnostics(an, lints=ls.settings.lints)
    converted: dict = {}
    out = []
    for a in code_actions(an, min(start, end), max(start, end), diags):
        d = converted.get(id(a.diagnostic))
        if d is None:
            d = converted[id(a.diagnostic)] = convert.diagnostic(
                a.diagnostic, idx, doc.uri, ls.settings.docs_url, TITLES, ls.other_index)
        out.append(types.CodeAction(
            title=a.title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
            is_preferred=True if a.preferred else None, edit=workspace_edit(ls, doc, idx, a.edits)))
    return out or None
