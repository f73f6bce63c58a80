"""Compiling attrsets, `rec { }`, `let`, `with` and lists.

A `rec { }` or `let` is a frame of its own: its slots are filled in order
with lazy values that may refer to the frame itself. An attrset keeps the
spans of its attributes (runtime.positions) for errors and
`unsafeGetAttrPos`.
"""
from __future__ import annotations

from functools import partial

from .. import errors as E
from ..syntax import ast as A
from ..syntax.printer import identifier
from ..runtime.errors import type_error
from ..runtime.positions import Positions
from ..runtime.bigsets import BIG, BigDict, table_for
from ..runtime.values import UNSET, Attrs, CtxStr, Thunk, force, make_thunk
from .selection import inherited_select

_new = object.__new__

# attrsets with more attributes than this compile each value when it is first used
DEFER_ABOVE = 8


class AttrsetRules:
    """Compiler methods for `A.Attrs`, `A.Let`, `A.With` and `A.List`."""

    # -- attrsets, let, with ---------------------------------------------------------------------
    def _attr_builders(self, attrs: A.Attrs, inner_level_shift: bool):
        """(name, make(env_values, env_outer, srcs) -> value or thunk) for each attribute."""
        out = []
        defer = len(attrs.attrs) > DEFER_ABOVE
        for name, d in attrs.attrs.items():
            if type(d) is A.LazyAttrDef and not d.loaded():
                # still pickled (a big attrset loaded from the parse cache):
                # unpickled, named and compiled when first forced
                out.append((name, d, ("inner", self.lazy_def(d, name))))
                continue
            self._name_lambdas(d.value, name)
            if d.kind == A.INHERITED_FROM:
                # the code of its thunks made once here: their environment
                # is the source set
                out.append((name, d, ("from", d.value.expr.index, inherited_select(name, self.source, d.span))))
            elif d.kind == A.INHERITED:
                out.append((name, d, ("outer", self.lazy(d.value))))
            elif attrs.rec and "__overrides" in attrs.attrs and type(d.value) is A.Var:
                # `__overrides` replaces slots after the attributes are made, so
                # an attribute that is just another one's name must look it up
                # when forced instead of sharing that attribute's thunk now
                code = self.compile(d.value)
                out.append((name, d, ("inner", partial(make_thunk, code))))
            else:
                out.append((name, d, ("inner", self.lazy(d.value, defer))))
        return out

    def c_Attrs(self, n: A.Attrs):
        source = self.source
        srcs = [self.lazy(s) for s in n.inherit_from]
        items = self._attr_builders(n, n.rec)
        dyn = [(self.compile(d.name), self.lazy(d.value), d.span) for d in n.dynamic]
        name_value = self._name_value
        rec = n.rec
        slot_of = {name: i + 1 for i, name in enumerate(n.slots)} if rec else None
        nslots = len(n.slots) if rec else 0
        poses = {name: d.span for name, d in n.attrs.items()}
        shared_pos = Positions(source, poses)
        if not rec and not dyn:
            return _build_plain(items, srcs, shared_pos)


        def build(env, dyn=dyn, items=items, nslots=nslots, poses=poses, rec=rec, shared_pos=shared_pos, slot_of=slot_of, source=source, srcs=srcs):
            if rec:
                inner = vals = [UNSET] * (nslots + 1)
                vals[0] = env
            else:
                inner = env
            src_vals = [mk(inner) for mk in srcs]
            d = {}
            for name, adef, how in items:
                kind = how[0]
                if kind == "inner":
                    v = how[1](inner)
                elif kind == "outer":
                    v = how[1](env)
                else:
                    v = make_thunk(how[2], src_vals[how[1]])
                d[name] = v
                if rec:
                    vals[slot_of[name]] = v
            if rec and "__overrides" in d:
                over = force(d["__overrides"])
                if type(over) is not Attrs:
                    raise type_error("a set", over).add_frame("while evaluating the `__overrides` attribute")
                for k, v in over.d.items():
                    d[k] = v
                    if k in slot_of:
                        vals[slot_of[k]] = v
            if not dyn:
                return Attrs(d, shared_pos)
            pos = dict(poses)
            for name_code, value_code, span in dyn:
                nv = force(name_code(inner))
                if nv is None:
                    continue
                if type(nv) not in (str, CtxStr):
                    raise type_error("a string", nv, source, span)
                key = str(nv)
                if key in d:
                    raise E.EvalError(f"dynamic attribute '{identifier(key)}' already defined at "
                                      f"{source.location(pos[key].start)}", source, span)
                d[key] = value_code(inner)
                pos[key] = span
            return Attrs(d, Positions(source, pos))
        return build

    def c_Let(self, n: A.Let):
        attrs = n.attrs
        srcs = [self.lazy(s) for s in attrs.inherit_from]
        items = self._attr_builders(attrs, True)
        slot_of = {name: i + 1 for i, name in enumerate(attrs.slots)}
        nslots = len(attrs.slots)
        body = self.compile(n.body)
        plan = [(slot_of[name], adef, how) for name, adef, how in items]
        if not srcs and all(how[0] == "inner" for _, _, how in plan):
            # only `name = value;` bindings: fill the frame in order
            simple = [(slot, how[1]) for slot, _, how in plan]

            def let_simple(env, nslots=nslots, simple=simple, body=body):
                inner = [UNSET] * (nslots + 1)
                inner[0] = env
                for slot, mk in simple:
                    inner[slot] = mk(inner)
                return body(inner)
            return let_simple

        def let(env, body=body, nslots=nslots, plan=plan, srcs=srcs):
            inner = vals = [UNSET] * (nslots + 1)
            vals[0] = env
            src_vals = [mk(inner) for mk in srcs]
            for slot, adef, how in plan:
                kind = how[0]
                if kind == "inner":
                    vals[slot] = how[1](inner)
                elif kind == "outer":
                    vals[slot] = how[1](env)
                else:
                    vals[slot] = make_thunk(how[2], src_vals[how[1]])
            return body(inner)
        return let

    def c_With(self, n: A.With):
        attrs = self.lazy(n.env)
        body = self.compile(n.body)
        return lambda env, body=body, attrs=attrs: body([env, attrs(env)])

    def c_List(self, n: A.List):
        if is_constant_list(n):
            # every evaluation gives the same list (see is_constant_list)
            v = [self.compile(e)(None) for e in n.elems]
            return lambda env, v=v: v
        elems = [self.lazy(e) for e in n.elems]
        if not elems:
            return lambda env: []
        if len(elems) == 1:
            e0, = elems
            return lambda env, e0=e0: [e0(env)]
        if len(elems) == 2:
            e0, e1 = elems
            return lambda env, e0=e0, e1=e1: [e0(env), e1(env)]
        return lambda env, elems=elems: [e(env) for e in elems]


