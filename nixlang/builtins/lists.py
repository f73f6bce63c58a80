"""List builtins: map, filter, foldl', genList, length, head, tail, elem,
elemAt, concatLists, concatMap, sort, partition, groupBy, any, all and
genericClosure.

Each follows C++ Nix 2.36 (src/libexpr/primops.cc) in what it forces and in
which order, so that the same error wins when several arguments are wrong,
and adds the same `… while evaluating ...` trace lines to the errors.
Results stay lazy where Nix's are: `map` and `genList` build thunks.
"""
from __future__ import annotations

from .. import errors as E
from ..runtime.calls import apply_pending, call_function, caller, caller2, curried_lambda, lambda_frames, primop_failed
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.printer import print_value_short
from ..runtime.values import Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, force, make_thunk
from ..syntax.printer import identifier
from . import builtin
from .intgen import element_code


# -- forcing with Nix's trace lines --------------------------------------------------------
# forceList / forceAttrs add their context line to the type error only;
# forceFunction / forceInt / forceBool / forceString add it to any error
# raised while forcing, as in C++ Nix.

def _list(v, ctx: str, source=None, span=None) -> list:
    if type(v) is Thunk:
        v = v.force()
    if type(v) is not list:
        raise type_error("a list", v).add_frame(ctx, source, span)
    return v


def _function(v, ctx: str):
    t = type(v)
    if t is Thunk:
        if v.code is None:      # a forced thunk: its value
            v = v.value
        else:
            try:
                v = v.force()
            except E.EvalError as err:
                raise err.add_frame(ctx)
        t = type(v)
    if t is Closure or t is PrimOp or t is PrimOpApp or (t is Attrs and "__functor" in v.d):
        return v
    raise type_error("a function", v).add_frame(ctx)


def _attrs(v, ctx: str) -> Attrs:
    v = force(v)
    if type(v) is not Attrs:
        err = type_error("a set", v)
        if ctx:
            err.add_frame(ctx)
        raise err
    return v


def _int(v, ctx: str) -> int:
    if type(v) is int:
        return v
    try:
        if type(v) is Thunk:
            v = v.force()
        if type(v) is not int:
            raise type_error("an integer", v)
        return v
    except E.EvalError as err:
        raise err.add_frame(ctx)


def _bool(v, ctx: str) -> bool:
    try:
        v = force(v)
        if type(v) is not bool:
            raise type_error("a Boolean", v)
        return v
    except E.EvalError as err:
        raise err.add_frame(ctx)


def _string_no_ctx(v, ctx: str) -> str:
    try:
        v = force(v)
        if type(v) is not str and type(v) is not CtxStr:
            raise type_error("a string", v)
    except E.EvalError as err:
        raise err.add_frame(ctx)
    if type(v) is CtxStr and v.context:
        raise E.EvalError(f"the string '{v}' is not allowed to refer to a store path "
                          f"(such as '{sorted(map(str, v.context))[0]}')").add_frame(ctx)
    return str(v)


def _get_attr(a: Attrs, name: str, ctx: str):
    v = a.d.get(name)
    if v is None and name not in a.d:
        err = E.MissingAttr(f"attribute '{identifier(name)}' missing")
        if ctx:
            err.add_frame(ctx)
        raise err
    return v


def _fn_position(f):
    """Where a function value was defined (Value::determinePos), if known."""
    if type(f) is Closure:
        return f.lam.position()
    return None, None


def thunks(code, envs) -> list:
    """`[make_thunk(code, e) for e in envs]`, each thunk made bare in place."""
    out = []
    add = out.append
    T = Thunk
    for e in envs:
        t = T()
        t.code = code
        t.value = e
        add(t)
    return out


def _apply_thunk(ev, f, x, source=None, span=None):
    """A thunk for `f x`: Nix's mkApp, evaluated when (and if) it is forced.
    Nix reports such a call as made from where the function was defined."""
    return make_thunk(lambda _env: force(call_function(ev, f, x, source, span)), None)


