"""Attribute-set builtins (attrNames, getAttr, listToAttrs, mapAttrs, ...)
and the small integer ones (bitAnd, bitOr, bitXor, ceil, floor).

Strictness follows C++ Nix: arguments are forced in Nix's order (so the
same error wins when several are wrong), attribute values are never forced
unless Nix forces them, and new values (mapAttrs, zipAttrsWith) are thunks.
Each argument check adds Nix's "while evaluating the ... argument passed to
builtins.X" trace frame to the error it raises.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

from .. import errors as E
from ..runtime.bigsets import BigDict, remove as big_remove
from ..runtime.calls import call2, lambda_frames
from ..runtime.positions import OneSpan, Positions, attr_position, merge_pos
from ..runtime.errors import type_error
from ..runtime.values import Attrs, Closure, CtxStr, PrimOp, PrimOpApp, Thunk, force, make_thunk
from ..syntax.printer import identifier
from . import builtin
from .core import want_int

INT_MIN = -(1 << 63)
_ABSENT = object()


@contextmanager
def _trace(message: str, source=None, span=None):
    """Add Nix's `… while evaluating ...` frame to an evaluation error raised inside."""
    try:
        yield
    except E.EvalError as e:
        e.add_frame(message, source, span)
        raise


def _arg_frame(nth: str, name: str) -> str:
    if nth:
        return f"while evaluating the {nth} argument passed to builtins.{name}"
    return f"while evaluating the argument passed to builtins.{name}"


def _string_no_ctx(v, source=None, span=None) -> str:
    """forceStringNoCtx: a string without context, as a plain `str`."""
    t = type(v)
    if t is str:
        return v
    if t is Thunk:
        v = v.force()
        t = type(v)
    if t is str:
        return v
    if t is not CtxStr:
        raise type_error("a string", v, source, span)
    if v.context:
        raise E.EvalError(f"the string '{v}' is not allowed to refer to a store path (such as "
                          f"'{sorted(v.context)[0]}')", source, span)
    return str(v)


# Like C++ Nix: forcing an attrset / list / function argument adds the "while
# evaluating" frame only to the type mismatch, forcing a string / int / float adds
# it to any error raised while evaluating the argument too.

def _arg_string(v, nth: str, name: str) -> str:
    try:
        return _string_no_ctx(v)
    except E.EvalError as e:
        raise e.add_frame(_arg_frame(nth, name))


def _arg_attrs(v, nth: str, name: str) -> Attrs:
    if type(v) is Thunk:
        v = v.force()
    if type(v) is not Attrs:
        raise type_error("a set", v).add_frame(_arg_frame(nth, name))
    return v


def _arg_list(v, nth: str, name: str) -> list:
    if type(v) is Thunk:
        v = v.force()
    if type(v) is not list:
        raise type_error("a list", v).add_frame(_arg_frame(nth, name))
    return v


def _arg_int(v, nth: str, name: str) -> int:
    try:
        return want_int(v)
    except E.EvalError as e:
        raise e.add_frame(_arg_frame(nth, name))


def _missing(name: str, context: str):
    err = E.MissingAttr(f"attribute '{identifier(name)}' missing")
    err.add_frame(context)
    return err


