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
    __slots__ = ("names", "parent", "is_with", "node", "used")

    def __init__(self, names: dict, parent: "Scope | None", is_with: bool = False, node=None):
        self.names = names          # name -> (index, binding)
        self.parent = parent
        self.is_with = is_with
        self.node = node
        self.used: set[str] = set()


def global_scope() -> Scope:
    return Scope({n: (i, None) for i, n in enumerate(sorted(GLOBAL_NAMES))}, None)


class Resolver:
    def __init__(self, source: Source, symbol_order: dict[str, int] | None = None,
                 recover: bool = False, extra_globals=()):
        self.source = source
        self.order = symbol_order or {}
        self.recover = recover
        self.diagnostics: list[errors.NixError] = []
        self.root = global_scope()
        for n in extra_globals:
            self.root.names.setdefault(n, (len(self.root.names), None))

    def _sorted(self, attrs: A.Attrs):
        order = self.order
        return sorted(attrs.attrs.items(), key=lambda kv: order.get(kv[0], -1))

    def resolve(self, node: A.Node) -> None:
        self._walk(node, self.root)

    def _lookup(self, var: A.Var, scope: Scope) -> None:
        level = 0
        with_level = -1
        with_levels = []
        s = scope
        while s is not None:
            if s.is_with:
                with_levels.append(level)
                if with_level == -1:
                    with_level = level
            else:
                hit = s.names.get(var.name)
                if hit is not None:
                    var.level, var.index, var.binding = level, hit[0], hit[1]
                    var.from_with = False
                    s.used.add(var.name)
                    return
            s = s.parent
            level += 1
        if with_level == -1:
            err = errors.UndefinedVariable(f"undefined variable '{var.name}'", self.source, var.span).tagged(
                "undefined-variable", name=var.name)
            if not self.recover:
                raise err
            self.diagnostics.append(err)
            return
        var.level = with_level
        var.from_with = True
        var.with_levels = tuple(with_levels)

    def _walk(self, n: A.Node, scope: Scope) -> None:
        t = type(n)
        if t is A.Var:
            self._lookup(n, scope)
        elif t in (A.Int, A.Float, A.Str, A.Path, A.CurPos, A.Missing, A.InheritFrom):
            pass
        elif t is A.Select:
            self._walk(n.expr, scope)
            if n.default is not None:
                self._walk(n.default, scope)
            for an in n.path:
                if an.expr is not None:
                    self._walk(an.expr, scope)
        elif t is A.HasAttr:
            self._walk(n.expr, scope)
            for an in n.path:
                if an.expr is not None:
                    self._walk(an.expr, scope)
        elif t is A.Attrs:
            if n.rec:
                order = self._sorted(n)
                n.slots = [k for k, _ in order]
                inner = Scope({k: (i, d) for i, (k, d) in enumerate(order)}, scope, node=n)
                self._bind_attrs(n, inner, scope)
                for d in n.dynamic:
                    self._walk(d.name, inner)
                    self._walk(d.value, inner)
            else:
                self._bind_attrs(n, scope, scope)
                for d in n.dynamic:
                    self._walk(d.name, scope)
                    self._walk(d.value, scope)
        elif t is A.Let:
            attrs = n.attrs
            order = self._sorted(attrs)
            attrs.slots = [k for k, _ in order]
            inner = Scope({k: (i, d) for i, (k, d) in enumerate(order)}, scope, node=n)
            self._bind_attrs(attrs, inner, scope)
            self._walk(n.body, inner)
        elif t is A.Lambda:
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
        elif t is A.With:
            self._walk(n.env, scope)
            self._walk(n.body, Scope({}, scope, is_with=True, node=n))
        else:
            for c in A.children(n):
                self._walk(c, scope)

    def _bind_attrs(self, attrs: A.Attrs, inner: Scope, outer: Scope) -> None:
        """ExprAttrs::bindVars / ExprLet::bindVars: inherit-from sources first,
        then each value in its scope (inherited names look outside)."""
        for src in attrs.inherit_from:
            self._walk(src, inner)
        for _, d in self._sorted(attrs):
            if d.kind == A.PLAIN:
                self._walk(d.value, inner)
            elif d.kind == A.INHERITED:
                self._walk(d.value, outer)


def resolve(node: A.Node, source: Source, symbol_order=None, recover: bool = False):
    r = Resolver(source, symbol_order, recover)
    r.resolve(node)
    return r