def _apply_code(ev, f, source=None, span=None):
    """The code of `_apply_thunk` thunks for one `f`, to be shared by many:
    `make_thunk(code, x)` is the thunk of `f x` (its environment slot holds the
    argument), so a list of them costs one object per element."""
    apply = caller(ev, f, source, span)
    apply.pos = (source, span)   # where such a pending call is (value_position)
    return apply


# -- basic access --------------------------------------------------------------------------

@builtin("length", 1)
def _length(ev, xs):
    """The number of elements of a list; the elements are not evaluated.
    `builtins.length [ 1 2 3 ]` is `3`."""
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is list:
        return len(xs)
    return len(_list(xs, "while evaluating the first argument passed to builtins.length"))


@builtin("head", 1)
def _head(ev, xs):
    """The first element of a list; an empty list is an error.
    `builtins.head [ 1 2 3 ]` is `1`."""
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the first argument passed to 'builtins.head'")
    if not xs:
        raise E.EvalError("'builtins.head' called on an empty list").tagged("empty-list", builtin="head")
    x = xs[0]
    return x.force() if type(x) is Thunk else x


@builtin("tail", 1)
def _tail(ev, xs):
    """The list without its first element; an empty list is an error. It copies
    the list, so walking a list with `tail` is quadratic.
    `builtins.tail [ 1 2 3 ]` is `[ 2 3 ]`."""
    xs = _list(xs, "while evaluating the first argument passed to 'builtins.tail'")
    if not xs:
        raise E.EvalError("'builtins.tail' called on an empty list").tagged("empty-list", builtin="tail")
    return xs[1:]


@builtin("elemAt", 2)
def _elem_at(ev, xs, n):
    """The element at a zero-based index; an index outside the list is an error.
    `builtins.elemAt [ "a" "b" "c" ] 1` is `"b"`."""
    # (the type tests inline: lib's zipListsWith and sublist call it per element)
    i = n if type(n) is int else _int(n, "while evaluating the second argument passed to 'builtins.elemAt'")
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the first argument passed to 'builtins.elemAt'")
    if i < 0 or i >= len(xs):
        raise E.EvalError(f"'builtins.elemAt' called with index {i} on a list of size {len(xs)}").tagged(
            "index", index=i, size=len(xs))
    x = xs[i]
    return x.force() if type(x) is Thunk else x


@builtin("elem", 2)
def _elem(ev, x, xs):
    """Whether some element of the list equals the value (with `==`).
    `builtins.elem 2 [ 1 2 3 ]` is `true`."""
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the second argument passed to builtins.elem")
    if not xs:
        return False
    x = force(x)
    if type(x) is int or type(x) is str:
        # eqValues of an integer or a plain string: forced elements of the
        # same type compare here (a string with context is equal by its text
        # too), the rest as ops.equal says
        t = type(x)
        for e in xs:
            if type(e) is Thunk:
                e = e.force()
            te = type(e)
            if te is t or (te is CtxStr and t is str):
                if e == x:
                    return True
            elif ops.equal(x, e):
                return True
        return False
    for e in xs:
        if ops.equal(x, e):
            return True
    return False


# -- building lists ------------------------------------------------------------------------

@builtin("genList", 2)
def _gen_list(ev, f, n):
    """A list of the given length whose element `i` is `f i`, each computed only
    when used. `builtins.genList (i: i * i) 4` is `[ 0 1 4 9 ]`."""
    size = n if type(n) is int else _int(n, "while evaluating the second argument passed to builtins.genList")
    if size < 0:
        raise E.EvalError(f"cannot create list of size {size}")
    f = _function(f, "while evaluating the first argument passed to builtins.genList")
    code = _apply_code(ev, f, *_fn_position(f))
    # (`n: first + n`, `i: i * 2`: each element computed by a small function, intgen)
    code = element_code(ev, f, code, size) or code
    return thunks(code, range(size))


