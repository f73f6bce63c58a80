"""Static name resolution (Nix's `bindVars`), shared by the compiler and the IDE.

How it works
------------
Nix resolves every variable before evaluating anything. Scopes are static:
`let`, `rec { }`, a lambda's argument and formals each open a scope whose
names are known from the text. `with e;` is different: the names it brings
are only known when `e` is evaluated, so it opens a *dynamic* scope. A
variable is looked up from the innermost scope outwards, skipping `with`
scopes; the first static scope that has the name wins, even when a `with`
is nearer (so `let x = 1; in with { x = 2; }; x` is 1). If no static scope
has it but some `with` encloses it, the lookup is deferred to run time,
innermost `with` first. If neither, it is an error now: "undefined variable".

`resolve()` walks the tree in the same order as C++ Nix's bindVars (so the
first undefined variable reported is the one Nix reports), and fills each
`Var` with `level` (scopes up), `index` (slot in that scope) or `from_with`,
and `binding` (the Formal / AttrDef / Lambda that defines it, for editors).

The order Nix visits attributes in is its symbol order, i.e. the order in
which names were first interned; the parser's builder records that order
and passes it here as `symbol_order`.
"""
from __future__ import annotations

from .. import errors
from ..source import Source
from ..syntax import ast as A
from .globals import GLOBAL_NAMES


class Scope:
    __slots__ = ("names", "parent", "is_with", "node")

    def __init__(self, names: dict, parent: "Scope | None", is_with: bool = False, node=None):
        self.names = names          # name -> (index, binding)
        self.parent = parent
        self.is_with = is_with
        self.node = node


def global_scope() -> Scope:
    return Scope({n: (i, None) for i, n in enumerate(sorted(GLOBAL_NAMES))}, None)


# nodes with no subexpression and no name to look up (the loops over many
# children skip them without calling `_walk`)
_LEAVES = (A.Int, A.Float, A.Str, A.Path, A.CurPos, A.Missing, A.InheritFrom)
_LEAF = frozenset(_LEAVES)
_Var = A.Var
_PLAIN, _INHERITED = A.PLAIN, A.INHERITED


