"""Completion: names in scope, builtins, keywords, and attributes after `.`.

Two situations:

- after `expr.` (or `expr.pre`): the attributes of the set `expr` denotes,
  when it is statically known (see `static.static_attrs`), including
  `builtins.` (every builtin, with its docs). Recovery turns a half-typed
  `pkgs.` into a selection of an empty name, so the tree has the `Select`;
  when it does not (the dot is followed by more code), the dotted name
  before the cursor is looked up by hand in the scopes at the cursor.
  Asked to (`values=`, seconds to wait), the expression before the dot is
  also evaluated (`values`: in its scopes, pure, under a budget, cached)
  and the attributes of its value are merged in: `import ./pkgs.nix {}`,
  `lib.recursiveUpdate a b`, ... whatever the source alone cannot tell.
- in the attribute set given to a function (`f { | }`), when the function
  is known from the source (a lambda, a name bound to one, `import ./x.nix`
  of a file that is one, `callPackage ./x.nix`), or else (with `values`)
  found by evaluating the function: its formal names not yet given,
  required ones first, optional ones with their default;
- anywhere else in an expression: the let bindings, formals, function
  arguments and `rec` attributes in scope (innermost first), the names
  statically known `with` sets provide, the top-level builtins and keywords
  (all of them: wherever names are offered an expression may start).

Nothing is offered inside comments and string text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..resolve.globals import GLOBAL_NAMES
from ..source import Span
from ..syntax import ast as A
from .analysis import SELECT, Analysis
from .callers import callee_name
from .hover import doc_of
from .static import (Seen, argument_attrs, binding_info, builtin_doc, builtins_members, formal_attrs, import_target,
                     innermost_node, member_attrs, node_path, path_target, resolve_member, scopes_at, static_attrs,
                     static_lambda)
from .navigation import select_member

KEYWORDS = ("if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or")


@dataclass
class CompletionItem:
    label: str
    kind: str               # "variable", "function", "field", "keyword", "builtin", "constant"
    detail: str = ""
    documentation: str = ""
    sort_text: str = ""


class CompletionItems(list):
    """The items of a completion; `incomplete` when attributes found by
    evaluation were still being computed (asking again may give more)."""
    incomplete = False


_IDENT_BEFORE = re.compile(r"[A-Za-z0-9_'\-]*$")
_DOTTED_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_'\-]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_'\-]*)*)\s*\.\s*"
                            r"([A-Za-z_][A-Za-z0-9_'\-]*)?$")


def completion(an: Analysis, offset: int, values: float | None = None, budget: float = 2.0
               ) -> list[CompletionItem]:
    """Completion items at `offset`; with `values` (seconds to wait), attributes
    found by evaluating the expression before a dot are added (see `values`)."""
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
    attrs = _attribute_context(an, offset, values, budget)
    if attrs is not None:
        return attrs
    formals = _formal_items(an, offset, node, values, budget)
    if formals is not None:
        return formals
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

def _attribute_context(an: Analysis, offset: int, values: float | None = None,
                       budget: float = 2.0) -> list[CompletionItem] | None:
    """Items for `expr.|` / `expr.pre|`, or None when the cursor is not after a dot."""
    from .values import select_probe
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
        if members is None and i == 0:
            pkgs = None
            if type(sel.expr) is A.Var:
                pkgs = package_items(an, sel.expr.name, sel.expr.binding, an.text[o.start:offset])
            if pkgs is not None:
                return pkgs
        items = _member_items(members)
        if values is not None and not _is_builtins(sel.expr, i):
            items = _merge_evaluated(items, select_probe(an, sel, i), values, budget)
        return items
    found = dotted_before(an.text, offset)
    if found is None:
        return None
    # by hand: resolve the dotted name before the cursor in the scopes here
    return dotted_completion(an, found[0], found[1], found[2], values, budget)


def dotted_before(text: str, offset: int) -> tuple[int, int, list[str]] | None:
    """`a.b.` (or `a.b.pre`) right before `offset` on its line: (start, end)
    of the dotted name `a.b` and its parts, or None."""
    line_start = text.rfind("\n", 0, offset) + 1
    m = _DOTTED_BEFORE.search(text, line_start, offset)
    if m is None:
        return None
    return m.start(1), m.end(1), [p.strip() for p in m.group(1).split(".")]


def dotted_completion(an: Analysis, start: int, end: int, parts: list[str], values: float | None = None,
                      budget: float = 2.0) -> list[CompletionItem]:
    """The attributes of the dotted name `parts`, written at `[start, end)` of
    the analysed text, looked up in the scopes there (and, with `values`,
    evaluated there). The language server also asks this of the last
    analysis that parsed, for a name typed before the text stopped parsing."""
    from .values import probe_for
    members = _lookup_name(an, parts[0], end)
    if members is None and len(parts) == 1:
        pkgs = package_items(an, parts[0], _binding_named(an, parts[0], end), "")
        if pkgs is not None:
            return pkgs
    for p in parts[1:]:
        if members is None or p not in members:
            members = None
            break
        members = member_attrs(members[p])
    items = _member_items(members)
    if values is not None and parts[0] != "builtins":
        probe = probe_for(an, start, ".".join(parts), [Span(start, end)])
        items = _merge_evaluated(items, probe, values, budget)
    return items


MAX_PACKAGE_ITEMS = 3000     # package names in one answer; more: the list is incomplete (typing narrows it)


def package_items(an: Analysis, name: str, binding, prefix: str) -> list[CompletionItem] | None:
    """The top-level package names of the workspace's nixpkgs for `pkgs.`
    (a formal or argument named `pkgs` that the source does not describe,
    or any name bound to `import <nixpkgs> { ... }`),
    starting with `prefix`; an incomplete empty list while they are being
    computed in the background; None for any other expression."""
    if not ((name == "pkgs" and type(binding) in (A.Formal, A.Lambda)) or _imports_nixpkgs(binding)):
        return None
    ws = an.workspace
    if ws is None or not ws.nixpkgs:
        return None
    from .nixpkgs import package_names
    names = package_names.get(ws.nixpkgs)
    out = CompletionItems()
    if names is None:
        out.incomplete = True
        return out
    low = prefix.lower()
    for n in names:
        if n.lower().startswith(low):
            if len(out) >= MAX_PACKAGE_ITEMS:
                out.incomplete = True
                break
            out.append(CompletionItem(n, "field", "package (nixpkgs)"))
    return out


def _imports_nixpkgs(binding) -> bool:
    """`x = import <nixpkgs> { ... };`: the package set of the nixpkgs found."""
    if type(binding) is not A.AttrDef or binding.kind != A.PLAIN:
        return False
    v = binding.value
    if type(v) is not A.Call or type(v.fn) is not A.Var or v.fn.name != "import" or v.fn.binding is not None \
            or len(v.args) != 2 or type(v.args[0]) is not A.Call:
        return False
    look = v.args[0]
    return type(look.fn) is A.Var and look.fn.synthetic and look.fn.name == "__findFile" and len(look.args) == 2 \
        and type(look.args[1]) is A.Str and look.args[1].value == "nixpkgs"


def _binding_named(an: Analysis, name: str, offset: int):
    """What binds `name` in the scopes at `offset` (None: nothing, or a `with`)."""
    for fr in scopes_at(an, offset):
        if fr.kind == "with":
            continue
        b = fr.names.get(name)
        if b is not None:
            return b
    return None


def _is_builtins(expr, i: int) -> bool:
    return i == 0 and type(expr) is A.Var and expr.name == "builtins" and expr.binding is None \
        and not expr.from_with


def _merge_evaluated(items: list[CompletionItem], probe, wait: float, budget: float) -> list[CompletionItem]:
    """`items` and the attributes of the probe's value that are not among them."""
    from .values import result_within
    res = result_within(probe, "names", wait, budget)
    if res.status != "ok" or not res.names:
        if res.status == "pending":
            items = CompletionItems(items)
            items.incomplete = True
        return items
    have = {c.label for c in items}
    out = list(items)
    for name, kind in res.names:
        if name in have:
            continue
        detail = {"function": "attribute (function)", "set": "attribute (set)"}.get(kind, "attribute")
        out.append(CompletionItem(name, "function" if kind == "function" else "field", detail + ", evaluated"))
    return out


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
            if type(b) is A.Formal:
                return formal_attrs(an, b, Seen())
            if type(b) is A.Lambda:
                return argument_attrs(an, b, Seen())
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
        docs = None
        if d is not None and m.an is not None:
            docs = doc_of(m.an, d)
            if not docs and d.kind != A.PLAIN:
                docs, kind, detail = _inherited_doc(m, kind, detail)
        out.append(CompletionItem(name, kind, detail, docs or ""))
    return out