@builtin("map", 2)
def _map(ev, f, xs):
    """Apply a function to every element of a list. Lazy: the function is called
    on an element only when that element is used.
    `map (x: x * 2) [ 1 2 3 ]` is `[ 2 4 6 ]`."""
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the second argument passed to builtins.map")
    if not xs:
        return xs
    if type(f) is not Closure:
        f = _function(f, "while evaluating the first argument passed to builtins.map")
    if len(xs) == 1:
        # (lib.escape [ "$" ], the module system's definitions: one each call)
        return [make_thunk(apply_pending, (ev, f, xs[0]))]
    pos = f.lam.position() if type(f) is Closure else (None, None)
    code = caller(ev, f, *pos)     # (_apply_code, inline)
    code.pos = pos
    return thunks(code, xs)


@builtin("filter", 2)
def _filter(ev, f, xs):
    """The elements of a list for which the predicate returns `true`, in order.
    `builtins.filter (x: x > 1) [ 1 2 3 ]` is `[ 2 3 ]`."""
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the second argument passed to builtins.filter")
    if not xs:
        return xs
    if type(f) is not Closure:
        f = _function(f, "while evaluating the first argument passed to builtins.filter")
    ctx = "while evaluating the return value of the filtering function passed to builtins.filter"
    if type(f) is PrimOp and f.arity == 1:
        out = _filter_builtin(ev, f, xs, ctx)
    else:
        out = _call_each(ev, f, xs, ctx, None)
    return xs if len(out) == len(xs) else out


def _call_each(ev, f, xs: list, ctx: str, stop, lists: bool = False):
    """Call `f` on the elements in order. As a predicate, each result a
    Boolean (else a type error, with `ctx`): for filter (`stop` None) the
    elements it is true for; for any and all, None at the first element it
    gives `stop` for (True, False), which ends the walk, else []. With
    `lists` (concatMap), each result a list (else the type error, at the
    function): the non-empty ones."""
    out = []
    keep = stop is None
    if type(f) is Closure and f.lam.formals is None:
        # `x: ...`: its body entered directly (caller's work inline), each
        # call one deeper than the builtin, counted (and checked) once for
        # all, as every call starts at the same depth
        lam, up, call, deeper = f.lam, f.env, None, 1
        if ev.depth >= ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded")
    else:
        lam, up, call, deeper = None, None, caller(ev, f), 0
    ev.depth += deeper
    try:
        for x in xs:
            if lam is not None:
                try:
                    r = lam.body([up, x])
                except E.EvalError as e:
                    raise lambda_frames(e, lam, None, None)
            else:
                r = call(x)
            if lists:
                if type(r) is not list:
                    r = _list(r, ctx, *_fn_position(f))
                if r:
                    out.append(r)
                continue
            if r is not True and r is not False:
                r = _bool(r, ctx)
            if r is stop:
                return None
            if r is True and keep:
                out.append(x)
    finally:
        ev.depth -= deeper
    return out


def _filter_builtin(ev, p: PrimOp, xs: list, ctx: str) -> list:
    """filter's loop for a builtin predicate (`filter isString`): each call
    one deeper, as call_primop counts it, but the count and its check made
    once for the whole loop, as every call starts at the same depth."""
    fn = p.fn
    types = getattr(fn, "types", None)   # isString, isAttrs, ...: the types it accepts
    out = []
    ev.depth += 1
    try:
        if ev.depth > ev.max_call_depth:
            raise primop_failed(E.StackOverflow("stack overflow; max-call-depth exceeded"), p, None, None)
        for x in xs:
            if types is not None and type(x) is not Thunk:
                # a type test of a value: what the call would answer
                if type(x) in types:
                    out.append(x)
                continue
            try:
                r = fn(ev, x)
            except (E.EvalError, RecursionError) as e:
                raise primop_failed(e, p, None, None) from None
            if type(r) is Thunk:       # (forced where the call has returned)
                ev.depth -= 1
                try:
                    r = r.force()
                finally:
                    ev.depth += 1
            if r is True or (r is not False and _bool(r, ctx)):
                out.append(x)
    finally:
        ev.depth -= 1
    return out


