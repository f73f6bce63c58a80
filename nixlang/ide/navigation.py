"""Navigation: go to definition, references, document symbols, folding ranges.

All positions are offsets into the document text (`Location.path` None means
"this document"); folding ranges are whole lines (0-based), which need no
encoding conversion.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..syntax import ast as A
from .analysis import (ARG, DEF, FORMAL, INHERIT, INHERIT_FROM, PATH, SELECT, VAR, Analysis,
                       Occurrence)
from .static import Member, path_target, resolve_member, static_attrs


@dataclass(frozen=True)
class Location:
    start: int
    end: int
    path: str | None = None     # None: the same document


# -- what the cursor is on -------------------------------------------------------------------

@dataclass
class Target:
    """What a name under the cursor denotes."""
    occurrence: Occurrence
    binding: object = None          # AttrDef / Formal / Lambda in this document
    member: Member | None = None    # an attribute found through a statically known set
    builtin: str | None = None      # a builtin name
    withs: tuple = ()               # for with-provided names: the `with`s to try
    path: str | None = None         # for path literals: the file


def target_at(an: Analysis, offset: int) -> Target | None:
    o = an.occurrence_at(offset)
    if o is None:
        return None
    k = o.kind
    if k == VAR:
        v = o.node
        if v.binding is not None:
            return Target(o, binding=v.binding, member=_through_inherit(an, v.binding))
        if v.from_with:
            withs = an.var_withs.get(id(v), ())
            for w in withs:
                env = static_attrs(an, w.env)
                if env and v.name in env:
                    return Target(o, member=resolve_member(env[v.name]), withs=withs)
            return Target(o, withs=withs)
        if v.level >= 0:
            return Target(o, builtin=v.name)
        return Target(o)
    if k in (DEF, FORMAL, ARG, INHERIT, INHERIT_FROM):
        return Target(o, binding=o.node)
    if k == SELECT:
        sel, i = o.extra
        m = select_member(an, sel, i)
        if m is not None:
            if m.builtin is not None:
                return Target(o, builtin=m.builtin, member=m)
            return Target(o, member=resolve_member(m))
        return Target(o)
    if k == PATH:
        return Target(o, path=path_target(an, o.node))
    return Target(o)


def _through_inherit(an: Analysis, b) -> Member | None:
    """For a name bound by `inherit (src) name;`: its definition in `src`, when found."""
    if type(b) is not A.AttrDef or b.kind != A.INHERITED_FROM:
        return None
    owner = an.owner.get(id(b))
    if owner is None:
        return None
    m = resolve_member(Member(owner.path[-1], an, b))
    return m if m.attr is not b else None


def select_member(an: Analysis, sel, i: int) -> Member | None:
    """The attribute `sel.path[i]` names, when the set before it is known."""
    cur = static_attrs(an, sel.expr)
    from .static import member_attrs
    for name in sel.path[:i]:
        if cur is None or name.name not in cur:
            return None
        cur = member_attrs(cur[name.name])
    name = sel.path[i].name
    if cur is None or name not in cur:
        return None
    return cur[name]


# -- definition ------------------------------------------------------------------------------

def _def_location(an: Analysis, b) -> Location | None:
    t = type(b)
    if t is A.Formal:
        return Location(b.span.start, b.span.end)
    if t is A.Lambda and b.arg_span is not None:
        return Location(b.arg_span.start, b.arg_span.end)
    if t is A.AttrDef:
        ns = b.name_span or b.span
        return Location(ns.start, ns.end)
    return None


def _member_location(an: Analysis, m: Member) -> Location | None:
    if m.attr is None or m.an is None:
        return None
    ns = m.attr.name_span or m.attr.span
    return Location(ns.start, ns.end, None if m.an is an else m.an.path)


def definition(an: Analysis, offset: int) -> list[Location]:
    """Where the name (or path) under the cursor is defined."""
    from . import flakes
    if flakes.is_flake_lock(an):
        return []
    if flakes.is_flake_nix(an):
        locs = flakes.flake_definition(an, offset)
        if locs is not None:
            return [Location(l.start, l.end, l.path) for l in locs]
    t = target_at(an, offset)
    if t is None:
        return []
    o = t.occurrence
    if t.path is not None:
        return [Location(0, 0, t.path)] if os.path.exists(t.path) else []
    if o.kind == INHERIT:
        # `inherit x;`: the x it copies, from the enclosing scope
        var = o.node.value
        if type(var) is A.Var and var.binding is not None:
            loc = _def_location(an, var.binding)
            return [loc] if loc else []
        return []
    if o.kind == INHERIT_FROM:
        m = resolve_member(Member(o.node.value.path[0].name, an, o.node))
        if m.attr is not o.node:
            loc = _member_location(an, m)
            return [loc] if loc else []
    if t.member is not None:
        loc = _member_location(an, t.member)
        if loc:
            return [loc]
    if o.kind == FORMAL:
        # a formal of a function whose callers are known: where they give it
        from .static import formal_values
        given = [_member_location(an, resolve_member(m)) for m in formal_values(an, o.node)]
        if any(given):
            return [loc for loc in given if loc is not None]
    if t.binding is not None:
        loc = _def_location(an, t.binding)
        return [loc] if loc else []
    if t.withs:
        # a name some `with` provides, from a set we cannot see: the innermost `with`
        w = t.withs[0]
        return [Location(w.span.start, w.span.start + 4)]
    return []


# -- references ------------------------------------------------------------------------------

def references(an: Analysis, offset: int, include_declaration: bool = True) -> list[Location]:
    """Every use (in this document) of what the cursor names, in source order."""
    t = target_at(an, offset)
    if t is None:
        return []
    b = t.binding
    o = t.occurrence
    if o.kind == INHERIT:
        var = o.node.value
        b = var.binding if type(var) is A.Var else None
    elif b is None and t.member is not None and t.member.an is an:
        b = t.member.attr
    if b is None:
        if t.builtin is not None:
            return _builtin_refs(an, t.builtin)
        return []
    out: list[Location] = []
    if include_declaration:
        loc = _def_location(an, b)
        if loc:
            out.append(loc)
    for v in an.references_to(b):
        out.append(Location(v.span.start, v.span.end))
    name = _name_of(an, b) if type(b) is A.AttrDef else None
    if name is not None:
        # `x.name` where x is statically a set holding this definition
        for occ in an.occurrences:
            if occ.kind == SELECT and occ.node.name == name:
                sel, i = occ.extra
                m = select_member(an, sel, i)
                if m is not None and m.attr is b:
                    out.append(Location(occ.start, occ.end))
    seen = set()
    uniq = []
    for loc in sorted(out, key=lambda l: (l.start, l.end)):
        if (loc.start, loc.end) not in seen:
            seen.add((loc.start, loc.end))
            uniq.append(loc)
    return uniq


def workspace_references(an: Analysis, offset: int, include_declaration: bool = True) -> list[Location]:
    """`references`, plus the uses in the workspace's other files of an
    attribute the cursor names (`lib.foldl'`, `inherit (self.lists) foldl';`,
    a name such an inherit binds): each file around it (see
    `callers.PathIndex.candidates`) that mentions the name is analysed, and
    its selections and inherits of the name that resolve to the very
    definition count. Locations in this document have no path."""
    local = references(an, offset, include_declaration)
    t = target_at(an, offset)
    if t is None or an.workspace is None:
        return local
    d_an, d = _attribute_defined(an, t)
    if d is None or not d_an.path:
        return local
    name = _name_of(d_an, d)
    if not name:
        return local
    key = (os.path.normpath(d_an.path), (d.name_span or d.span).start)
    here = os.path.normpath(an.path) if an.path else None
    out = list(local)
    have = {(here, l.start, l.end) for l in local}
    ws = an.workspace
    files = [d_an.path] + ws.path_index.candidates(d_an.path)
    for f in dict.fromkeys(os.path.normpath(x) for x in files):
        text = ws.text_of(f)
        if not text or name not in text:
            continue
        other = an if f == here else ws.load(f)
        if other is None:
            continue
        for loc in _uses_in(other, name, key, include_declaration):
            path = None if f == here else f
            if (path or here, loc.start, loc.end) not in have:
                have.add((path or here, loc.start, loc.end))
                out.append(Location(loc.start, loc.end, path))
    return out


def _attribute_defined(an: Analysis, t: Target):
    """(analysis, AttrDef) of the attribute definition the target stands for, inherits followed."""
    if t.member is not None and t.member.attr is not None and t.member.an is not None:
        m = resolve_member(t.member)
        return m.an, m.attr
    b = t.binding
    if type(b) is A.AttrDef:
        owner = an.owner.get(id(b))
        if owner is None:
            return None, None
        m = resolve_member(Member(owner.path[-1], an, b))
        return m.an, m.attr
    return None, None


def _same(m: Member | None, key) -> bool:
    if m is None or m.attr is None or m.an is None or not m.an.path:
        return False
    m = resolve_member(m)           # may end at a builtin (`inherit (builtins) length;`): no file
    if m.an is None or m.attr is None or not m.an.path:
        return False
    return (os.path.normpath(m.an.path), (m.attr.name_span or m.attr.span).start) == key


def _uses_in(an: Analysis, name: str, key, include_declaration: bool):
    """Occurrences of `name` in `an` that resolve to the definition `key` (path, offset)."""
    for o in an.occurrences:
        node = o.node
        if o.kind == SELECT and node.name == name:
            sel, i = o.extra
            if _same(select_member(an, sel, i), key):
                yield o
        elif o.kind in (INHERIT_FROM, DEF) and _name_of(an, node) == name:
            if _same(Member(name, an, node), key) and (include_declaration or o.kind != DEF):
                yield o
        elif o.kind == VAR and node.name == name and type(node.binding) is A.AttrDef:
            if node.binding.kind == A.INHERITED_FROM and _same(_through_inherit(an, node.binding), key):
                yield o


def _name_of(an: Analysis, d) -> str | None:
    owner = an.owner.get(id(d))
    return owner.path[-1] if owner else None


def _builtin_refs(an: Analysis, name: str) -> list[Location]:
    out = []
    for o in an.occurrences:
        if o.kind == VAR and o.node.name == name and o.node.binding is None and not o.node.from_with:
            out.append(Location(o.start, o.end))
        elif o.kind == SELECT and o.node.name == name:
            sel, i = o.extra
            m = select_member(an, sel, i)
            if m is not None and m.builtin == name:
                out.append(Location(o.start, o.end))
    return out


# -- document symbols ------------------------------------------------------------------------

@dataclass
class Symbol:
    name: str
    kind: str               # "variable", "function", "field", "object", "array", "string", "number", ...
    start: int
    end: int
    selection_start: int
    selection_end: int
    detail: str = ""
    children: list = field(default_factory=list)


def _value_kind(v) -> str:
    t = type(v)
    if t is A.Lambda:
        return "function"
    if t is A.Attrs:
        return "object"
    if t is A.List:
        return "array"
    if t is A.Str or (t is A.ConcatStrings and v.force_string):
        return "string"
    if t in (A.Int, A.Float):
        return "number"
    if t is A.Path:
        return "file"
    if t is A.Var and v.name in ("true", "false") and v.binding is None:
        return "boolean"
    return ""


MAX_SYMBOL_DEPTH = 24     # levels of the symbol tree; deeper bindings are left out


def document_symbols(an: Analysis) -> list[Symbol]:
    """Let bindings and attributes as a tree (an attribute's children are the
    bindings and attributes written inside its value), at most
    `MAX_SYMBOL_DEPTH` levels deep: an outline of a generated 3,000-level
    set helps no one, and every client and serializer recurses over it."""
    if an.ast is None:
        return []
    budget = [200000]
    try:
        return _symbols_in(an, an.ast, budget)
    except RecursionError:
        return []


def _symbols_in(an: Analysis, node, budget, depth: int = 1) -> list[Symbol]:
    out: list[Symbol] = []
    stack = [node]
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            break
        n = stack.pop()
        t = type(n)
        if t is A.Attrs:
            out.extend(_attr_symbols(an, n, "field", budget, depth))
            for src in n.inherit_from:
                stack.append(src)
        elif t is A.Let:
            out.extend(_attr_symbols(an, n.attrs, "variable", budget, depth))
            stack.append(n.body)
        else:
            stack.extend(reversed(A.children(n)))
    out.sort(key=lambda s: s.start)
    return out


def _attr_symbols(an: Analysis, attrs: A.Attrs, base_kind: str, budget, depth: int) -> list[Symbol]:
    out = []
    for name, d in attrs.attrs.items():
        ns = d.name_span or d.span
        if d.kind != A.PLAIN:
            out.append(Symbol(name, base_kind, ns.start, ns.end, ns.start, ns.end,
                              detail="inherit"))
            continue
        v = d.value
        children = _symbols_in(an, v, budget, depth + 1) if depth < MAX_SYMBOL_DEPTH and not _is_leaf(v) else []
        start = min(ns.start, d.span.start)
        end = max(ns.end, d.span.end, v.span.end, *(c.end for c in children))
        kind = _value_kind(v)
        sym_kind = {"function": "function", "object": "object" if base_kind == "field" else "variable"}.get(
            kind, base_kind)
        detail = {"function": "function", "object": "{ … }", "array": "[ … ]"}.get(kind, "")
        if not detail and _is_leaf(v):
            txt = an.text[v.span.start:v.span.end]
            detail = txt if len(txt) <= 40 and "\n" not in txt else ""
        out.append(Symbol(name, sym_kind, start, end, ns.start, ns.end, detail, children))
    return out


def _is_leaf(v) -> bool:
    return type(v) in (A.Int, A.Float, A.Str, A.Path, A.Var, A.Missing)


# -- folding ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FoldRange:
    start_line: int          # 0-based
    end_line: int            # 0-based, inclusive
    kind: str = "region"     # "region" or "comment"


def folding_ranges(an: Analysis) -> list[FoldRange]:
    """Multi-line sets, lists, `let` blocks, strings, argument sets, and comment blocks."""
    src = an.source
    out: dict[int, FoldRange] = {}

    def line(off: int) -> int:
        return src.line_col(off)[0] - 1

    def add(start: int, end: int, kind="region", keep_last=False):
        a, b = line(start), line(max(start, end - 1))
        if not keep_last:
            b -= 1          # keep the line with the closing bracket visible
        if b > a and (a not in out or out[a].end_line < b):
            out[a] = FoldRange(a, b, kind)

    if an.ast is not None:
        stack = [an.ast]
        n_seen = 0
        while stack and n_seen < 2_000_000:
            n_seen += 1
            n = stack.pop()
            t = type(n)
            if t is A.Attrs:
                if an.text[n.span.start:n.span.start + 1] in ("{", "r", "l"):
                    add(n.span.start, n.span.end)
            elif t is A.List:
                add(n.span.start, n.span.end)
            elif t is A.Let:
                add(n.span.start, n.attrs.span.end + 1)
            elif t is A.Lambda and n.formals:
                last = max(max(f.span.end, f.default.span.end if f.default is not None else 0)
                           for f in n.formals)
                close = an.text.find("}", last)
                if close >= 0:
                    add(n.span.start, close + 1)
            elif (t is A.Str and not n.uri) or (t is A.ConcatStrings and n.force_string):
                add(n.span.start, n.span.end)
            stack.extend(A.children(n))
    # comments: block comments, and runs of line comments
    run_start = run_end = None
    prev_line = None
    for c in an.comments:
        if an.text.startswith("/*", c.start):
            add(c.start, c.end, "comment", keep_last=True)
            continue
        ln = line(c.start)
        alone = not an.text[src.line_starts[ln]:c.start].strip()
        if prev_line is not None and ln == prev_line + 1 and alone and run_start is not None:
            run_end = c.end
        else:
            if run_start is not None:
                add(run_start, run_end, "comment", keep_last=True)
            run_start, run_end = c.start, c.end
        prev_line = ln
    if run_start is not None:
        add(run_start, run_end, "comment", keep_last=True)
    return sorted(out.values(), key=lambda f: (f.start_line, f.end_line))


__all__ = ["Location", "Target", "target_at", "definition", "references", "workspace_references", "Symbol", "document_symbols",
           "FoldRange", "folding_ranges", "select_member"]