# how _build_plain makes an attribute's value (the kinds of its plan)
_MADE, _THUNK, _DEFERRED, _FROM = range(4)


def _build_plain(items, srcs, shared_pos):
    """The code of the common `{ a = ...; inherit b; inherit (s) c; }` (not
    rec, no dynamic names): every value is made in the enclosing frame;
    positions are shared by every set this code builds. The thunks it makes
    (the code of an expression, a deferred value of a big set, an `inherit
    (s)` selection) are made here, without a call of a maker and of
    Thunk.__init__ for each: nixpkgs' all-packages.nix makes 6,883 of them
    in each of its 8 stdenv stages. A set of BIG names or more gets its
    shared table of names (runtime.bigsets) once, here, rather than a dict
    converted in every evaluation."""
    plan = []
    for name, _, how in items:
        if how[0] == "from":
            plan.append((_FROM, how[1], how[2]))
            continue
        mk = how[1]
        code_of = getattr(mk, "code_of", None)     # closures' make_deferred
        if code_of is not None:
            plan.append((_DEFERRED, code_of, None))
        elif type(mk) is partial and mk.func is make_thunk and len(mk.args) == 1 and not mk.keywords:
            plan.append((_THUNK, mk.args[0], None))     # closures' partial(make_thunk, code)
        else:
            plan.append((_MADE, mk, None))
    names = tuple(name for name, _, _ in items)
    table = table_for(names) if len(names) >= BIG else None
    T = Thunk

    def build_plain(env):
        src_vals = [mk(env) for mk in srcs] if srcs else None
        vals = []
        add = vals.append
        for kind, a, b in plan:
            if kind == _MADE:
                add(a(env))
                continue
            t = T()
            if kind == _DEFERRED:
                t.code = a[0]
                t.value = env
            elif kind == _THUNK:
                t.code = a
                t.value = env
            else:
                # `inherit (s) name;` (selection.inherited_select)
                t.code = b
                t.value = src_vals[a]
            add(t)
        out = _new(Attrs)
        out.d = dict(zip(names, vals)) if table is None else BigDict(table, vals)
        out.pos = shared_pos
        return out
    return build_plain


_CONSTANTS = (A.Int, A.Float, A.Str, A.Path)


def is_constant_list(n) -> bool:
    """Whether `n` is a list literal of constants only (`[ ]`, `[ "$" ]`,
    `[ "item" "\\"" ]`). Nix lists are never changed in place (every
    builtin makes a new list or returns one it was given), so each
    evaluation of such a literal may give the very same list: no list made
    per evaluation, and builtins that remember a list by identity
    (replaceStrings' `from` list) recognise it. Where it is stored unforced
    it is still a thunk, as in Nix (`{ l = [ 1 ]; }` prints `l = <CODE>`
    without --strict)."""
    return type(n) is A.List and len(n.elems) <= 64 and all(type(e) in _CONSTANTS for e in n.elems)