@builtin("concatLists", 1)
def _concat_lists(ev, xss):
    """Join a list of lists into one list.
    `builtins.concatLists [ [ 1 2 ] [ ] [ 3 ] ]` is `[ 1 2 3 ]`."""
    if type(xss) is Thunk:
        xss = xss.force()
    if type(xss) is not list:
        xss = _list(xss, "while evaluating the first argument passed to builtins.concatLists")
    return _concat(xss, "while evaluating a value of the list passed to builtins.concatLists")


def _concat(lists, ctx: str, source=None, span=None) -> list:
    non_empty = []
    for l in lists:
        if type(l) is Thunk:
            l = l.force()
        if type(l) is not list:
            l = _list(l, ctx, source, span)
        if l:
            non_empty.append(l)
    return _joined(non_empty)


def _joined(non_empty: list) -> list:
    """The concatenation of non-empty lists; the one list itself when there
    is only one (lists are immutable values: sharing it is safe)."""
    if len(non_empty) == 1:
        return non_empty[0]
    out: list = []
    for l in non_empty:
        out.extend(l)
    return out


@builtin("concatMap", 2)
def _concat_map(ev, f, xs):
    """Apply a function that returns a list to every element and join the
    results; the same as `concatLists (map f xs)`.
    `builtins.concatMap (x: [ x x ]) [ 1 2 ]` is `[ 1 1 2 2 ]`."""
    if type(f) is not Closure:
        f = _function(f, "while evaluating the first argument passed to builtins.concatMap")
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the second argument passed to builtins.concatMap")
    ctx = "while evaluating the return value of the function passed to builtins.concatMap"
    return _joined(_call_each(ev, f, xs, ctx, None, lists=True)) if xs else []   # (_call_each: the non-empty results)


# -- folds and predicates ------------------------------------------------------------------

@builtin("foldl'", 3)
def _foldl_strict(ev, op, nul, xs):
    """Fold a list from the left: `foldl' op nul [ x0 x1 ]` is
    `op (op nul x0) x1`. Each intermediate result is evaluated right away
    (the start value and the elements are not forced by foldl' itself).
    `builtins.foldl' (acc: x: acc + x) 0 [ 1 2 3 ]` is `6`."""
    op = _function(op, "while evaluating the first argument passed to builtins.foldlStrict")
    if type(xs) is Thunk:
        xs = xs.force()
    if type(xs) is not list:
        xs = _list(xs, "while evaluating the third argument passed to builtins.foldlStrict")
    if not xs:
        return force(nul)
    acc = nul
    inner = op.lam.inner if type(op) is Closure and op.lam.formals is None else None
    if inner is None or inner.formals is not None:   # (runtime.calls.curried_lambda, inline)
        call = caller2(ev, op)
        for x in xs:
            acc = call(acc, x)
        return acc
    # `acc: x: ...`: its body entered directly, each call one deeper than
    # foldl' (call2), which is counted once for all
    up = op.env
    if ev.depth >= ev.max_call_depth:
        raise E.StackOverflow("stack overflow; max-call-depth exceeded")
    ev.depth += 1
    try:
        for x in xs:
            acc = inner.body([[up, acc], x])
    except E.EvalError as e:
        raise lambda_frames(e, inner, None, None)
    finally:
        ev.depth -= 1
    return acc


class _one_call_deeper:
    """The call depth of a builtin's calls of a function, counted once around
    all of them: each call is one deeper and none deeper still, so one check
    that this depth is allowed stands for the check of each call."""
    __slots__ = ("ev",)

    def __init__(self, ev):
        self.ev = ev

    def __enter__(self):
        ev = self.ev
        if ev.depth >= ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded")
        ev.depth += 1

    def __exit__(self, *exc):
        self.ev.depth -= 1
        return False


