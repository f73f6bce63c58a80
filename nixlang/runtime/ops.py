"""Operators and coercions with Nix's rules and messages.

- arithmetic: 64-bit ints with overflow errors, int/float mixing to float;
- equality (`==`): deep; functions are never equal; attrsets that are
  derivations compare by `outPath`; an int equals a float of the same value;
- ordering (`<`, `__lessThan`): numbers, strings, paths, and lists
  lexicographically;
- coercions to string: `toString` (lenient) and interpolation (strict), with
  `__toString` and `outPath` on attrsets.
"""
from __future__ import annotations

from .. import errors as E
from .errors import type_error
from ..syntax.printer import identifier
from .printer import print_value_short
from .values import Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, context_of, force, make_string, show_type  # noqa: F401

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def check_int(v, what: str, a, b):
    if v < INT_MIN or v > INT_MAX:
        raise E.IntegerOverflow(f"integer overflow in {what} {a} {'+' if what == 'adding' else '-' if what == 'subtracting' else '*' if what == 'multiplying' else '/'} {b}")
    return v


def add(a, b):
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a + b
        if r < INT_MIN or r > INT_MAX:
            raise E.IntegerOverflow(f"integer overflow in adding {a} + {b}")
        return r
    return float(num(a)) + float(num(b))


def sub(a, b):
    a, b = force(a), force(b)
    if type(a) is int and type(b) is int:
        r = a - b
        if r < INT_MIN or r > INT_MAX:
            raise E.IntegerOverflow(f"integer overflow in subtracting {a} - {b}")
        return r
    return float(num(a)) - float(num(b))


def mul(a, b):
    a, b = force(a), force(b)
    if type(a) is int and type(b) is int:
        r = a * b
        if r < INT_MIN or r > INT_MAX:
            raise E.IntegerOverflow(f"integer overflow in multiplying {a} * {b}")
        return r
    return float(num(a)) * float(num(b))


def div(a, b):
    a, b = force(a), force(b)
    num(a)
    if num(b) == 0:
        raise E.DivisionByZero("division by zero")
    if type(a) is int and type(b) is int:
        if a == INT_MIN and b == -1:
            raise E.IntegerOverflow(f"integer overflow in dividing {a} / {b}")
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return float(a) / float(b)


def int_div_text(x: str, y: str) -> str:
    """Python text of `div`'s integer quotient (C++'s, truncated toward zero)
    of the integer expressions `x` and `y` (plain names: each is written
    twice), `y` not 0, for generated code; an INT_MIN / -1 gives 2**63, which
    the code's range check sends to the general path."""
    q = f"abs({x}) // abs({y})"
    return f"{q} if ({x} >= 0) == ({y} >= 0) else -({q})"


def num(v):
    t = type(v)
    if t is int or t is float:
        return v
    raise type_error("an integer", v) if t is not bool else type_error("an integer", v)


def equal(a, b) -> bool:
    if type(a) is Thunk:
        a = a.force()
    if type(b) is Thunk:
        b = b.force()
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is bool):
        return a == b
    if ta is int and tb is float or ta is float and tb is int:
        return a == b
    if ta is CtxStr:
        ta = str
    if tb is CtxStr:
        tb = str
    if ta is not tb:
        return False
    if ta is bool or ta is int or ta is float or ta is str:
        return a == b
    if a is None:
        return True
    if ta is Path:
        return a.path == b.path
    if ta is list:
        if a is b:
            return True
        if len(a) != len(b):
            return False
        # (the elements forced here, in equal's order, and integers compared
        # in the loop: lib's `commonPrefix l l == l` compares 100k of them)
        for x, y in zip(a, b):
            if x is y:
                continue
            if type(x) is Thunk:
                x = x.value if x.code is None else x.force()
            if type(y) is Thunk:
                y = y.value if y.code is None else y.force()
            if type(x) is int and type(y) is int:
                if x != y:
                    return False
            elif not equal(x, y):
                return False
        return True
    if ta is Attrs:
        if a is b:
            return True
        if is_derivation(a) and is_derivation(b):
            return equal(a.d["outPath"], b.d["outPath"])
        if len(a.d) != len(b.d):
            return False
        for k, v in a.d.items():
            w = b.d.get(k)
            if w is None and k not in b.d:
                return False
            if v is not w and not equal(v, w):
                return False
        return True
    return False


def is_derivation(a: Attrs) -> bool:
    t = a.d.get("type")
    return t is not None and force(t) == "derivation" and "outPath" in a.d


