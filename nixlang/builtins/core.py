"""Core builtins: arithmetic and comparison primops the parser desugars to
(`__sub`, `__mul`, `__div`, `__lessThan`), `throw`, `abort`, `import`,
`toString`, type predicates and the constants of the base environment."""
from __future__ import annotations

from .. import errors as E
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.printer import print_value_short
from ..runtime.values import Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, force, make_string, type_name
from . import builtin, constant


def want_int(v, what="an integer"):
    v = force(v)
    if type(v) is not int:
        raise type_error(what, v)
    return v


def want_string(ev, v, what="a string") -> str:
    v = force(v)
    if type(v) not in (str, CtxStr):
        raise type_error(what, v)
    return v


def want_list(v):
    v = force(v)
    if type(v) is not list:
        raise type_error("a list", v)
    return v


def want_attrs(v):
    v = force(v)
    if type(v) is not Attrs:
        raise type_error("a set", v)
    return v


def want_function(v):
    v = force(v)
    if type(v) not in (Closure, PrimOp, PrimOpApp) and not (type(v) is Attrs and "__functor" in v.d):
        raise type_error("a function", v)
    return v


def want_number(v):
    v = force(v)
    if type(v) not in (int, float):
        raise type_error("an integer", v)
    return v


def _want_int(v, message: str) -> int:
    if type(v) is not int:
        raise type_error("an integer", v).add_frame(message)
    return v


def _want_float(v, message: str) -> float:
    if type(v) is int:
        return float(v)
    if type(v) is not float:
        raise type_error("a float", v).add_frame(message)
    return v


def _arith(a, b, noun: str, word: str, op):
    """prim_add/sub/mul: both forced; floats if either is a float, else ints
    (each checked with Nix's "while evaluating the first argument of the
    addition" context)."""
    a, b = force(a), force(b)
    first = f"while evaluating the first {word} of the {noun}"
    second = f"while evaluating the second {word} of the {noun}"
    if type(a) is float or type(b) is float:
        return op(_want_float(a, first), _want_float(b, second))
    return op(_want_int(a, first), _want_int(b, second))


@builtin("add", 2)
def _add(ev, a, b):
    """Add two numbers: `builtins.add 1 2` is `3`."""
    return _arith(a, b, "addition", "argument", ops.add)


@builtin("sub", 2)
def _sub(ev, a, b):
    """Subtract: `builtins.sub 5 3` is `2` (what `5 - 3` means)."""
    return _arith(a, b, "subtraction", "argument", ops.sub)


@builtin("mul", 2)
def _mul(ev, a, b):
    """Multiply: `builtins.mul 3 4` is `12`."""
    return _arith(a, b, "multiplication", "argument", ops.mul)


@builtin("div", 2)
def _div(ev, a, b):
    """Divide; integers divide towards zero: `builtins.div 7 2` is `3`.
    The divisor is checked for zero first, as Nix does."""
    a, b = force(a), force(b)
    first = "while evaluating the first operand of the division"
    second = "while evaluating the second operand of the division"
    if _want_float(b, second) == 0:
        raise E.DivisionByZero("division by zero")
    if type(a) is float or type(b) is float:
        return ops.div(_want_float(a, first), _want_float(b, second))
    return ops.div(_want_int(a, first), _want_int(b, second))


@builtin("lessThan", 2)
def _less_than(ev, a, b):
    """`a < b` for numbers, strings, paths and lists: `builtins.lessThan 1 2` is `true`."""
    return ops.less_than(a, b)


@builtin("throw", 1)
def _throw(ev, msg):
    """Fail with a message that `tryEval` can catch: `throw "not supported"`."""
    s = force(msg)
    if type(s) not in (str, CtxStr):
        raise type_error("a string", s)
    raise E.ThrownError(str(s))


@builtin("abort", 1)
def _abort(ev, msg):
    """Stop evaluation for good (even `tryEval` does not catch it)."""
    ctx: set = set()
    s = ops.coerce_to_string(msg, ctx, interp=False)
    raise E.AbortError(f"evaluation aborted with the following error message: '{s}'")


@builtin("toString", 1)
def _to_string(ev, v):
    """Turn a value into a string (the lenient rules): `toString 42` is `"42"`,
    `toString true` is `"1"`, `toString null` is `""`."""
    if type(v) is Thunk:
        v = v.force()
    if type(v) is int:    # `toString i`, the common case
        return str(v)
    if type(v) is str:    # (lib's functions call toString on their string arguments)
        return v
    ctx: set = set()
    s = ops.coerce_to_string(v, ctx, interp=False, call=ev.call, error_ctx=_TO_STRING_FRAME)
    return make_string(s, ctx)


_TO_STRING_FRAME = ("while evaluating the first argument passed to builtins.toString", None, None)


@builtin("typeOf", 1)
def _type_of(ev, v):
    """The type of a value as a string: `builtins.typeOf 1` is `"int"`."""
    return type_name(force(v))


for _name, _t in (("isInt", (int,)), ("isFloat", (float,)), ("isBool", (bool,)),
                  ("isString", (str, CtxStr)), ("isList", (list,)), ("isAttrs", (Attrs,)),
                  ("isPath", (Path,))):
    def _make(types, name):
        def pred(ev, v):
            return type(v.force() if type(v) is Thunk else v) in types
        pred.__doc__ = f"Whether the value is of that type: `builtins.{name} x`."
        pred.types = types      # (filter tests a value's type itself: lists.py)
        return pred
    builtin(_name, 1)(_make(_t, _name))


@builtin("isNull", 1)
def _is_null(ev, v):
    """Whether the value is `null`."""
    return force(v) is None


@builtin("isFunction", 1)
def _is_function(ev, v):
    """Whether the value is a function (a lambda or a builtin)."""
    t = type(v.force() if type(v) is Thunk else v)
    return t is Closure or t is PrimOp or t is PrimOpApp


@builtin("import", 1)
def _import(ev, path):
    """Evaluate the Nix file at a path (a folder means its `default.nix`)."""
    return ev.import_value(path)


@builtin("seq", 2)
def _seq(ev, a, b):
    """Evaluate `a` (shallowly), then return `b`."""
    if type(a) is Thunk:
        a.force()
    return b.force() if type(b) is Thunk else b


@builtin("deepSeq", 2)
def _deep_seq(ev, a, b):
    """Evaluate `a` completely, then return `b`."""
    ev.deep_force(a)
    return force(b)


constant("true", True)
constant("false", False)
constant("null", None)