def _any_all(any_: bool, name: str, doc: str):
    """The builtin `any` (any_ True) or `all`."""
    first, second, ctx = (f"while evaluating the {what} passed to builtins.{name}"
                          for what in ("first argument", "second argument", "return value of the function"))

    def any_all(ev, f, xs):
        if type(f) is not Closure:
            f = _function(f, first)
        if type(xs) is Thunk:
            xs = xs.force()
        if type(xs) is not list:
            xs = _list(xs, second)
        if not xs:
            return not any_
        stopped = _call_each(ev, f, xs, ctx, any_) is None
        return any_ if stopped else not any_
    any_all.__doc__ = doc
    return builtin(name, 2)(any_all)


_any_all(True, "any", """Whether the predicate returns `true` for at least one element; stops at
    the first one that does. `builtins.any (x: x > 2) [ 1 2 3 ]` is `true`.""")
_any_all(False, "all", """Whether the predicate returns `true` for every element; stops at the
    first one that does not. `builtins.all (x: x > 0) [ 1 2 3 ]` is `true`.""")


@builtin("partition", 2)
def _partition(ev, f, xs):
    """Split a list by a predicate into `right` (the elements for which it
    returns `true`) and `wrong` (the others), keeping their order.
    `builtins.partition (x: x > 1) [ 1 2 3 ]` is
    `{ right = [ 2 3 ]; wrong = [ 1 ]; }`."""
    f = _function(f, "while evaluating the first argument passed to builtins.partition")
    xs = _list(xs, "while evaluating the second argument passed to builtins.partition")
    right, wrong = [], []
    ctx = "while evaluating the return value of the partition function passed to builtins.partition"
    call = caller(ev, f)
    for x in xs:
        force(x)
        (right if _bool(call(x), ctx) else wrong).append(x)
    return Attrs({"right": right, "wrong": wrong})


@builtin("groupBy", 2)
def _group_by(ev, f, xs):
    """Group the elements of a list by the string a function returns for each:
    an attribute set from those strings to lists of elements, in list order.
    `builtins.groupBy (s: builtins.substring 0 1 s) [ "ab" "ac" "b" ]` is
    `{ a = [ "ab" "ac" ]; b = [ "b" ]; }`."""
    f = _function(f, "while evaluating the first argument passed to builtins.groupBy")
    xs = _list(xs, "while evaluating the second argument passed to builtins.groupBy")
    groups: dict[str, list] = {}
    ctx = "while evaluating the return value of the grouping function passed to builtins.groupBy"
    call = caller(ev, f)
    for x in xs:
        name = _string_no_ctx(call(x), ctx)
        groups.setdefault(name, []).append(x)
    return Attrs({k: groups[k] for k in sorted(groups, key=_symbol_order)})


def _symbol_order(s: str):
    return s.encode("utf-8", "surrogateescape")


# -- sort ----------------------------------------------------------------------------------

@builtin("sort", 2)
def _sort(ev, cmp, xs):
    """Sort a list with a "less than" function, keeping equal elements in their
    original order (a stable sort).
    `builtins.sort builtins.lessThan [ 3 1 2 ]` is `[ 1 2 3 ]`."""
    xs = _list(xs, "while evaluating the second argument passed to builtins.sort")
    if not xs:
        return xs
    cmp = _function(cmp, "while evaluating the first argument passed to builtins.sort")
    out = list(xs)
    for k, x in enumerate(out):
        if type(x) is Thunk:
            v = x.force()
            if type(v) in _SAME_AS_THUNK:
                # the comparator (and the result) gets the value itself
                out[k] = v
    if type(cmp) is PrimOp and cmp.name == "lessThan":
        def less(a, b):
            try:
                return ops.less_than(a, b)
            except E.EvalError as err:
                raise err.add_frame("while evaluating the ordering function passed to builtins.sort")
        if _totally_ordered(out):
            # `<` on integers or on ASCII strings: a strict total order, and
            # pure, so any stable sort gives peeksort's permutation
            out.sort(key=force)
            return out
    else:
        ctx = "while evaluating the return value of the sorting function passed to builtins.sort"
        parts = curried_lambda(cmp)
        if parts is not None and len(out) > 1:
            # `a: b: ...`: its body entered directly (by peeksort's loops
            # themselves), at one depth for all calls
            inner, up = parts

            def less(a, b):
                r = inner.body([[up, a], b])
                return r if r is True or r is False else _not_a_bool(r)
            try:
                with _one_call_deeper(ev):
                    peeksort(out, less, inner, up)
            except E.EvalError as e:
                raise lambda_frames(e, inner, None, None)
            except _NotABool as e:
                _bool(e.value, ctx)     # (raises the type error)
            return out
        call = caller2(ev, cmp)

        def less(a, b):
            r = call(a, b)
            return r if r is True or r is False else _bool(r, ctx)
    peeksort(out, less)
    return out


