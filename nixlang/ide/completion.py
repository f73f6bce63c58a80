"""Completion: names in scope, builtins, keywords, and attributes after `.`.

Two situations:

- after `expr.` (or `expr.pre`): the attributes of the set `expr` denotes,
  when it is statically known (see `static.static_attrs`), including
  `builtins.` (every builtin, with its docs). Recovery turns a half-typed
  `pkgs.` into a selection of an empty name, so the tree has the `Select`;
  when it does not (the dot is followed by more code), the dotted name
  before the cursor is looked up by hand in the scopes at the cursor.
- anywhere else in an expression: the let bindings, formals, function
  arguments and `rec` attributes in scope (innermost first), the names
  statically known `with` sets provide, the top-level builtins and keywords.

Nothing is offered inside comments and string text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..resolve.globals import GLOBAL_NAMES
from ..syntax import ast as A
from .analysis import SELECT, Analysis
from .hover import doc_of
from .static import (binding_info, builtin_doc, builtins_members, innermost_node, member_attrs, scopes_at,
                     static_attrs)
from .navigation import select_member

KEYWORDS = ("if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or")


@dataclass
class CompletionItem:
    label: str
    kind: str               # "variable", "function", "field", "keyword", "builtin", "constant"
    detail: str = ""
    documentation: str = ""
    sort_text: str = ""


_IDENT_BEFORE = re.compile(r"[A-Za-z0-9_'\-]*$")
_DOTTED_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_'\-]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_'\-]*)*)\s*\.\s*"
                            r"([A-Za-z_][A-Za-z0-9_'\-]*)?$")


def completion(an: Analysis, offset: int) -> list[CompletionItem]:
    offset = max(0, min(offset, len(an.text)))
    if an.in_comment(offset):
        return []
    node = innermost_node(an, offset)
    if _in_string_text(node, offset) or (type(node) is A.Path and node.span.start < offset):
        return []
    from . import flakes
    inputs = flakes.flake_completion(an, offset)
    if inputs is not None:
        return [CompletionItem(c.label, "variable", c.detail, c.documentation, f"0{i:03d}")
                for i, c in enumerate(inputs)]
    attrs = _attribute_context(an, offset)
    if attrs is not None:
        return attrs
    return _scope_items(an, offset)


def _in_string_text(node, offset: int) -> bool:
    """Inside the literal text of a string (not in a `${ }`)."""
    t = type(node)
    if t is A.Str and not node.uri:
        return node.span.start < offset < node.span.end
    if t is A.ConcatStrings and node.force_string:
        return node.span.start < offset < node.span.end and not any(
            p.span.start <= offset <= p.span.end for p in node.parts if type(p) is not A.Str)
    return False


# -- after a dot -----------------------------------------------------------------------------

def _attribute_context(an: Analysis, offset: int) -> list[CompletionItem] | None:
    """Items for `expr.|` / `expr.pre|`, or None when the cursor is not after a dot."""
    # the tree's Select whose attribute is being typed (recovery makes `pkgs.` a
    # selection of an empty name, so it is there even before a name is typed)
    o = _select_at(an, offset)
    if o is not None:
        sel, i = o.extra
        if i == 0:
            members = static_attrs(an, sel.expr)
        else:
            prev = select_member(an, sel, i - 1)
            members = member_attrs(prev) if prev is not None else None
        return _member_items(members)
    line_start = an.text.rfind("\n", 0, offset) + 1
    m = _DOTTED_BEFORE.search(an.text, line_start, offset)
    if m is None:
        return None
    # by hand: resolve the dotted name before the cursor in the scopes here
    parts = [p.strip() for p in m.group(1).split(".")]
    members = _lookup_name(an, parts[0], offset)
    for p in parts[1:]:
        if members is None or p not in members:
            return []
        members = member_attrs(members[p])
    return _member_items(members)


def _select_at(an: Analysis, offset: int):
    i = bisect.bisect_right(an.starts, offset) - 1
    while i >= 0 and an.occurrences[i].start >= offset - 256:
        o = an.occurrences[i]
        if o.kind == SELECT and o.start <= offset <= o.end:
            return o
        if o.end < offset:
            break
        i -= 1
    # `expr. |`: recovery put the empty name after the blanks that follow the cursor
    j = bisect.bisect_left(an.starts, offset)
    if j < len(an.occurrences):
        o = an.occurrences[j]
        if o.kind == SELECT and o.node.name == "" and an.text[offset:o.start].isspace():
            return o
    return None


def _lookup_name(an: Analysis, name: str, offset: int) -> dict | None:
    for fr in scopes_at(an, offset):
        if fr.kind == "with":
            env = static_attrs(an, fr.node.env)
            if env and name in env:
                return member_attrs(env[name])
            continue
        b = fr.names.get(name)
        if b is not None:
            if type(b) is A.AttrDef:
                from .static import Member
                return member_attrs(Member(name, an, b))
            if type(b) is A.Formal and b.default is not None:
                return static_attrs(an, b.default)
            return None
    if name == "builtins":
        return builtins_members()
    return None


def _member_items(members: dict | None) -> list[CompletionItem]:
    if not members:
        return []
    out = []
    for name, m in sorted(members.items()):
        if m.builtin is not None:
            doc = builtin_doc(m.builtin)
            kind = "function" if doc is not None and doc.arity is not None else "constant"
            detail = f"builtin, {doc.arity} argument{'s' if doc.arity != 1 else ''}" \
                if doc is not None and doc.arity is not None else "builtin"
            out.append(CompletionItem(name, kind, detail, doc.doc if doc else ""))
            continue
        d = m.attr
        kind = "field"
        detail = "attribute"
        if d is not None and d.kind == A.PLAIN and type(d.value) is A.Lambda:
            kind, detail = "function", "attribute (function)"
        elif d is not None and d.kind == A.PLAIN and type(d.value) is A.Attrs:
            detail = "attribute (set)"
        docs = doc_of(m.an, d) if (d is not None and m.an is not None) else None
        out.append(CompletionItem(name, kind, detail, docs or ""))
    return out


# -- names in scope --------------------------------------------------------------------------

def _scope_items(an: Analysis, offset: int) -> list[CompletionItem]:
    out: list[CompletionItem] = []
    seen: set[str] = set()
    for depth, fr in enumerate(scopes_at(an, offset)):
        rank = f"{depth:03d}"
        if fr.kind == "with":
            env = static_attrs(an, fr.node.env)
            for name, m in sorted((env or {}).items()):
                if name in seen:
                    continue
                seen.add(name)
                docs = doc_of(m.an, m.attr) if (m.attr is not None and m.an is not None) else ""
                out.append(CompletionItem(name, "field", "from with", docs or "", f"1{rank}{name}"))
            continue
        for name, b in sorted(fr.names.items()):
            if name in seen or not name:
                continue
            seen.add(name)
            info = binding_info(an, b)
            kind = "variable"
            if type(b) is A.AttrDef and b.kind == A.PLAIN and type(b.value) is A.Lambda:
                kind = "function"
            detail = info.kind if info else ""
            docs = doc_of(an, b) or ""
            out.append(CompletionItem(name, kind, detail, docs, f"1{rank}{name}"))
    for name in sorted(GLOBAL_NAMES):
        if name.startswith("__") or name in seen:
            continue
        doc = builtin_doc(name)
        kind = "function" if doc is not None and doc.arity is not None else "constant"
        out.append(CompletionItem(name, kind, "builtin", doc.doc if doc else "", f"2{name}"))
    for kw in KEYWORDS:
        out.append(CompletionItem(kw, "keyword", "keyword", "", f"3{kw}"))
    return out