class _Fn:
    """The function argument of mapAttrs / zipAttrsWith, shared by the thunks
    they build, with the dict of second arguments `args`: `make_thunk(fn.run,
    name)` is the thunk of `f name args.${name}`, evaluated only when forced.
    The attribute's name is the thunk's environment (the dict is never
    changed once built), rather than a closure or a (name, value) tuple per
    attribute: a NixOS system's mapAttrs over package sets leave a million
    such thunks unforced, and the tuples were 57 MB of them.

    Nix applies the function to `name`, then the result to the value, from
    the call site `determinePos` gives: the lambda's own position once the
    argument is evaluated, none while it is still a thunk (a lambda written
    in place of the argument is one in C++ Nix until its first use).

    A lambda `name: value: ...` (the usual case) is entered at its inner
    body, as call2 would enter it: `inner` is that inner lambda and `up`
    the outer one's environment, found by the first call, after which
    every call reports the lambda's position `pos`."""
    __slots__ = ("raw", "used", "ev", "args", "inner", "up", "pos")

    def run(self, name):
        """The code of the thunk of `name`."""
        inner = self.inner
        if inner is not None:
            pos = self.pos
        else:
            pos, f = self.first_use()
            inner = self.inner
            if inner is None:   # not `name: value: ...`
                return call2(self.ev, f, name, self.args[name], *pos)
        # (call2's call of `name: value: ...`, inline)
        ev = self.ev
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", *pos)
            try:
                return inner.body([[self.up, name], self.args[name]])
            except E.EvalError as e:
                raise lambda_frames(e, inner, *pos)
        finally:
            ev.depth -= 1

    def first_use(self):
        """(the position this call is made from, the forced function), on
        each call until one has found a lambda `name: value: ...`; that one
        sets `inner`, `up` and `pos` for the later calls."""
        raw = self.raw
        site = None
        if type(raw) is Thunk:
            if raw.code is None:
                site = raw.value
        elif self.used:
            site = raw
        self.used = True
        pos = site.lam.position() if type(site) is Closure else (None, None)
        f = raw.force() if type(raw) is Thunk else raw
        if type(f) is Closure:
            lam = f.lam
            inner = lam.inner
            if inner is not None and lam.formals is None and inner.formals is None:
                # (runtime.calls.curried_lambda's test, inline)
                self.pos = pos if site is f else lam.position()
                self.inner, self.up = inner, f.env
        return pos, f


_new = object.__new__


def _lazy_calls(ev, f, forced: bool, args):
    """A dict of the thunks `f name args.${name}`, one for each name of
    `args` (a dict), sharing one _Fn: `{k: make_thunk(fn.run, k) for k in args}`,
    made without a call of _Fn.__init__, nor of Thunk.__init__ (a Python
    frame per thunk: a third of the cost of a thunk; nixpkgs' by-name
    overlay maps 15,000 names in each of its 8 stdenv stages)."""
    code = _fn(ev, f, forced, args).run
    T = Thunk
    out = {}
    for k in args:
        out[k] = t = T()
        t.code = code
        t.value = k
    return out


def _lazy_call_list(ev, f, args: BigDict) -> list:
    """The values of `_lazy_calls(ev, f, False, args)` for a big set, in the
    order of its table, made as a list (no dict to build, then copy)."""
    code = _fn(ev, f, False, args).run
    T = Thunk
    out = []
    add = out.append
    for k in args.table.names:
        t = T()
        t.code = code
        t.value = k
        add(t)
    return out


def _fn(ev, f, forced: bool, args) -> _Fn:
    fn = _Fn()
    fn.ev = ev
    fn.raw = f
    fn.used = forced
    fn.args = args
    fn.inner = None
    return fn


# -- reading attrsets ---------------------------------------------------------------------

@builtin("attrNames", 1)
def _attr_names(ev, s):
    """The names of an attribute set, sorted alphabetically.
    `builtins.attrNames { y = 1; x = 2; }` is `[ "x" "y" ]`."""
    d = _arg_attrs(s, "", "attrNames").d
    if type(d) is BigDict:
        return d.table.sorted_names()   # lists are never changed: the table's own
    return sorted(d)


@builtin("attrValues", 1)
def _attr_values(ev, s):
    """The values of an attribute set, in the alphabetical order of their names.
    `builtins.attrValues { y = 1; x = 2; }` is `[ 2 1 ]`."""
    d = _arg_attrs(s, "", "attrValues").d
    if type(d) is BigDict:
        index = d.table.index
        return list(map(d.vals.__getitem__, map(index.__getitem__, d.table.sorted_names())))
    return [d[k] for k in sorted(d)]


