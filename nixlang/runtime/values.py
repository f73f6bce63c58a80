"""Nix values in Python, and thunks.

Representation (chosen for speed: the common cases are plain Python objects)

    int / float / bool / None      Nix int, float, bool, null (check `bool`
                                   before `int`: Python's bool is an int)
    str                            a string without context
    CtxStr                         a string with context (a `str` subclass
                                   carrying `context`, a frozenset of store
                                   references; see the store layer)
    Path                           a path value (absolute, canonical)
    list                           a list (never mutated after creation); its
                                   elements are values or thunks
    Attrs                          an attrset: `d` maps names to values or
                                   thunks (a dict, or for BIG names and more
                                   a BigDict: see runtime.bigsets); `pos`
                                   maps names to source spans
    Closure / PrimOp / PrimOpApp   functions

Thunks
------
A `Thunk` is a suspended computation: `code(env)` gives its value in weak
head normal form. Forcing runs the code once and keeps the value. While it
runs the thunk is a *blackhole*: forcing it again means the value depends on
itself, and Nix reports "infinite recursion encountered". A thunk whose code
raises goes back to its unforced state, so `tryEval` can look at it again.
"""
from __future__ import annotations

import copy as _copy

from .. import errors as _E
from .bigsets import BIG as _BIG, from_dict as _big_from_dict


class CtxStr(str):
    """A string with context: the store paths / derivation outputs it refers to."""

    def __new__(cls, s: str, context: frozenset):
        self = str.__new__(cls, s)
        self.context = context
        return self


def context_of(s) -> frozenset:
    return s.context if type(s) is CtxStr else frozenset()


def make_string(s: str, context) -> str:
    return CtxStr(s, frozenset(context)) if context else s


class Path:
    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __eq__(self, other):
        return type(other) is Path and other.path == self.path

    def __hash__(self):
        return hash(("path", self.path))

    def __repr__(self):
        return f"Path({self.path!r})"


class Attrs:
    __slots__ = ("d", "pos")

    def __init__(self, d: dict, pos: dict | None = None):
        # a dict of BIG names or more goes to the shared-key layout (bigsets)
        self.d = _big_from_dict(d) if len(d) >= _BIG and type(d) is dict else d
        self.pos = pos

    def __repr__(self):
        return f"Attrs({sorted(self.d)})"


class Closure:
    """A lambda and the environment it was created in: `lam`, a compiled
    lambda (compile.LambdaCode), and `env`. Made bare, as a Thunk is
    (`c = Closure(); c.lam = lam; c.env = env`), or by make_closure."""
    __slots__ = ("lam", "env")


def make_closure(lam, env) -> Closure:
    c = Closure()
    c.lam = lam
    c.env = env
    return c


class PrimOp:
    __slots__ = ("name", "arity", "fn", "doc")

    def __init__(self, name: str, arity: int, fn, doc: str = ""):
        self.name = name
        self.arity = arity
        self.fn = fn
        self.doc = doc

    def __repr__(self):
        return f"<primop {self.name}>"


class PrimOpApp:
    """A primop applied to fewer arguments than it takes."""
    __slots__ = ("primop", "args")

    def __init__(self, primop: PrimOp, args: tuple):
        self.primop = primop
        self.args = args


class _Blackhole:
    def __repr__(self):
        return "<blackhole>"


BLACKHOLE = _Blackhole()
FAILED = _Blackhole()   # marks a thunk whose evaluation raised; `value` holds the error


class _Unset:
    def __repr__(self):
        return "<unset>"


UNSET = _Unset()   # an environment slot not filled yet