INHERITED_DOC_TTL = 120.0     # seconds the doc found for an inherited member is kept


def _inherited_doc(m, kind: str, detail: str) -> tuple:
    """(doc, kind, detail) of `inherit (self.options) mkOption;` from its real
    definition; remembered per definition (by identity: an edited file is
    analysed anew), since `lib.` lists hundreds of them."""
    ws = m.an.workspace
    key = (id(m.an), id(m.attr))
    hit = ws.memo("inherited-doc", key, INHERITED_DOC_TTL) if ws is not None else None
    if hit is not None and hit[0] is m.an and hit[1] is m.attr:
        return hit[2]
    got = (None, kind, detail)
    real = resolve_member(m)
    if real.attr is not None and real.an is not None and real.attr is not m.attr:
        fn = real.attr.kind == A.PLAIN and type(real.attr.value) is A.Lambda
        got = (doc_of(real.an, real.attr), "function" if fn else kind, "attribute (function)" if fn else detail)
    if ws is not None:
        ws.set_memo("inherited-doc", key, (m.an, m.attr, got))
    return got


def warm_lib(ws) -> int:
    """Compute once, in the background, what `lib.` completion reads (the
    docs of lib's inherited names) for the libs `static.lib_files` finds;
    the number of names."""
    from .static import lib_body, lib_files
    n = 0
    for f in lib_files(ws):
        lib_an = ws.load(f)
        if lib_an is not None and lib_an.ast is not None:
            n += len(_member_items(static_attrs(lib_an, lib_body(lib_an.ast))))
    return n