@builtin("getAttr", 2)
def _get_attr(ev, name, s):
    """The attribute with a computed name, failing when it is missing (what `s.${name}` does).
    `builtins.getAttr "x" { x = 1; }` is `1`."""
    key = _arg_string(name, "first", "getAttr")
    d = _arg_attrs(s, "second", "getAttr").d
    if key not in d:
        raise _missing(key, "in the attribute set under consideration")
    v = d[key]
    return v.force() if type(v) is Thunk else v


@builtin("hasAttr", 2)
def _has_attr(ev, name, s):
    """Whether a set has an attribute with a computed name (what `s ? ${name}` does).
    `builtins.hasAttr "x" { x = 1; }` is `true`."""
    key = _arg_string(name, "first", "hasAttr")
    return key in _arg_attrs(s, "second", "hasAttr").d


@builtin("catAttrs", 2)
def _cat_attrs(ev, name, lst):
    """The values of one attribute in each set of a list, skipping the sets that lack it.
    `builtins.catAttrs "a" [ { a = 1; } { b = 0; } { a = 2; } ]` is `[ 1 2 ]`."""
    key = _arg_string(name, "first", "catAttrs")
    items = lst.force() if type(lst) is Thunk else lst
    if type(items) is not list:
        items = _arg_list(items, "second", "catAttrs")
    out = []
    try:
        for e in items:
            a = e.force() if type(e) is Thunk else e
            if type(a) is not Attrs:
                raise type_error("a set", a)
            w = a.d.get(key, _ABSENT)
            if w is not _ABSENT:
                out.append(w)
    except E.EvalError as err:
        err.add_frame("while evaluating an element in the list passed as second argument to "
                      "builtins.catAttrs")
        raise
    return out


@builtin("unsafeGetAttrPos", 2)
def _unsafe_get_attr_pos(ev, name, s):
    """Where an attribute was defined, as `{ file; line; column; }`, or `null` when unknown
    (or when the code was not read from a file).
    `builtins.unsafeGetAttrPos "x" { x = 1; }` gives the position of `x`."""
    key = _arg_string(name, "first", "unsafeGetAttrPos")
    a = _arg_attrs(s, "second", "unsafeGetAttrPos")
    if key not in a.d:
        return None
    hit = attr_position(a.pos, key)
    if hit is None:
        return None
    return position_value(*hit)


def position_value(source, span):
    """Nix's mkPos: `{ column; file; line; }`, or null outside a file (`-E`, stdin)."""
    if source is None or span is None or not source.origin.startswith("/"):
        return None
    line, col = source.line_col(span.start)
    return Attrs({"column": col, "file": source.origin, "line": line})


# -- building attrsets ----------------------------------------------------------------------

@builtin("removeAttrs", 2)
def _remove_attrs(ev, s, names):
    """A copy of a set without the named attributes (names it lacks are ignored).
    `builtins.removeAttrs { x = 1; y = 2; } [ "x" "z" ]` is `{ y = 2; }`."""
    a = s.force() if type(s) is Thunk else s
    if type(a) is not Attrs:
        a = _arg_attrs(a, "first", "removeAttrs")
    items = names.force() if type(names) is Thunk else names
    if type(items) is not list:
        items = _arg_list(items, "second", "removeAttrs")
    for e in items:
        if type(e) is not str:
            drop = set()
            try:
                for e in items:
                    drop.add(_string_no_ctx(e))
            except E.EvalError as err:
                raise err.add_frame("while evaluating the values of the second argument passed to "
                                    "builtins.removeAttrs")
            break
    else:
        drop = set(items)   # (plain strings, the usual case: no call per name)
    d = a.d
    if d.keys().isdisjoint(drop):    # (the smaller of the two is walked)
        return a
    if type(d) is BigDict:
        return Attrs(big_remove(d, drop), a.pos)
    kept = d.copy()
    for k in d.keys() & drop:
        del kept[k]
    out = _new(Attrs)     # (fewer names than a dict, which has fewer than bigsets.BIG)
    out.d = kept
    out.pos = a.pos
    return out