# the types of values a list may hold in place of a thunk forced to one, with
# no difference Nix could see: equality and printing see the same value
# (not lists: printing's «repeated» tells a list's slots apart; not floats:
# `==` on the same NaN slot is true, on two copies false; not functions:
# `==` on them is true only for the same slot)
_SAME_AS_THUNK = frozenset({int, str, CtxStr, bool, type(None), Path, Attrs})


class _NotABool(Exception):
    """A sorting function's result that is not a Boolean, on its way out of
    peeksort, to be reported outside the function's trace frames."""

    def __init__(self, value):
        self.value = value


def _not_a_bool(v):
    raise _NotABool(v)


def _totally_ordered(xs: list) -> bool:
    """Whether the (forced) elements are all integers, or all ASCII strings."""
    t0 = type(force(xs[0]))
    if t0 is int:
        return all(type(force(x)) is int for x in xs)
    if t0 is str or t0 is CtxStr:
        return all(type(v) in (str, CtxStr) and v.isascii() for v in map(force, xs))
    return False


def peeksort(a: list, comp, lam=None, up=None) -> None:
    """Sort `a` in place with Nix's peeksort (a stable natural merge sort,
    src/libutil/include/nix/util/sort.hh), so that even a comparator that is
    not a strict weak order gives the same permutation as Nix. With `lam`
    (the LambdaCode of `b: ...` in a comparator `a: b: ...`, and `up` the
    comparator's environment), `comp(x, y)` is the call of its body in the
    frames `[[up, x], y]`, and the loops of insertion and merge make that
    call themselves (a Python call fewer per comparison; the result is
    checked as comp checks it)."""
    n = len(a)
    if n < 2:
        return
    if n == 2:
        if comp(a[1], a[0]):
            a[0], a[1] = a[1], a[0]
        return

    def not_comp(x, y):
        return not comp(x, y)

    def dec_prefix(begin, end, c):
        # maximal i <= end such that [begin, i) is strictly decreasing under c
        if begin == end:
            return begin
        while begin + 1 != end and c(a[begin + 1], a[begin]):
            begin += 1
        return begin + 1

    def dec_suffix(begin, end, c):
        # minimal i >= begin such that [i, end) is strictly decreasing under c
        if begin == end:
            return end
        while end - 1 > begin and c(a[end - 1], a[end - 2]):
            end -= 1
        return end - 1

    def insertion(begin, end):
        for cur in range(begin + 1, end):
            i = cur
            while i != begin and comp(a[i], a[i - 1]):
                a[i], a[i - 1] = a[i - 1], a[i]
                i -= 1

    def insertion_inline(begin, end):
        for cur in range(begin + 1, end):
            i = cur
            while i != begin and ((r := lam.body([[up, a[i]], a[i - 1]])) is True
                                  or r is not False and _not_a_bool(r)):
                a[i], a[i - 1] = a[i - 1], a[i]
                i -= 1

    def merge(begin, middle, end):
        # the left run's element goes first unless the right one is less
        if begin == middle or middle == end:
            return
        left, right = a[begin:middle], a[middle:end]
        nl, nr = len(left), len(right)
        out: list = []
        take = out.append
        i = j = 0
        x, y = left[0], right[0]
        while True:
            if comp(y, x):
                take(y)
                j += 1
                if j == nr:
                    break
                y = right[j]
            else:
                take(x)
                i += 1
                if i == nl:
                    break
                x = left[i]
        out += left[i:]
        out += right[j:]
        a[begin:end] = out

    def merge_inline(begin, middle, end):
        # merge, with comp's call written out
        if begin == middle or middle == end:
            return
        left, right = a[begin:middle], a[middle:end]
        nl, nr = len(left), len(right)
        out: list = []
        take = out.append
        i = j = 0
        x, y = left[0], right[0]
        while True:
            if (r := lam.body([[up, y], x])) is True or r is not False and _not_a_bool(r):
                take(y)
                j += 1
                if j == nr:
                    break
                y = right[j]
            else:
                take(x)
                i += 1
                if i == nl:
                    break
                x = left[i]
        out += left[i:]
        out += right[j:]
        a[begin:end] = out

    if lam is not None:
        insertion, merge = insertion_inline, merge_inline

    def impl(begin, end, left_run_end, right_run_begin):
        if left_run_end == end or right_run_begin == begin:
            return
        length = end - begin
        if length <= 16:
            insertion(begin, end)
            return
        middle = begin + length // 2
        if middle <= left_run_end:
            impl(left_run_end, end, left_run_end + 1, right_run_begin)
            merge(begin, left_run_end, end)
            return
        if middle >= right_run_begin:
            impl(begin, right_run_begin, left_run_end, right_run_begin - 1)
            merge(begin, right_run_begin, end)
            return
        if not comp(a[middle], a[middle - 1]):
            i = dec_suffix(left_run_end, middle, not_comp)
            j = dec_prefix(middle - 1, right_run_begin, not_comp)
        else:
            i = dec_suffix(left_run_end, middle, comp)
            j = dec_prefix(middle - 1, right_run_begin, comp)
            a[i:j] = a[i:j][::-1]
        if i == begin and j == end:
            return
        if middle - i < j - middle:
            impl(begin, i, left_run_end, i - 1)
            impl(i, end, j, right_run_begin)
            merge(begin, i, end)
        else:
            impl(begin, j, left_run_end, i)
            impl(j, end, j + 1, right_run_begin)
            merge(begin, j, end)

    impl(0, n, 0, n)


