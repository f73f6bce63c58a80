"""Runtime error helpers: the messages C++ Nix uses, in one place."""
from __future__ import annotations

from .. import errors as E
from .values import show_type


class InfiniteRecursion(E.InfiniteRecursionError):
    def __init__(self, span=None):
        super().__init__("infinite recursion encountered")
        self.pending_span = span


def type_error(expected: str, v, source=None, span=None) -> E.TypeError_:
    """"expected a set but found an integer: 1" style, as Nix 2.36 words it."""
    from .printer import print_value_short
    return E.TypeError_(f"expected {expected} but found {show_type(v)}: {print_value_short(v)}",
                        source, span)