class Resolver:
    """One walk over a tree. `_walk` dispatches on the node's type through
    `_VISIT` (type -> method); a `Var` is looked up in place, the commonest
    case."""

    def __init__(self, source: Source, symbol_order: dict[str, int] | None = None,
                 recover: bool = False, extra_globals=()):
        self.source = source
        self.order = symbol_order or {}
        self.recover = recover
        self.diagnostics: list[errors.NixError] = []
        self.root = global_scope()
        for n in extra_globals:
            self.root.names.setdefault(n, (len(self.root.names), None))

    def _sorted(self, attrs: A.Attrs) -> list:
        """The definitions of `attrs` in Nix's order (symbol order)."""
        items = attrs.attrs.items()
        if len(items) < 2:
            return list(items)
        order = self.order
        d = attrs.attrs
        try:
            return [(k, d[k]) for k in sorted(d, key=order.__getitem__)]
        except KeyError:       # a name the builder did not intern: first
            return sorted(items, key=lambda kv: order.get(kv[0], -1))

    def resolve(self, node: A.Node) -> None:
        self._walk(node, self.root)

    def _walk(self, n: A.Node, scope: Scope) -> None:
        t = type(n)
        if t is _Var:
            # the innermost static scope that has the name (`with` scopes skipped)
            name = n.name
            level = 0
            s = scope
            while s is not None:
                if not s.is_with:
                    hit = s.names.get(name)
                    if hit is not None:
                        n.level, n.index, n.binding = level, hit[0], hit[1]
                        n.from_with = False
                        return
                s = s.parent
                level += 1
            self._dynamic(n, scope)
            return
        visit = _VISIT.get(t)
        if visit is not None:
            visit(self, n, scope)
        else:
            for c in A.children(n):
                self._walk(c, scope)

    def _dynamic(self, var: A.Var, scope: Scope) -> None:
        """A name no static scope has: looked up at run time in the `with`
        scopes around it, innermost first, or else undefined now."""
        with_levels = []
        level = 0
        s = scope
        while s is not None:
            if s.is_with:
                with_levels.append(level)
            s = s.parent
            level += 1
        if not with_levels:
            name = var.name
            err = errors.UndefinedVariable(f"undefined variable '{name}'", self.source, var.span).tagged(
                "undefined-variable", name=name)
            if not self.recover:
                raise err
            self.diagnostics.append(err)
            return
        var.level = with_levels[0]
        var.from_with = True
        var.with_levels = tuple(with_levels)

    def _select(self, n: A.Select, scope: Scope) -> None:
        walk = self._walk
        walk(n.expr, scope)
        if n.default is not None:
            walk(n.default, scope)
        for an in n.path:
            if an.expr is not None:
                walk(an.expr, scope)

    def _has_attr(self, n: A.HasAttr, scope: Scope) -> None:
        walk = self._walk
        walk(n.expr, scope)
        for an in n.path:
            if an.expr is not None:
                walk(an.expr, scope)

    def _binop(self, n: A.BinOp, scope: Scope) -> None:
        self._walk(n.lhs, scope)
        self._walk(n.rhs, scope)

    def _call(self, n: A.Call, scope: Scope) -> None:
        walk = self._walk
        walk(n.fn, scope)
        for a in n.args:
            if type(a) not in _LEAF:
                walk(a, scope)

    def _list(self, n: A.List, scope: Scope) -> None:
        elems = n.elems
        walk = self._walk
        for e in (elems.exprs() if type(elems) is A.ListElems else elems):
            if type(e) not in _LEAF:
                walk(e, scope)

    def _concat(self, n: A.ConcatStrings, scope: Scope) -> None:
        walk = self._walk
        for p in n.parts:
            if type(p) not in _LEAF:
                walk(p, scope)

    def _attrs(self, n: A.Attrs, scope: Scope) -> None:
        if n.rec:
            order = self._sorted(n)
            n.slots = [k for k, _ in order]
            inner = Scope({k: (i, d) for i, (k, d) in enumerate(order)}, scope, node=n)
            self._bind_attrs(n, inner, scope, order)
        else:
            inner = scope
            self._bind_attrs(n, scope, scope, self._sorted(n))
        for d in n.dynamic:
            self._walk(d.name, inner)
            self._walk(d.value, inner)

    def _let(self, n: A.Let, scope: Scope) -> None:
        attrs = n.attrs
        order = self._sorted(attrs)
        attrs.slots = [k for k, _ in order]
        inner = Scope({k: (i, d) for i, (k, d) in enumerate(order)}, scope, node=n)
        self._bind_attrs(attrs, inner, scope, order)
        self._walk(n.body, inner)

    def _lambda(self, n: A.Lambda, scope: Scope) -> None:
        names: dict = {}
        if n.arg is not None:
            names[n.arg] = (0, n)
        for f in n.formals or ():
            names.setdefault(f.name, (len(names), f))
        inner = Scope(names, scope, node=n)
        if n.formals:
            for f in sorted(n.formals, key=lambda f: (self.order.get(f.name, -1), f.start)):
                if f.default is not None:
                    self._walk(f.default, inner)
        self._walk(n.body, inner)

    def _with(self, n: A.With, scope: Scope) -> None:
        self._walk(n.env, scope)
        self._walk(n.body, Scope({}, scope, is_with=True, node=n))

    def _bind_attrs(self, attrs: A.Attrs, inner: Scope, outer: Scope, order: list | None = None) -> None:
        """ExprAttrs::bindVars / ExprLet::bindVars: inherit-from sources first,
        then each value in its scope (inherited names look outside)."""
        walk = self._walk
        for src in attrs.inherit_from:
            walk(src, inner)
        for _, d in (order if order is not None else self._sorted(attrs)):
            kind = d.kind
            if kind == _PLAIN:
                value = d.value
                if type(value) not in _LEAF:
                    walk(value, inner)
            elif kind == _INHERITED:
                walk(d.value, outer)


def _leaf(resolver, n, scope) -> None:
    pass


# a node's type -> the Resolver method that walks it; a table of plain
# functions, not of bound methods kept by each resolver: those made every
# resolver a reference cycle, which kept its source text alive when the
# cyclic collector is off (a one-shot evaluation)
_VISIT = {A.Select: Resolver._select, A.HasAttr: Resolver._has_attr, A.Attrs: Resolver._attrs,
          A.Let: Resolver._let, A.Lambda: Resolver._lambda, A.With: Resolver._with, A.Call: Resolver._call,
          A.List: Resolver._list, A.ConcatStrings: Resolver._concat, A.BinOp: Resolver._binop}
for _t in _LEAVES:
    _VISIT[_t] = _leaf


def resolve(node: A.Node, source: Source, symbol_order=None, recover: bool = False):
    r = Resolver(source, symbol_order, recover)
    r.resolve(node)
    return r