# -- genericClosure ------------------------------------------------------------------------

def _compare_values(a, b) -> bool:
    """CompareValues in primops.cc: `<` over keys (ints and floats mix)."""
    return ops.less_than(a, b)


class _KeyTracker:
    """The keys seen so far (GenericClosureKeyTracker): a hash set while all
    keys are strings, paths or ints; otherwise an ordered set using `<`, where
    two keys are the same when neither is less than the other."""

    def __init__(self):
        self.kind = None          # "string" | "path" | "int" | "ordered"
        self.seen: set = set()
        self.ordered: list = []   # (key, elem), sorted by key
        self.first_key = self.first_elem = None

    def insert(self, key, elem) -> bool:
        t = type(key)
        kind = ("string" if t is str or t is CtxStr else "path" if t is Path else
                "int" if t is int else "float" if t is float else "other")
        if self.kind is None:
            self.first_key, self.first_elem = key, elem
            if kind in ("string", "path", "int"):
                self.kind = kind
                self.seen.add(self._hashable(key))
                return True
            self.kind = "ordered"
            return self._insert_ordered(key, elem)
        if self.kind == "ordered":
            return self._insert_ordered(key, elem)
        if kind == self.kind:
            h = self._hashable(key)
            if h in self.seen:
                return False
            self.seen.add(h)
            if kind == "int":
                self.ordered.append((key, elem))  # kept for a switch to "ordered" (a float key)
            return True
        if self.kind == "int" and kind == "float":
            self._promote()
            return self._insert_ordered(key, elem)
        # keys of another type: C++ Nix compares against the first key to get the error
        try:
            _compare_values(key, self.first_key)
        except E.EvalError as err:
            self._compare_traces(err, elem, self.first_elem)
            raise
        raise E.EvalError("cannot compare keys of different types")  # not reached

    def _hashable(self, key):
        return key.path if type(key) is Path else str(key) if type(key) is CtxStr else key

    def _promote(self):
        entries = [(self.first_key, self.first_elem)] + self.ordered
        self.kind = "ordered"
        self.ordered = []
        for k, e in entries:
            self._insert_ordered(k, e)

    def _insert_ordered(self, key, elem) -> bool:
        # std::map::insert: find the first entry greater than the key (asking
        # `key < entry`), then ask `previous < key` to tell a new key from a
        # present one.
        try:
            lo, hi = 0, len(self.ordered)
            while lo < hi:
                mid = (lo + hi) // 2
                if _compare_values(key, self.ordered[mid][0]):
                    hi = mid
                else:
                    lo = mid + 1
            if lo > 0 and not _compare_values(self.ordered[lo - 1][0], key):
                return False
        except E.EvalError as err:
            other = None
            for k, e in self.ordered:
                try:
                    _compare_values(key, k)
                except E.EvalError:
                    other = e
                    break
            if other is not None:
                self._compare_traces(err, elem, other)
            else:
                err.add_frame(f"while checking key of element {print_value_short(elem)}")
            raise
        self.ordered.insert(lo, (key, elem))
        return True

    @staticmethod
    def _compare_traces(err, elem, other):
        err.add_frame(f"with element {print_value_short(other)}")
        err.add_frame(f"while comparing element {print_value_short(elem)}")


