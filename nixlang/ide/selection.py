"""Selection ranges ("expand selection"): from the word under the cursor outwards.

For a cursor position the editor wants a chain of spans, each strictly
inside the next: the name, the expression it belongs to, the binding
`a.b = ...;`, the set or `let` holding it, and so on up to the whole file.
Pressing "expand" walks up the chain, "shrink" walks back down.

Two views of the document supply the steps, and neither is enough alone:

- the token stream with its bracket structure (`tokens.lexed`): the token
  under the cursor; every group around it, both its inside and the whole
  (`( )`, `[ ]`, `{ }`, `${ }`, a string's text and the string with its
  quotes, a path, `rec { }`, `let ... in`); and, inside a set or a `let`,
  the statement around the cursor (`a.b = 1;`, `inherit (x) y;`, a formal
  `b ? 1`) and its attrpath (`a.b`);
- the AST, for what has no brackets: the operands of `a + b`, the prefixes
  of a call (`f a` in `f a b`), the steps of a selection (`pkgs.lib` in
  `pkgs.lib.mkIf`), a lambda, `let ... in body`, `with e; body`, `if`.

All candidates that contain the cursor are sorted by size, and a chain is
kept in which each span strictly contains the one before; a candidate that
crosses the chain (an AST span a recovering parser made odd) is dropped, so
the answer is always a proper nesting, even in a half-typed file.
"""
from __future__ import annotations

import bisect
import re

from ..syntax import ast as A
from .analysis import Analysis
from .static import child_toward
from .tokens import Lexed, lexed

_WORD = re.compile(r"[A-Za-z0-9_]+")
_GROUPED_BY_STATEMENTS = ("LBRACE", "LET")
_WORDY = frozenset({"ID", "OR_KW", "INT_LIT", "FLOAT_LIT", "STR", "IND_STR", "PATH", "HPATH", "SPATH", "URI",
                    "IF", "THEN", "ELSE", "ASSERT", "WITH", "LET", "IN_KW", "REC", "INHERIT"})


def selection_ranges(an: Analysis, offsets: list[int]) -> list[list[tuple[int, int]]]:
    """One chain per offset (see `selection_chain`)."""
    return [selection_chain(an, off) for off in offsets]


def selection_chain(an: Analysis, offset: int) -> list[tuple[int, int]]:
    """Spans around `offset`, innermost first, each strictly containing the one
    before; the last is the whole text."""
    text = an.text
    offset = max(0, min(offset, len(text)))
    lx = lexed(an)
    cands: list[tuple[int, int]] = []
    for c in an.comments:
        if c.start <= offset <= c.end:
            cands.append((c.start, c.end))
        if c.start > offset:
            break
    k = lx.token_at(offset)
    if k > 0 and lx.starts[k] == offset and lx.types[k] not in _WORDY:
        prev = k - 1
        while prev > 0 and lx.starts[prev] == lx.ends[prev]:
            prev -= 1         # zero-width PATH_END
        if lx.ends[prev] == offset and lx.types[prev] in _WORDY:
            k = prev          # `name|;`: the name, not the `;`
    if k >= 0:
        _token_candidates(lx, k, offset, cands, True)
    elif lx.types:
        # between tokens: the groups around the next token (or the last one)
        j = min(bisect.bisect_left(lx.starts, offset), len(lx.types) - 1)
        _token_candidates(lx, j, offset, cands, False)
    try:
        _ast_candidates(an, lx, offset, cands)
    except RecursionError:
        pass
    if lx.starts:
        cands.append((min(lx.starts[0], an.comments[0].start if an.comments else len(text)),
                      max(lx.ends[-1], an.comments[-1].end if an.comments else 0)))
    cands.append((0, len(text)))
    return _chain(cands, offset)


def _chain(cands, offset: int) -> list[tuple[int, int]]:
    cands = sorted({c for c in cands if c[0] <= offset <= c[1]}, key=lambda c: (c[1] - c[0], -c[0]))
    out: list[tuple[int, int]] = []
    for s, e in cands:
        if out:
            ps, pe = out[-1]
            if not (s <= ps and pe <= e) or (s, e) == (ps, pe):
                continue
        out.append((s, e))
    return out


# -- from the tokens ------------------------------------------------------------------------

