"""Hover: what the name under the cursor is, where it comes from, its docs.

The text is Markdown; names, paths and source text in it are code
(`markdown`), so no text of a file renders as a link or an image (doc
comments are Markdown by design, RFC 145). For a builtin: its name and arity, then its docstring
(the docstring of the Python function implementing it is its documentation).
For a name: its kind (let binding, formal, function argument, attribute,
provided by `with`, builtin), where it is defined, its RFC 145 doc comment
(`/** ... */` right before the definition, or right before a function
value), and the definition itself when it is short. For a path literal: the
file it resolves to, and whether it exists. Asked to (`values=`), the hover
also shows the name's evaluated value (see `values`), waiting only briefly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..syntax import ast as A
from .analysis import ARG, DEF, FORMAL, INHERIT, INHERIT_FROM, PATH, SELECT, VAR, Analysis
from .markdown import block, code
from .navigation import target_at
from .static import Member, binding_info, builtin_doc, resolve_member, static_attrs


@dataclass
class Hover:
    start: int
    end: int
    markdown: str


def hover(an: Analysis, offset: int, values: float | None = None, budget: float = 2.0) -> Hover | None:
    """The hover at `offset`. With `values` (seconds to wait), the value of the
    name is evaluated (`values.hover_preview`, under `budget`) and shown too."""
    h = _static_hover(an, offset)
    if h is None or values is None:
        return h
    from .values import hover_preview
    extra = hover_preview(an, offset, values, budget)
    if extra:
        h = Hover(h.start, h.end, h.markdown + "\n\n---\n\n" + extra)
    return h


def _static_hover(an: Analysis, offset: int) -> Hover | None:
    from . import flakes
    if flakes.is_flake_lock(an):
        h = flakes.lock_hover(an, offset)
        return Hover(h.start, h.end, h.markdown) if h is not None else None
    if flakes.is_flake_nix(an):
        h = flakes.flake_hover(an, offset)
        if h is not None:
            return Hover(h.start, h.end, h.markdown)
    t = target_at(an, offset)
    if t is None:
        return None
    o = t.occurrence
    md = None
    if o.kind == PATH:
        md = _path_hover(an, o.node, t.path)
    elif t.builtin is not None:
        md = builtin_markdown(t.builtin)
    elif o.kind == VAR and t.binding is not None:
        md = _binding_hover(an, t.binding, o.node.name)
        if t.member is not None:
            md += "\n\n---\n\n" + _member_hover(an, t.member)
    elif o.kind == VAR and t.withs:
        md = _with_hover(an, o.node, t)
    elif o.kind == VAR:
        md = f"{code(o.node.name)}: **undefined variable**\n\nNo `let`, function argument, `with` or builtin " \
             f"in scope defines this name."
    elif o.kind in (DEF, FORMAL, ARG):
        md = _binding_hover(an, t.binding, None)
    elif o.kind == INHERIT:
        d = o.node
        var = d.value
        md = _binding_hover(an, d, None)
        if type(var) is A.Var and var.binding is not None:
            md += "\n\n---\n\ncopies " + _binding_hover(an, var.binding, var.name)
        elif type(var) is A.Var and var.level >= 0 and not var.from_with:
            md += "\n\n---\n\ncopies " + builtin_markdown(var.name)
    elif o.kind == INHERIT_FROM:
        d = o.node
        md = _binding_hover(an, d, None)
        m = resolve_member(Member(d.value.path[0].name, an, d))
        if m.attr is not d:
            md += "\n\n---\n\n" + _member_hover(an, m)
    elif o.kind == SELECT:
        if t.member is not None:
            md = _member_hover(an, t.member)
        elif o.node.name:
            md = _unknown_select_hover(an, o)
    if not md:
        return None
    return Hover(o.start, o.end, md)


def _unknown_select_hover(an: Analysis, o) -> str:
    from .navigation import select_member
    from .static import member_attrs
    sel, i = o.extra
    known = static_attrs(an, sel.expr) if i == 0 else None
    if i > 0:
        prev = select_member(an, sel, i - 1)
        known = member_attrs(prev) if prev is not None else None
    name = o.node.name
    if known is not None:
        names = sorted(known)
        shown = ", ".join(code(n) for n in names[:12]) + (" …" if len(names) > 12 else "")
        return (f"attribute {code(name)}: **not found** in the set as written in the source"
                f"\n\n(it has {shown}; a `//` or a function could still add it)")
    return f"attribute {code(name)}\n\n(the set it is selected from is only known when evaluating)"


def builtin_markdown(name: str) -> str:
    doc = builtin_doc(name)
    if doc is None:
        return f"builtin {code(name)}"
    if doc.arity is None:
        head = f"```nix\nbuiltins.{doc.name}\n```\n**builtin constant**" + (f": {code(doc.value)}" if doc.value else "")
    else:
        args = " ".join(f"arg{i + 1}" for i in range(doc.arity)) if doc.arity else ""
        plural = "argument" if doc.arity == 1 else "arguments"
        head = f"```nix\nbuiltins.{doc.name} {args}\n```\n**builtin function**, {doc.arity} {plural}"
    return head + ("\n\n" + doc.doc if doc.doc else "")


def _where(an: Analysis, span, other: Analysis | None = None) -> str:
    a = other or an
    line = a.line_of(span.start)
    if other is not None and other is not an and other.path:
        return f"defined in {code(os.path.basename(other.path))} line {line}"
    return f"defined on line {line}"


def _snippet(an: Analysis, d) -> str:
    """`name = value;` when short enough to show."""
    if type(d) is A.AttrDef and d.kind == A.PLAIN:
        if type(d.value) is A.Attrs and d.value.span == d.name_span:
            return ""       # a set made by `a.b = ...`: its text is scattered
        txt = an.text[(d.name_span or d.span).start:d.value.span.end]
        if len(txt) <= 300 and txt.count("\n") <= 6:
            return "\n\n" + block(txt)
    if type(d) is A.Formal and d.default is not None:
        txt = an.text[d.span.start:d.default.span.end]
        if len(txt) <= 200 and txt.count("\n") <= 4:
            return "\n\n" + block(f"{{ {txt} }}")
    return ""


def _doc_comments(an: Analysis) -> dict:
    """The block comments of an analysis that document what follows them,
    made once per analysis from its comment spans (lexing a big document
    again for each hover or completion item took hundreds of milliseconds)."""
    got = an.__dict__.get("_doc_comments")
    if got is None:
        from .docs import doc_comment_map
        got = an.__dict__["_doc_comments"] = doc_comment_map(an.text, an.comments)
    return got


def doc_of(an: Analysis, d) -> str | None:
    """The doc comment of a definition: before its name, or before its value
    when that is a function (`f = /** doc */ x: ...`)."""
    if type(d) is A.AttrDef:
        offs = [d.span.start, (d.name_span or d.span).start]
        if d.kind == A.PLAIN:
            offs.append(d.value.span.start)
        found = an.doc_comment_for(*offs)
        if found is None and d.kind == A.PLAIN and type(d.value) is A.Lambda:
            # an older `/* */` comment right before a function's definition (nixpkgs before RFC 145)
            from .docs import comment_before
            found = comment_before(an.source, (d.name_span or d.span).start, binding=False,
                                   comments=_doc_comments(an))
        return found
    if type(d) is A.Formal:
        return an.doc_comment_for(d.span.start)
    if type(d) is A.Lambda and d.arg_span is not None:
        return an.doc_comment_for(d.span.start)
    return None


def _binding_hover(an: Analysis, b, used_as: str | None, other: Analysis | None = None) -> str:
    a = other or an
    info = binding_info(a, b)
    if info is None:
        return ""
    name = ".".join(info.path) if info.path and info.kind.startswith(("attribute", "rec")) else info.name
    parts = [f"{code(name)}: **{info.kind}**, {_where(an, info.span, a)}"]
    if type(b) is A.Formal:
        lam = _lambda_of(a, b)
        if lam is not None:
            parts[0] += f", in the argument set of the function on line {a.line_of(lam.span.start)}"
        if b.default is not None:
            parts[0] += " (optional)"
        given = _given_by(a, b)
        if given:
            parts.append(given)
    doc = doc_of(a, b)
    if doc:
        parts.append(doc)
    return "\n\n".join(parts) + _snippet(a, b)


def _given_by(an: Analysis, f) -> str:
    """"given by `x.nix` line N, ...": where the callers of the file give the formal `f`."""
    from .static import formal_values
    places = []
    for m in formal_values(an, f)[:5]:
        if m.attr is not None and m.an is not None:
            where = os.path.basename(m.an.path) if m.an.path else "this file"
            places.append(f"{code(where)} line {m.an.line_of((m.attr.name_span or m.attr.span).start)}")
    return "given by the callers: " + ", ".join(places) if places else ""


def _lambda_of(an: Analysis, f):
    for lam in an.lambdas:
        if lam.formals and any(x is f for x in lam.formals):
            return lam
    return None


def _member_hover(an: Analysis, m: Member) -> str:
    if m.builtin is not None:
        return builtin_markdown(m.builtin)
    if m.attr is None or m.an is None:
        return f"attribute {code(m.name)}"
    return _binding_hover(an, m.attr, m.name, m.an)


def _with_hover(an: Analysis, var: A.Var, t) -> str:
    w = t.withs[0]
    env_text = an.text[w.env.span.start:w.env.span.end]
    if len(env_text) > 60 or "\n" in env_text:
        env_text = env_text[:57].split("\n")[0] + "…"
    head = f"{code(var.name)}: **provided by `with`** ({code(f'with {env_text};')} on line {an.line_of(w.span.start)})"
    if t.member is not None:
        return head + "\n\n---\n\n" + _member_hover(an, t.member)
    if len(t.withs) > 1:
        head += f"; {len(t.withs)} enclosing `with`s are tried, innermost first"
    return head + "\n\nWhich attribute it is is only known when the `with` set is evaluated."


def _path_hover(an: Analysis, node, target: str | None) -> str:
    written = an.text[node.span.start:node.span.end]
    if target is None:
        return f"path {code(written)}"
    exists = os.path.exists(target)
    kind = "folder" if os.path.isdir(target) else "file"
    md = f"path {code(written)}\n\nresolves to {code(target)}"
    md += "" if exists else " (**does not exist**)"
    if exists and kind == "file" and target.endswith(".nix"):
        other = an.workspace.load(target) if an.workspace is not None else None
        if other is not None and other.ast is not None:
            doc = other.doc_comment_for(other.ast.span.start)
            if doc:
                md += "\n\n" + doc
            attrs = static_attrs(other, other.ast)
            if attrs:
                names = sorted(attrs)
                shown = ", ".join(code(n) for n in names[:12]) + (" …" if len(names) > 12 else "")
                md += f"\n\nattributes: {shown}"
    return md