@builtin("genericClosure", 1)
def _generic_closure(ev, args):
    """The closure of a start set under an operator: starting from `startSet`,
    call `operator` on each new element and add what it returns, until no
    element with a new `key` appears. Elements are attribute sets with a `key`.
    `builtins.genericClosure { startSet = [ { key = 1; } ];
    operator = x: if x.key < 3 then [ { key = x.key + 1; } ] else [ ]; }`
    is `[ { key = 1; } { key = 2; } { key = 3; } ]`."""
    args = _attrs(args, "while evaluating the first argument passed to builtins.genericClosure")
    in_args = "in the attrset passed as argument to builtins.genericClosure"
    start = _list(_get_attr(args, "startSet", in_args),
                  "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure")
    if not start:
        return start
    queue = list(start)
    op = _function(_get_attr(args, "operator", in_args),
                   "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure")
    res = []
    keys = _KeyTracker()
    seen = keys.seen
    call = caller(ev, op)
    ctx = "while evaluating the return value of the `operator` passed to builtins.genericClosure"
    i = 0
    while i < len(queue):
        e = queue[i]
        queue[i] = None
        i += 1
        try:
            ea = e.force() if type(e) is Thunk else e
            if type(ea) is not Attrs:
                raise type_error("a set", ea)
            d = ea.d
            key = d["key"] if "key" in d else _get_attr(ea, "key", "")
        except E.EvalError as err:
            raise err.add_frame(f"in genericClosure element {print_value_short(e)}")
        if type(key) is Thunk:
            key = key.force()
        if type(key) is str and keys.kind == "string":
            # (keys.insert's work for the usual keys, inline)
            if key in seen:
                continue
            seen.add(key)
        elif not keys.insert(key, e):
            continue
        res.append(e)
        try:
            new = call(e)
            if type(new) is not list:
                new = _list(new, ctx)
            for x in new:
                if type(x) is Thunk:
                    x.force()
                queue.append(x)
        except E.EvalError as err:
            raise err.add_frame(f"while calling operator on genericClosure element {print_value_short(e)}")
    return res