class Thunk:
    # two slots (48 bytes with the collector's header): a NixOS evaluation
    # holds millions of thunks. `value` is the environment `code` runs in
    # until the thunk is forced, then its value (or, after a failure, the
    # error): `code is None` says which. Where a thunk's expression is, is
    # not kept: errors get their positions from the frames of the code that
    # forces it.
    #
    # A thunk has no __init__: it is made bare, `t = Thunk()`, and its two
    # slots stored after (make_thunk does that for code that is not hot).
    # CPython makes an instance of a class without __init__ in C alone:
    # measured with callgrind, `Thunk()` and two stores cost two thirds of
    # `object.__new__(Thunk)` and two stores (which passes an argument
    # tuple), and half of a call of a Python __init__.
    __slots__ = ("code", "value")

    def force(self):
        code = self.code
        if code is None:
            return self.value
        if type(code) is _Blackhole:     # BLACKHOLE or FAILED: one test for both
            if code is BLACKHOLE:
                from .errors import InfiniteRecursion
                err = InfiniteRecursion()
                err.reentered = self
                raise err
            # FAILED: Nix (since 2.34) remembers a thunk's error: forcing it
            # again raises the same error, with the trace it has by now
            err = _copy.copy(self.value)
            err.frames = list(self.value.frames)
            raise err
        self.code = BLACKHOLE
        try:
            v = code(self.value)
        except _E.EvalError as e:
            force_failed(self, code, e)
            raise
        except BaseException:
            self.code = code
            raise
        self.value = v
        self.code = None
        return v


def force_failed(t: Thunk, code, e) -> None:
    """What Thunk.force does when `code` (the thunk's code, replaced by
    BLACKHOLE while it runs) raised the evaluation error `e`; the caller
    then re-raises `e`. For loops that force thunks inline, without a call
    of Thunk.force, in its steps: when `code` is BLACKHOLE or FAILED,
    `t.force()`; else `t.code = BLACKHOLE`, `v = code(t.value)`, then
    `t.value = v` and `t.code = None`; on an EvalError this function, on any
    other exception `t.code = code`, and the exception raised again."""
    if isinstance(e, (_E.StackOverflow, _E.InfiniteRecursionError)):
        t.code = code
        if getattr(e, "reentered", None) is t:
            # the error leaves the thunk whose re-entry it found
            e.reentered = None
            e.add_frame("entering the infinite recursion")
    else:
        t.code = FAILED
        t.value = e


def make_thunk(code, env) -> Thunk:
    """A thunk of `code` to run in `env` (the value of the slot `value`
    until the thunk is forced)."""
    t = Thunk()
    t.code = code
    t.value = env
    return t


def force(v):
    return v.force() if type(v) is Thunk else v


def value_ready(v):
    """A thunk that is already a value (for results computed eagerly)."""
    t = Thunk()
    t.code = None
    t.value = v
    return t


def Env(up, vals) -> list:
    """One frame of the runtime environment, mirroring one static scope: a
    plain list `[up, slot0, slot1, ...]` (the enclosing frame first, None for
    the base environment). Frames are made on every call, so they are as
    cheap as Python allows; the compiler builds them inline."""
    return [up, *vals]


def type_name(v) -> str:
    """The name `builtins.typeOf` gives, as used in Nix's messages."""
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str or t is CtxStr:
        return "string"
    if t is Path:
        return "path"
    if v is None:
        return "null"
    if t is list:
        return "list"
    if t is Attrs:
        return "set"
    if t in (Closure, PrimOp, PrimOpApp):
        return "lambda"
    return "unknown"


def show_type(v) -> str:
    """Nix's showType: the phrase used in "value is X while Y was expected"."""
    t = type(v)
    if t is bool:
        return "a Boolean"
    if t is int:
        return "an integer"
    if t is float:
        return "a float"
    if t is str or t is CtxStr:
        return "a string"
    if t is Path:
        return "a path"
    if v is None:
        return "null"
    if t is list:
        return "a list"
    if t is Attrs:
        return "a set"
    if t is Closure:
        return "a function"
    if t is PrimOp:
        return "a built-in function"
    if t is PrimOpApp:
        return "a partially applied built-in function"
    if t is Thunk:
        return "a thunk"
    return "an unknown value"
