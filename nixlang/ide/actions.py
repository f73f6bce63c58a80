"""Quick fixes for the diagnostics of one document.

`code_actions(an, start, end)` looks at the diagnostics overlapping the
range (computed again from the document, not taken from the editor) and
returns, for each one it knows how to fix, `CodeAction`s: a title a
beginner understands, the text edits, the diagnostic fixed, and whether
the fix is obviously right (`preferred`). The fixes:

    E001 (recovery inserted ';')   add the missing `;` where it belongs
    E013 undefined variable        use a suggested name ("did you mean");
                                   add the name to the enclosing `{ ... }:`
    W001 unused let binding        remove it; or rename it to `_name`
    W002 unused formal argument    remove it from the argument set
    W003 unused with               remove `with ...;`
    W004 useless rec               remove `rec`
    W005 empty let                 remove `let in`
    W006 empty inherit             remove it

A fix is only offered when it can be written soundly: a binding defined in
several parts, or a formal of an `args@{ ... }` function whose `args` is
used, is left alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..parse import parse_recover
from ..syntax import ast as A
from .analysis import Analysis
from .diagnostics import Diagnostic, diagnostics
from .rename import RenameError, TextEdit, apply_edits, inherit_statement, is_identifier, rename, tokens, token_index

QUICKFIX = "quickfix"


@dataclass
class CodeAction:
    title: str
    edits: list            # [TextEdit] in this document
    diagnostic: Diagnostic
    kind: str = QUICKFIX
    preferred: bool = False


def code_actions(an: Analysis, start: int, end: int, diags: list | None = None) -> list[CodeAction]:
    """Quick fixes for the diagnostics overlapping `start..end`."""
    if diags is None:
        diags = diagnostics(an)
    out: list[CodeAction] = []
    ctx = _Ctx(an)
    for d in diags:
        if not (d.start <= end and d.end >= start):
            continue
        fix = _FIXES.get(d.code)
        if fix is None:
            continue
        try:
            out.extend(fix(ctx, d))
        except RecursionError:
            continue
    return out


class _Ctx:
    """What the fixes share: the analysis and its tokens (lexed once, on demand)."""

    def __init__(self, an: Analysis):
        self.an = an
        self.text = an.text
        self._toks = None

    @property
    def toks(self) -> list:
        if self._toks is None:
            self._toks = tokens(self.an)
        return self._toks

    def next_token(self, offset: int):
        i = token_index(self.toks, offset)
        return self.toks[i] if i < len(self.toks) else None

    def semicolon_after(self, offset: int):
        t = self.next_token(offset)
        return t if t is not None and t.type == "SEMI" else None


def _action(title, edits, d, preferred=False) -> CodeAction:
    return CodeAction(title, list(edits), d, preferred=preferred)


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- removing text cleanly -------------------------------------------------------------------

def removal(text: str, s: int, e: int) -> TextEdit:
    """Remove `s..e`; whole lines when nothing else is on them, else with the blanks after it."""
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", e)
    le = len(text) if le < 0 else le
    if not text[ls:s].strip() and not text[e:le].strip():
        if le < len(text):
            return TextEdit(ls, le + 1, "")
        if ls > 0:      # the last line: take the line break before it instead
            return TextEdit(ls - 1, le, "")
        return TextEdit(s, e, "")
    j = e
    while j < len(text) and text[j] in " \t":
        j += 1
    if j == len(text) or text[j] in "\r\n":       # trailing: take the blanks before instead
        i = s
        while i > ls and text[i - 1] in " \t":
            i -= 1
        return TextEdit(i, e, "")
    return TextEdit(s, j, "")


# -- E001: the missing ';' -------------------------------------------------------------------

def _syntax_errors(text: str, path) -> list:
    res = parse_recover(text if path is None else _source(text, path))
    return [e for e in res.diagnostics if e.code < "E010" or e.code == "E014"]


def _source(text, path):
    import os
    from ..source import Source
    return Source(text, path, os.path.dirname(path))


def _missing_semicolon(ctx: _Ctx, d: Diagnostic) -> list:
    an = ctx.an
    err = next((e for e in an.parse_diagnostics if e.code == d.code and e.span is not None
                and e.span.start == d.start), None)
    if err is None or getattr(err, "repair", "") != "inserted ';'":
        return []
    toks = ctx.toks
    i = token_index(toks, d.start)
    candidates = []
    if i >= 1:
        candidates.append(toks[i - 1].end_pos)
    if i >= 2 and "\n" in an.text[toks[i - 2].end_pos:toks[i - 1].start_pos]:
        candidates.append(toks[i - 2].end_pos)
    before = _syntax_errors(an.text, an.path)
    for at in candidates:
        fixed = an.text[:at] + ";" + an.text[at:]
        after = _syntax_errors(fixed, an.path)
        if len(after) < len(before) and not any(e.span and e.span.start == d.start + 1 for e in after):
            line = an.line_of(at)
            return [_action(f"Add the missing `;` at the end of line {line}" if _at_line_end(an.text, at)
                            else f"Add the missing `;` on line {line}", [TextEdit(at, at, ";")], d, True)]
    return []


def _at_line_end(text: str, at: int) -> bool:
    le = text.find("\n", at)
    rest = text[at:len(text) if le < 0 else le]
    return not rest.strip() or rest.lstrip().startswith("#")


# -- E013: undefined names -------------------------------------------------------------------

def _undefined(ctx: _Ctx, d: Diagnostic) -> list:
    an = ctx.an
    name = an.text[d.start:d.end]
    if not is_identifier(name):
        return []
    out = []
    sugg = (d.data or {}).get("suggestions") or []
    for s in sugg:
        out.append(_action(f"Change `{name}` to `{s}`", [TextEdit(d.start, d.end, s)], d,
                           preferred=len(sugg) == 1))
    lam = _enclosing_formals(an, d.start)
    if lam is not None and not any(f.name == name for f in lam.formals):
        edit = _add_formal(ctx, lam, name)
        if edit is not None:
            line = an.line_of(lam.span.start)
            out.append(_action(f"Add `{name}` to the function's arguments `{{ … }}:` (line {line})", [edit], d))
    return out


def _enclosing_formals(an: Analysis, offset: int):
    best = None
    for lam in an.lambdas:
        if lam.formals is None:
            continue
        inside = lam.body.span.start <= offset <= lam.body.span.end or any(
            f.default is not None and f.default.span.start <= offset <= f.default.span.end for f in lam.formals)
        if inside and (best is None or lam.span.start >= best.span.start):
            best = lam
    return best


def _formal_end(f: A.Formal) -> int:
    return f.default.span.end if f.default is not None else f.span.end


def _add_formal(ctx: _Ctx, lam: A.Lambda, name: str) -> TextEdit | None:
    text = ctx.text
    toks = ctx.toks
    nl = "\r\n" if "\r\n" in text else "\n"
    # the `{` of the argument set: the first token of the lambda, or the one after `@`
    i = token_index(toks, lam.span.start)
    while i < len(toks) and toks[i].type != "LBRACE":
        i += 1
    if i >= len(toks):
        return None
    lbrace = toks[i]
    ell = None
    if lam.ellipsis:
        j = i
        while j < len(toks) and toks[j].type != "ELLIPSIS":
            j += 1
        ell = toks[j] if j < len(toks) else None
        if ell is None:
            return None
    if ell is not None:
        prev_end = max([lbrace.end_pos] + [_formal_end(f) for f in lam.formals if _formal_end(f) <= ell.start_pos])
        between = text[prev_end:ell.start_pos]
        if "\n" in between:
            ls = text.rfind("\n", 0, ell.start_pos) + 1
            indent = text[ls:ell.start_pos]
            if not indent.strip():
                return TextEdit(ls, ls, f"{indent}{name},{nl}")
        return TextEdit(ell.start_pos, ell.start_pos, f"{name}, ")
    if not lam.formals:
        return TextEdit(lbrace.end_pos, lbrace.end_pos, f" {name}" if text[lbrace.end_pos:lbrace.end_pos + 1].isspace()
                        else f" {name} ")
    last = max(lam.formals, key=_formal_end)
    end = _formal_end(last)
    nxt = ctx.next_token(end)
    ls = text.rfind("\n", 0, last.span.start) + 1
    indent = text[ls:last.span.start]
    one_per_line = not indent.strip() and "\n" in text[lbrace.end_pos:last.span.start]
    if nxt is not None and nxt.type == "COMMA":          # a trailing comma
        if one_per_line:
            return TextEdit(nxt.end_pos, nxt.end_pos, f"{nl}{indent}{name},")
        return TextEdit(nxt.end_pos, nxt.end_pos, f" {name},")
    if one_per_line:
        return TextEdit(end, end, f",{nl}{indent}{name}")
    return TextEdit(end, end, f", {name}")


# -- lints -----------------------------------------------------------------------------------

def _unused_let(ctx: _Ctx, d: Diagnostic) -> list:
    an = ctx.an
    found = None
    for let in an.lets:
        for name, b in let.attrs.attrs.items():
            ns = b.name_span or b.span
            if ns.start == d.start:
                found = (let, name, b)
                break
        if found:
            break
    if found is None:
        return []
    let, name, b = found
    out = []
    edits = _remove_binding(ctx, let, b)
    if edits:
        alone = len(let.attrs.attrs) == 1 and not let.attrs.dynamic and len(let.attrs.inherit_from) <= 1
        if alone:
            out.append(_action(f"Remove the unused binding `{name}` (and the `let` that only holds it)",
                               [TextEdit(let.span.start, let.body.span.start, "")], d, True))
        else:
            out.append(_action(f"Remove the unused binding `{name}`", edits, d, True))
    if not name.startswith("_"):
        try:
            ren = rename(an, d.start, "_" + name, definition=True)
            out.append(_action(f"Rename `{name}` to `_{name}` (marks it as deliberately unused)", ren, d))
        except RenameError:
            pass
    return out


def _remove_binding(ctx: _Ctx, let: A.Let, b: A.AttrDef) -> list:
    an = ctx.an
    ns = b.name_span or b.span
    if b.kind == A.PLAIN:
        leaf = b
        while type(leaf.value) is A.Attrs and not leaf.value.rec and leaf.value.span == leaf.name_span:
            if len(leaf.value.attrs) != 1 or leaf.value.dynamic:
                return []           # `a.x = ...; a.y = ...;`: several statements
            leaf = next(iter(leaf.value.attrs.values()))
        semi = ctx.semicolon_after(leaf.value.span.end)
        if semi is None:
            return []
        return [removal(an.text, ns.start, semi.end_pos)]
    src = None
    if b.kind == A.INHERITED_FROM:
        src = let.attrs.inherit_from[b.value.expr.index]
    st = inherit_statement(an, ctx.toks, ns.start, src)
    if st is None:
        return []
    if len(st.names) == 1:
        return [removal(an.text, st.start, st.end)]
    k = [s for s, _ in st.names].index(ns.start)
    s, e = st.names[k]
    if k > 0:
        return [TextEdit(st.names[k - 1][1], e, "")]
    return [TextEdit(s, st.names[1][0], "")]


def _unused_formal(ctx: _Ctx, d: Diagnostic) -> list:
    an = ctx.an
    for lam in an.lambdas:
        for k, f in enumerate(lam.formals or ()):
            if f.span.start == d.start:
                return _remove_formal(ctx, lam, k, d)
    return []


def _remove_formal(ctx: _Ctx, lam: A.Lambda, k: int, d: Diagnostic) -> list:
    an = ctx.an
    f = lam.formals[k]
    if lam.arg is not None and an.references_to(lam):
        return []       # `args@{ ... }`: `args` may read it
    end = _formal_end(f)
    nxt = ctx.next_token(end)
    if nxt is None:
        return []
    if nxt.type == "COMMA":
        after = ctx.next_token(nxt.end_pos)
        if after is None:
            return []
        if after.type == "RBRACE":        # `{ a, b, }`: the last, with a trailing comma
            edit = removal(an.text, f.span.start, nxt.end_pos)
        else:
            edit = TextEdit(f.span.start, after.start_pos, "")
    elif nxt.type == "RBRACE":
        edit = _cut_before(ctx, f.span.start, end)
    else:
        return []
    if edit is None:
        return []
    title = f"Remove the unused argument `{f.name}`"
    if not lam.ellipsis:
        title += " (callers that pass it will then fail)"
    return [_action(title, [edit], d, preferred=lam.ellipsis)]


def _cut_before(ctx: _Ctx, start: int, end: int) -> TextEdit | None:
    """Remove a last element `start..end` with the comma before it (or just it, when first)."""
    toks = ctx.toks
    i = token_index(toks, start) - 1
    if i < 0:
        return None
    if toks[i].type == "COMMA":
        j = i - 1
        return TextEdit(toks[j].end_pos if j >= 0 else toks[i].start_pos, end, "")
    return TextEdit(toks[i].end_pos, end, "")


def _unused_with(ctx: _Ctx, d: Diagnostic) -> list:
    for w in ctx.an.withs:
        if w.span.start == d.start:
            env = ctx.text[w.env.span.start:w.env.span.end]
            return [_action(f"Remove the unused `with {_short(env)};`", [TextEdit(w.span.start, w.body.span.start, "")],
                            d, True)]
    return []


def _useless_rec(ctx: _Ctx, d: Diagnostic) -> list:
    for s in ctx.an.rec_sets:
        if s.span.start == d.start and ctx.text.startswith("rec", d.start):
            nxt = ctx.next_token(d.start + 3)
            if nxt is None:
                return []
            return [_action("Remove the useless `rec`", [TextEdit(d.start, nxt.start_pos, "")], d, True)]
    return []


def _empty_let(ctx: _Ctx, d: Diagnostic) -> list:
    for let in ctx.an.lets:
        if let.span.start == d.start:
            if let.body.span.start <= let.span.start:
                return []
            return [_action("Remove the empty `let … in`", [TextEdit(let.span.start, let.body.span.start, "")],
                            d, True)]
    return []


_INHERIT_TAIL = re.compile(r"\s*;")


def _empty_inherit(ctx: _Ctx, d: Diagnostic) -> list:
    text = ctx.text
    end = d.end
    if not text[d.start:end].rstrip().endswith(";"):
        m = _INHERIT_TAIL.match(text, end)
        if m is None:
            return []
        end = m.end()
    return [_action("Remove the empty `inherit`", [removal(text, d.start, end)], d, True)]


_FIXES = {
    "E001": _missing_semicolon,
    "E013": _undefined,
    "W001": _unused_let,
    "W002": _unused_formal,
    "W003": _unused_with,
    "W004": _useless_rec,
    "W005": _empty_let,
    "W006": _empty_inherit,
}


__all__ = ["CodeAction", "code_actions", "removal", "apply_edits", "QUICKFIX"]
