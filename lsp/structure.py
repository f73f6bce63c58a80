"""LSP handlers for the structure of a document: selection ranges, semantic
tokens (full and range) and inlay hints.

The features live in `nixlang.ide.selection`, `nixlang.ide.tokens` and
`nixlang.ide.inlay` and speak offsets; this module only converts, like the
handlers in `server.py` (and registers on the same `server`, which imports
this module).

Semantic tokens need the one conversion that is not a plain position: LSP
sends them as a flat list of integers, five per token (line delta, start
column delta from the previous token on the same line or from the line start,
length, type index, modifier bits), with columns and lengths in the client's
position encoding (UTF-16 by default). A token that spans lines (a block
comment, an indented string) is split into one token per line, since many
clients do not support multi-line tokens; empty pieces (a line break alone)
are left out.
"""
from __future__ import annotations

from lsprotocol import types

from nixlang.ide.inlay import inlay_hints
from nixlang.ide.selection import selection_ranges
from nixlang.ide.tokens import TOKEN_MODIFIERS, TOKEN_TYPES, semantic_tokens

from .convert import LineIndex
from .server import PynixLanguageServer, safe, server

LEGEND = types.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=list(TOKEN_MODIFIERS))

_TYPE_INDEX = {t: i for i, t in enumerate(TOKEN_TYPES)}
_MOD_BIT = {m: 1 << i for i, m in enumerate(TOKEN_MODIFIERS)}
_mod_cache: dict[tuple, int] = {}


def _mod_bits(mods: tuple) -> int:
    bits = _mod_cache.get(mods)
    if bits is None:
        bits = 0
        for m in mods:
            bits |= _MOD_BIT.get(m, 0)
        _mod_cache[mods] = bits
    return bits


def encode_semantic_tokens(tokens, idx: LineIndex) -> list[int]:
    """`(start, end, type, modifiers)` tokens (sorted, not overlapping) as LSP's
    relative integer encoding, one token per line piece."""
    text = idx.text
    line_starts = idx.starts
    nlines = len(line_starts)
    units = idx.codec.client_num_units
    data: list[int] = []
    push = data.extend
    prev_line = prev_col = 0
    line = -1
    ls = line_end = next_start = 0
    ascii_line = True

    def enter(n: int):
        nxt = line_starts[n + 1] if n + 1 < nlines else len(text) + 1
        end = idx._line_end(n)
        return line_starts[n], end, nxt, text[line_starts[n]:end].isascii()

    for s, e, ty, mods in tokens:
        ti = _TYPE_INDEX.get(ty)
        if ti is None or e <= s:
            continue
        bits = _mod_bits(mods) if mods else 0
        if s >= next_start:
            while s >= next_start and line + 1 < nlines:
                line += 1
                next_start = line_starts[line + 1] if line + 1 < nlines else len(text) + 1
            ls, line_end, next_start, ascii_line = enter(line)
        while True:
            piece_end = e if e < line_end else line_end
            if piece_end > s:
                if ascii_line:
                    col, length = s - ls, piece_end - s
                else:
                    col, length = units(text[ls:s]), units(text[s:piece_end])
                if line == prev_line:
                    push((0, col - prev_col, length, ti, bits))
                else:
                    push((line - prev_line, col, length, ti, bits))
                prev_line, prev_col = line, col
            if e <= next_start or line + 1 >= nlines:
                break
            line += 1
            ls, line_end, next_start, ascii_line = enter(line)
            s = ls
            if s >= e:
                break
    return data


async def _document(ls: PynixLanguageServer, params):
    """(analysis, LineIndex) of the request's document, or (None, None)."""
    got = await ls.current(params.text_document.uri)
    if got is None:
        return None, None
    return got[2], got[1].index


def _offsets(idx: LineIndex, rng: types.Range) -> tuple[int, int]:
    return idx.offset(rng.start), idx.offset(rng.end)


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
@safe()
async def semantic_tokens_full(ls: PynixLanguageServer, params: types.SemanticTokensParams):
    an, idx = await _document(ls, params)
    if an is None:
        return None
    return await ls.run(lambda: types.SemanticTokens(data=encode_semantic_tokens(semantic_tokens(an), idx)))


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, LEGEND)
@safe()
async def semantic_tokens_range(ls: PynixLanguageServer, params: types.SemanticTokensRangeParams):
    an, idx = await _document(ls, params)
    if an is None:
        return None
    return await ls.run(lambda: types.SemanticTokens(
        data=encode_semantic_tokens(semantic_tokens(an, *_offsets(idx, params.range)), idx)))


@server.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
@safe()
async def selection_range(ls: PynixLanguageServer, params: types.SelectionRangeParams):
    an, idx = await _document(ls, params)
    if an is None:
        return None
    return await ls.run(_selection_ranges, an, idx, params.positions)


def _selection_ranges(an, idx: LineIndex, positions) -> list:
    out = []
    for chain in selection_ranges(an, [idx.offset(p) for p in positions]):
        parent = None
        for s, e in reversed(chain):
            parent = types.SelectionRange(range=idx.range(s, e), parent=parent)
        out.append(parent)
    return out


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
@safe()
async def inlay_hint(ls: PynixLanguageServer, params: types.InlayHintParams):
    an, idx = await _document(ls, params)
    if an is None:
        return None
    return await ls.run(_inlay_hints, an, idx, params.range)


def _inlay_hints(an, idx: LineIndex, rng) -> list:
    return [types.InlayHint(
        position=idx.position(h.offset), label=h.label,
        kind=types.InlayHintKind.Parameter if h.kind == "parameter" else None,
        padding_left=h.padding_left or None, padding_right=h.padding_right or None,
        tooltip=h.tooltip or None) for h in inlay_hints(an, *_offsets(idx, rng))]
