"""Trace frames in compiled code.

Nix adds a frame to an error at each place that evaluates something on
another's behalf ("while evaluating the attribute 'a'", "in the left
operand of '+'"). Compiled code adds the same frames, at the same
positions, only on the way out of an error: the wrappers here run the code
and add their frame in an `except` clause, which costs nothing until an
error passes through.
"""
from __future__ import annotations

from .. import errors as E
from ..syntax import ast as A
from ..source import Span
from ..runtime.errors import type_error
from ..runtime.values import Thunk, make_thunk

_NOTHING = object()   # "not evaluated (yet)", in fast paths


def node_pos(n: A.Node) -> Span:
    """Where Nix places an expression in traces: operators at the operator."""
    op = getattr(n, "op_span", None)
    if op is not None:
        return op
    return n.span


def _framed(code, message: str, source, span):
    """`code`, with `message` added as a trace frame to any error it raises."""
    def framed(env, code=code, message=message, source=source, span=span):
        try:
            return code(env)
        except E.EvalError as e:
            raise e.add_frame(message, source, span)
    return framed


def _lazy_framed(lazy_code, message, source, span):
    """A lazy operand whose evaluation errors get a trace frame."""
    framed = _frame_value_fn(message, source, span)
    return lambda env, framed=framed, lazy_code=lazy_code: framed(lazy_code(env))


def _frame_value_fn(message, source, span):
    """value -> the value, or for a thunk not evaluated yet, a thunk that
    forces it and adds a trace frame to its errors."""
    def framed(v, message=message, source=source, span=span):
        if type(v) is not Thunk or v.code is None:
            return v

        def run(_env, thunk=v, message=message, source=source, span=span):
            try:
                return thunk.force()
            except E.EvalError as e:
                raise e.add_frame(message, source, span)
        return make_thunk(run, None)
    return framed


def _raising(exc):
    """A stand-in for an operand whose evaluation raised `exc`: a thunk that
    raises it when forced. A fast path that evaluated an operand directly
    hands this to the generic code, which then meets the error where and as
    it would have met it forcing the operand's own thunk (a fresh thunk,
    which nothing else could see)."""
    def code(_env):
        raise exc
    return make_thunk(code, None)


def _bool_framed(code, message, source, span, pos):
    """`code`, which must give a Boolean (else a type error at `span`), with
    `message` added as a trace frame to any error."""
    def b(env, code=code, message=message, source=source, span=span, pos=pos):
        try:
            v = code(env)
            if type(v) is not bool:
                raise type_error("a Boolean", v, source, span)
        except E.EvalError as e:
            raise e.add_frame(message, source, pos)
        return v
    return b