# -- the argument set of a call -----------------------------------------------------------------

def _formal_items(an: Analysis, offset: int, node, values: float | None = None,
                  budget: float = 2.0) -> list[CompletionItem] | None:
    """Formal names for `f { | }` when `f` is a known function; None elsewhere.
    The function is known from the source, or else (with `values`) by evaluating it."""
    if type(node) is not A.Attrs:
        return None
    call, index = _call_of(an, offset, node)
    if call is None:
        return None
    found = _called_lambda(an, call, index)
    if found is not None:
        lam_an, lam, via = found
        if not lam.formals:
            return None
        formals = [(f.name, lam_an.text[f.default.span.start:f.default.span.end] if f.default else None,
                    doc_of(lam_an, f) or "") for f in lam.formals]
    elif values is not None:
        formals = _evaluated_formals(an, call, index, values, budget)
        via = "evaluated"
        if not formals:
            return None
    else:
        return None
    given = set()
    for name, d in node.attrs.items():
        ns = d.name_span or d.span
        if not (ns.start <= offset <= ns.end):
            given.add(name)
    out = []
    for name, default, docs in formals:
        if name in given:
            continue
        if default is not None:
            txt = default
            if len(txt) > 40 or "\n" in txt:
                txt = txt.split("\n")[0][:39] + "…"
            detail, rank = f"optional argument, default: {txt}", "1"
        elif via == "callPackage":
            detail, rank = "argument (callPackage fills it from the package set)", "1"
        else:
            detail, rank = "required argument", "0"
        out.append(CompletionItem(name, "field", detail, docs, f"0{rank}{name}"))
    out.append(CompletionItem("inherit", "keyword", "keyword", "", "3inherit"))
    return out


def _evaluated_formals(an: Analysis, call: A.Call, index: int, wait: float, budget: float) -> list | None:
    """[(name, default text, "")] of the function the argument `index` of `call` is
    given to, found by evaluating the function (and the arguments before it)."""
    from .values import probe_for, result_within
    parts = [call.fn] + list(call.args[:index])
    text = " ".join("(" + an.text[p.span.start:p.span.end] + "\n)" for p in parts)
    res = result_within(probe_for(an, call.span.start, text, [p.span for p in parts]), "formals", wait, budget)
    if res.status != "ok" or not res.formals:
        return None
    return [(name, default, "") for name, default in res.formals]


def _call_of(an: Analysis, offset: int, attrs: A.Attrs):
    """(Call, index of `attrs` among its arguments) when `attrs` is an argument."""
    path = node_path(an, offset)
    for k in range(1, len(path)):
        if path[k] is attrs and type(path[k - 1]) is A.Call:
            for i, a in enumerate(path[k - 1].args):
                if a is attrs:
                    return path[k - 1], i
    return None, -1


def _called_lambda(an: Analysis, call: A.Call, index: int):
    """(analysis, Lambda whose formals the argument `index` of `call` fills, how)."""
    fn = call.fn
    args = call.args
    via = "call"
    if type(fn) is A.Var and fn.binding is None and not fn.from_with and fn.name == "import" and args:
        target = import_target(an, args[0])
        if target is None or target.ast is None:
            return None
        an, lam, index = target, target.ast, index - 1
    elif callee_name(fn) in ("callPackage", "callPackages") and args and type(args[0]) is A.Path and index == 1:
        target = an.workspace.load(path_target(an, args[0])) if an.workspace is not None else None
        if target is None or target.ast is None:
            return None
        return (target, target.ast, "callPackage") if type(target.ast) is A.Lambda else None
    else:
        found = _function_of(an, fn)
        if found is None:
            return None
        an, lam = found
    for _ in range(index):
        if type(lam) is not A.Lambda:
            return None
        lam = lam.body
    return (an, lam, via) if type(lam) is A.Lambda else None


def _function_of(an: Analysis, node, depth: int = 0):
    """(analysis, Lambda) for an expression that is statically a function, also
    through a name bound to `import ./file.nix`."""
    if depth > 16 or node is None:
        return None
    t = type(node)
    if t is A.Lambda:
        return an, node
    if t is A.Var and type(node.binding) is A.AttrDef and node.binding.kind == A.PLAIN:
        return _function_of(an, node.binding.value, depth + 1)
    if t is A.Call and type(node.fn) is A.Var and node.fn.name == "import" and node.fn.binding is None \
            and not node.fn.from_with and len(node.args) == 1:
        target = import_target(an, node.args[0])
        if target is None or target.ast is None:
            return None
        return _function_of(target, target.ast, depth + 1)
    try:
        return static_lambda(an, node, Seen())
    except RecursionError:
        return None


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