@builtin("listToAttrs", 1)
def _list_to_attrs(ev, lst):
    """A set from a list of `{ name = ...; value = ...; }` pairs; when a name repeats,
    the first pair wins. `builtins.listToAttrs [ { name = "x"; value = 1; } ]` is `{ x = 1; }`."""
    items = _arg_list(lst, "", "listToAttrs")
    # like Nix 2.36: every element's name first, then (in name order) the `value`
    # of each name's first occurrence, so a missing `name` is reported before a missing `value`
    first: dict[str, Attrs] = {}
    for e in items:
        a = e.value if type(e) is Thunk and e.code is None else force(e)
        if type(a) is not Attrs:
            raise type_error("a set", a).add_frame(
                "while evaluating an element of the list passed to builtins.listToAttrs")
        name = a.d.get("name", _ABSENT)
        if type(name) is Thunk and name.code is None:
            name = name.value
        if type(name) is str:
            key = name
        elif name is _ABSENT:
            raise _missing("name", "in a {name=...; value=...;} pair")
        else:
            try:
                key = _string_no_ctx(name)
            except E.EvalError as err:
                source, span = attr_position(a.pos, "name") or (None, None)
                err.at(source, span).add_frame("while evaluating the `name` attribute of an element of "
                                               "the list passed to builtins.listToAttrs", source, span)
                raise
        if key not in first:
            first[key] = a
    d = {}
    for key in sorted(first):
        value = first[key].d.get("value", _ABSENT)
        if value is _ABSENT:
            raise _missing("value", "in a {name=...; value=...;} pair")
        d[key] = value
    return Attrs(d, _value_positions(first, d))


def _value_positions(first: dict, d: dict):
    """The positions of listToAttrs' result: each value is where its pair's
    `value` was defined. Pairs are mostly built by one attrset expression:
    then that is one span for all (looked up once per positions object)."""
    hits: dict[int, tuple | None] = {}
    for a in first.values():
        if id(a.pos) not in hits:
            hits[id(a.pos)] = attr_position(a.pos, "value")
    distinct = set(hits.values())
    if len(distinct) == 1:
        hit = distinct.pop()
        return None if hit is None else Positions(hit[0], OneSpan(hit[1], d))
    by_source: dict[int, tuple] = {}    # id(source) -> (source, {name: span})
    for key in d:
        hit = hits[id(first[key].pos)]
        if hit is not None:
            entry = by_source.get(id(hit[0]))
            if entry is None:
                by_source[id(hit[0])] = entry = (hit[0], {})
            entry[1][key] = hit[1]
    pos = None
    for source, spans in by_source.values():
        pos = merge_pos(pos, Positions(source, spans))
    return pos




@builtin("mapAttrs", 2)
def _map_attrs(ev, f, s):
    """Apply a function to every attribute's name and value, lazily.
    `builtins.mapAttrs (name: value: value * 10) { x = 1; }` is `{ x = 10; }`."""
    if type(s) is Thunk:
        s = s.force()
    d = (s if type(s) is Attrs else _arg_attrs(s, "second", "mapAttrs")).d
    if type(d) is BigDict:
        return Attrs(BigDict(d.table, _lazy_call_list(ev, f, d)))
    # a dict has fewer than bigsets.BIG names (Attrs made it a BigDict
    # otherwise), and so has the result: Attrs.__init__'s test not needed
    out = _new(Attrs)
    out.d = _lazy_calls(ev, f, False, d)
    out.pos = None
    return out


@builtin("intersectAttrs", 2)
def _intersect_attrs(ev, e1, e2):
    """The attributes of the second set whose names also appear in the first.
    `builtins.intersectAttrs { x = 0; } { x = 1; y = 2; }` is `{ x = 1; }`."""
    left = _arg_attrs(e1, "first", "intersectAttrs").d
    right = _arg_attrs(e2, "second", "intersectAttrs")
    r = right.d
    if len(left) < len(r):
        d = {k: r[k] for k in left if k in r}
    else:
        d = {k: v for k, v in r.items() if k in left}
    return Attrs(d, right.pos)