def less_than(a, b, error_ctx: str | None = None) -> bool:
    """CompareValues: `a < b`. Lists compare element by element; a type error
    deep inside says "while comparing two list elements"."""
    a, b = force(a), force(b)
    ta, tb = type(a), type(b)
    if ta in (int, float) and tb in (int, float) and ta is not bool and tb is not bool:
        return a < b
    if ta in (str, CtxStr) and tb in (str, CtxStr):
        return str(a).encode("utf-8", "surrogateescape") < str(b).encode("utf-8", "surrogateescape")
    if ta is Path and tb is Path:
        return a.path < b.path
    if ta is list and tb is list:
        for x, y in zip(a, b):
            if not equal(x, y):
                return less_than(x, y, "while comparing two list elements")
        return len(a) < len(b)
    if ta is tb or {ta, tb} <= {str, CtxStr}:
        err = E.EvalError(f"cannot compare {show_type(a)} with {show_type(b)}; values of that type are "
                          f"incomparable (values are {print_value_short(a)} and {print_value_short(b)})")
    else:
        err = E.EvalError(f"cannot compare {show_type(a)} with {show_type(b)}; values are "
                          f"{print_value_short(a)} and {print_value_short(b)}")
    err.tagged("compare", left=show_type(a), right=show_type(b))
    if error_ctx:
        err.add_frame(error_ctx)
    raise err


def coerce_to_string(v, ctx: set, *, interp: bool, copy_to_store=None, call=None, error_ctx=None) -> str:
    """Nix's coerceToString. `interp` is the strict mode of string
    interpolation (no numbers, no lists); otherwise the lenient `toString`
    rules apply. Paths are copied to the store when `copy_to_store` is given
    (interpolation), else used as they are. An attrset is peeled: its
    `__toString` is called (`call(f, arg, source, span)`) or its `outPath`
    taken, and the result coerced by the same rules. `error_ctx` (message,
    source, span) is the frame Nix adds to this function's own type errors,
    e.g. "while evaluating a path segment"."""
    if type(v) is Thunk:
        v = v.force()
    t = type(v)
    if t is str:
        return v
    if t is CtxStr:
        ctx |= v.context
        return str(v)
    if t is Path:
        if copy_to_store is not None:
            p = copy_to_store(v)
            ctx.add(p)
            return p
        return v.path
    if t is Attrs:
        f = v.d.get("__toString")
        if f is not None and call is not None:
            where = _attr_where(v, "__toString")
            try:
                r = call(force(f), v, *where)
            except E.EvalError as e:
                raise e.add_frame("while calling the `__toString` attribute", *where)
            try:
                return coerce_to_string(r, ctx, interp=interp, copy_to_store=copy_to_store, call=call,
                                        error_ctx=error_ctx)
            except E.EvalError as e:
                raise e.add_frame("while using the result of the `__toString` attribute", *where)
        out = v.d.get("outPath")
        if out is not None:
            where = _attr_where(v, "outPath")
            try:
                out = force(out)
            except E.EvalError as e:
                raise e.add_frame("while evaluating the `outPath` attribute", *where)
            try:
                return coerce_to_string(out, ctx, interp=interp, copy_to_store=copy_to_store, call=call,
                                        error_ctx=error_ctx)
            except E.EvalError as e:
                raise e.add_frame("while using the `outPath` attribute", *where)
        raise _with_ctx(E.TypeError_(f"cannot coerce a set to a string: {print_value_short(v)}").tagged(
            "coerce", found="a set"), error_ctx)
    if not interp:
        if t is bool:
            return "1" if v else ""
        if t is int:
            return str(v)
        if t is float:
            return _float_to_string(v)
        if v is None:
            return ""
        if t is list:
            parts = []
            elem_ctx = ("while evaluating one element of the list", None, None)
            for i, e in enumerate(v):
                try:
                    s = coerce_to_string(e, ctx, interp=False, copy_to_store=copy_to_store, call=call,
                                         error_ctx=elem_ctx)
                except E.EvalError as err:
                    raise _with_ctx(err, error_ctx)
                parts.append(s)
            # like Nix: elements joined by spaces, empty lists skipped between
            out = []
            for i, (e, s) in enumerate(zip(v, parts)):
                out.append(s)
                if i + 1 < len(v):
                    nxt = force(v[i + 1])
                    if not (type(nxt) is list and not nxt):
                        out.append(" ")
            return "".join(out)
    raise _with_ctx(E.TypeError_(f"cannot coerce {show_type(v)} to a string: {print_value_short(v)}").tagged(
        "coerce", found=show_type(v)), error_ctx)


def _with_ctx(err, error_ctx):
    if error_ctx is not None:
        err.add_frame(*error_ctx)
    return err


def _attr_where(attrs, name):
    from .positions import attr_where
    return attr_where(attrs, name)


def _float_to_string(v: float) -> str:
    # toString of a float: std::to_string, i.e. %f
    return "%f" % v