def _token_candidates(lx: Lexed, k: int, offset: int, cands: list, on_token: bool) -> None:
    types, starts, ends, text = lx.types, lx.starts, lx.ends, lx.text
    s, e = starts[k], ends[k]
    ty = types[k]
    if on_token and ty in ("STR", "IND_STR") and e - s > 1:
        # a word inside string text
        for m in _WORD.finditer(text, s, e):
            if m.start() <= offset <= m.end():
                cands.append((m.start(), m.end()))
                break
            if m.start() > offset:
                break
    if on_token:
        cands.append((s, e))
    enc, partner = lx.enc, lx.partner
    p = partner[k]
    if p > k and (on_token or s < offset):
        g = k                 # on an opener: its group
    elif 0 <= p < k and (on_token or s >= offset):
        g = p                 # on a closer: the group it closes
    else:
        g = enc[k]
    child = k
    while g >= 0:
        c = lx.close_of(g)
        gty = types[g]
        closed = partner[g] >= 0
        end = ends[c] if closed else len(text)       # an unclosed group runs to the end
        if gty in ("DQUOTE", "IND_STRING_OPEN"):
            cands.append((ends[g], starts[c] if closed else end))
        elif gty in ("PATH", "HPATH"):
            pass
        elif g + 1 < c or (not closed and g + 1 <= c):
            last = c - 1 if closed else c
            cands.append((starts[g + 1], ends[last]))
        cands.append((starts[g], end))
        if gty == "LBRACE" and g > 0 and types[g - 1] == "REC":
            cands.append((starts[g - 1], end))
        if gty in _GROUPED_BY_STATEMENTS and child != g and child != c:
            _statement(lx, g, c, child, cands)
        child = g
        g = enc[g]


def _statement(lx: Lexed, g: int, c: int, t: int, cands: list) -> None:
    """The statement of group `g` holding token `t` (climbed to `g`'s level):
    a binding `a.b = v;` or `inherit ...;` (with its `;`), or a formal `b ? 1`."""
    types, starts, ends, enc, partner = lx.types, lx.starts, lx.ends, lx.enc, lx.partner
    for _ in range(10000):
        if t < 0 or enc[t] == g:
            break
        t = enc[t]
    if t < 0 or enc[t] != g:
        return
    if 0 <= partner[t] < t:
        t = partner[t]
    i = t
    while True:
        p = i - 1
        if p <= g or types[p] in ("SEMI", "COMMA"):
            break
        i = partner[p] if 0 <= partner[p] < p else p
    j = t
    end_limit = c if partner[g] >= 0 else len(types)
    while types[j] != "SEMI":
        q = partner[j] + 1 if partner[j] > j else j + 1
        if q >= end_limit or types[q] == "COMMA":
            break
        j = q
    if types[i] in ("SEMI", "COMMA"):
        return
    cands.append((starts[i], ends[j]))
    # the attrpath of a binding: the names before its `=`
    q = i
    last = -1
    while q <= j and types[q] != "ASSIGN":
        if types[q] in ("SEMI", "INHERIT", "QUESTION"):
            return
        last = partner[q] if partner[q] > q else q
        q = last + 1
    if q <= j and last >= i:
        cands.append((starts[i], ends[last]))


# -- from the AST ---------------------------------------------------------------------------

def _ast_candidates(an: Analysis, lx: Lexed, offset: int, cands: list) -> None:
    text = an.text
    node = an.ast
    guard = 0
    while node is not None and guard < 100000:
        guard += 1
        t = type(node)
        sp = node.span
        if t is A.Missing or (t is A.Var and node.synthetic):
            pass
        elif t is A.Attrs and not (text.startswith("{", sp.start) or text.startswith("rec", sp.start)
                                   or text.startswith("let", sp.start)):
            pass                       # made by desugaring `a.b = ...`: only the span of `a`
        elif sp.end > sp.start:
            cands.append(lx.repair(sp.start, sp.end))
        if t is A.Call and node.op_span is None and not (type(node.fn) is A.Var and node.fn.synthetic):
            for a in node.args[:-1]:
                cands.append(lx.repair(node.fn.span.start, a.span.end))
        elif t is A.Select or t is A.HasAttr:
            for name in node.path[:-1]:
                cands.append(lx.repair(node.expr.span.start, name.span.end))
            if t is A.Select and node.default is not None and node.path:
                cands.append(lx.repair(node.expr.span.start, node.path[-1].span.end))
        nxt = child_toward(node, offset)
        if nxt is node:
            break
        node = nxt


__all__ = ["selection_chain", "selection_ranges"]