@builtin("zipAttrsWith", 2)
def _zip_attrs_with(ev, f, lst):
    """Merge a list of sets: for each name, call the function with the name and the
    list of that attribute's values. `builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; } ]`
    is `{ a = [ 1 2 ]; }`."""
    fv = f.force() if type(f) is Thunk else f
    if type(fv) not in (Closure, PrimOp, PrimOpApp) and not (type(fv) is Attrs and "__functor" in fv.d):
        raise type_error("a function", fv).add_frame(_arg_frame("first", "zipAttrsWith"))
    items = lst.force() if type(lst) is Thunk else lst
    if type(items) is not list:
        items = _arg_list(items, "second", "zipAttrsWith")
    groups: dict[str, list] = {}
    try:
        for e in items:
            a = e.force() if type(e) is Thunk else e
            if type(a) is not Attrs:
                raise type_error("a set", a)
            for k, v in a.d.items():
                g = groups.get(k)
                if g is None:
                    groups[k] = [v]
                else:
                    g.append(v)
    except E.EvalError as err:
        err.add_frame("while evaluating a value of the list passed as second argument to "
                      "builtins.zipAttrsWith")
        raise
    return Attrs(_lazy_calls(ev, f, True, groups))


@builtin("functionArgs", 1)
def _function_args(ev, f):
    """The formal arguments of a function taking a set: each name maps to whether it has
    a default. `builtins.functionArgs ({ a, b ? 1 }: a)` is `{ a = false; b = true; }`."""
    fn = force(f)
    t = type(fn)
    if t is PrimOp or t is PrimOpApp:
        return Attrs({})
    if t is not Closure:
        raise E.TypeError_("'functionArgs' requires a function")
    lam = fn.lam
    if lam.formals is None:
        return Attrs({})
    d = {name: default is not None for name, _slot, default in lam.formals}
    node_formals = getattr(lam.node, "formals", None) or []
    spans = {fm.name: fm.span for fm in node_formals if fm.span is not None}
    return Attrs(d, Positions(lam.source, spans) if spans else None)


# -- integers -------------------------------------------------------------------------------

@builtin("bitAnd", 2)
def _bit_and(ev, a, b):
    """Bitwise AND of two integers: `builtins.bitAnd 12 10` is `8`."""
    return _arg_int(a, "first", "bitAnd") & _arg_int(b, "second", "bitAnd")


@builtin("bitOr", 2)
def _bit_or(ev, a, b):
    """Bitwise OR of two integers: `builtins.bitOr 12 10` is `14`."""
    return _arg_int(a, "first", "bitOr") | _arg_int(b, "second", "bitOr")


@builtin("bitXor", 2)
def _bit_xor(ev, a, b):
    """Bitwise exclusive OR of two integers: `builtins.bitXor 12 10` is `6`."""
    return _arg_int(a, "first", "bitXor") ^ _arg_int(b, "second", "bitXor")


def _round(v, name: str, fn):
    with _trace(_arg_frame("first", name)):
        x = force(v)
        if type(x) is not int and type(x) is not float:
            raise type_error("a float", x)
    # Nix converts to a float first, so huge integers lose precision like there
    r = fn(float(x)) if not (math.isnan(x) or math.isinf(x)) else x
    if INT_MIN <= r < -INT_MIN:
        return int(r)
    if type(x) is int:
        return x
    raise E.EvalError(f"NixFloat '{_show_float(r)}' is out of range for NixInt")


def _show_float(f: float) -> str:
    from ..runtime.printer import format_float
    return format_float(f)


@builtin("ceil", 1)
def _ceil(ev, v):
    """Round a number up to the nearest integer: `builtins.ceil 1.2` is `2`."""
    return _round(v, "ceil", math.ceil)


@builtin("floor", 1)
def _floor(ev, v):
    """Round a number down to the nearest integer: `builtins.floor 1.8` is `1`."""
    return _round(v, "floor", math.floor)