def concat_strings(parts, force_string: bool, copy_to_store, call, source=None, positions=None):
    """ExprConcatStrings::eval: `a + b` and interpolation. The first value
    decides: numbers add up, a path stays a path, anything else becomes a
    string. An error in a part is reported "while evaluating a path segment"
    at that part (its `${`, or the operand)."""
    def where(i):
        return positions[i] if positions else None

    first = force(parts[0])
    tf = type(first)
    if not force_string and (tf is int or tf is float):
        acc = first
        for i, p in enumerate(parts[1:], 1):
            v = force(p)
            if type(v) not in (int, float) or type(v) is bool:
                raise E.EvalError(f"cannot add {show_type(v)} to {show_type(acc)}", source, where(i)).tagged(
                    "add", adding=show_type(v), to=show_type(acc))
            try:
                acc = add(acc, v)
            except E.IntegerOverflow as e:
                raise e.at(source, where(i))
        return acc
    ctx: set = set()
    if not force_string and tf is Path:
        s = first.path
        for i, p in enumerate(parts[1:], 1):
            piece = coerce_to_string(p, ctx, interp=True, copy_to_store=None, call=call,
                                     error_ctx=("while evaluating a path segment", source, where(i)))
            if ctx:
                raise E.EvalError("a string that refers to a store path cannot be appended to a path",
                                  source, where(i))
            s += piece
        from .paths import canon_path
        return Path(canon_path(s))
    out = []
    for i, p in enumerate(parts):
        out.append(coerce_to_string(p, ctx, interp=True, copy_to_store=copy_to_store, call=call,
                                    error_ctx=("while evaluating a path segment", source, where(i))))
    return make_string("".join(out), ctx)


def assert_equal(a, b, pos_source=None, pos_span=None, attr_pos=None):
    """EvalState::assertEqValues: explain why two values differ (the
    `assert a == b;` diagnostics of Nix 2.36), raising an EvalError whose
    frames walk down to the first difference. `attr_pos(attrs, name)` gives
    (source, span) of an attribute definition for the frames."""
    from .printer import print_value
    a, b = force(a), force(b)
    if equal(a, b):
        return
    ta = str if type(a) is CtxStr else type(a)
    tb = str if type(b) is CtxStr else type(b)
    if {ta, tb} <= {int, float} and ta is not bool and tb is not bool:
        raise E.AssertionFailed(f"{show_type(a)} with value '{print_value(a)}' is not equal to "
                          f"{show_type(b)} with value '{print_value(b)}'")
    if ta is not tb:
        raise E.AssertionFailed(f"{show_type(a)} of value '{print_value_short(a)}' is not equal to "
                          f"{show_type(b)} of value '{print_value_short(b)}'")
    if ta is bool:
        raise E.AssertionFailed(f"boolean '{print_value(a)}' is not equal to boolean '{print_value(b)}'")
    if ta is str:
        raise E.AssertionFailed(f"string '{print_value(a)}' is not equal to string '{print_value(b)}'")
    if ta is Path:
        raise E.AssertionFailed(f"path '{a.path}' is not equal to path '{b.path}'")
    if ta is list:
        if len(a) != len(b):
            raise E.AssertionFailed(f"list of size '{len(a)}' is not equal to list of size '{len(b)}', left hand side "
                              f"is '{print_value_short(a)}', right hand side is '{print_value_short(b)}'")
        for i, (x, y) in enumerate(zip(a, b)):
            try:
                assert_equal(x, y, pos_source, pos_span, attr_pos)
            except E.EvalError as e:
                raise e.add_frame(f"while comparing list element {i}", pos_source, pos_span)
        return
    if ta is Attrs:
        if is_derivation(a) and is_derivation(b):
            try:
                assert_equal(a.d["outPath"], b.d["outPath"], pos_source, pos_span, attr_pos)
            except E.EvalError as e:
                raise e.add_frame("while comparing a derivation by its 'outPath' attribute", pos_source, pos_span)
            return
        if sorted(a.d) != sorted(b.d):
            raise E.AssertionFailed(f"attribute names of attribute set '{print_value_short(a)}' differs from "
                              f"attribute set '{print_value_short(b)}'")
        for k in sorted(a.d):
            try:
                assert_equal(a.d[k], b.d[k], pos_source, pos_span, attr_pos)
            except E.EvalError as e:
                lp = attr_pos(a, k) if attr_pos else None
                rp = attr_pos(b, k) if attr_pos else None
                e.add_frame("where right hand side is", *(rp or (None, None)))
                e.add_frame("where left hand side is", *(lp or (None, None)))
                raise e.add_frame(f"while comparing attribute '{identifier(k)}'", pos_source, pos_span)
        return
    if ta in (Closure, PrimOp, PrimOpApp):
        raise E.AssertionFailed("distinct functions and immediate comparisons of identical functions compare as unequal")
    raise E.AssertionFailed(f"{show_type(a)} of value '{print_value_short(a)}' is not equal to "
                      f"{show_type(b)} of value '{print_value_short(b)}'")
