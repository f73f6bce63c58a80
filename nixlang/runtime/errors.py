"""Runtime error helpers: the messages C++ Nix uses, in one place."""
from __future__ import annotations

from .. import errors as E
from ..syntax.printer import identifier
from .values import Attrs, show_type


class InfiniteRecursion(E.InfiniteRecursionError):
    def __init__(self):
        super().__init__("infinite recursion encountered")


def type_error(expected: str, v, source=None, span=None) -> E.TypeError_:
    """"expected a set but found an integer: 1" style, as Nix 2.36 words it."""
    from .printer import print_value_short
    return E.TypeError_(f"expected {expected} but found {show_type(v)}: {print_value_short(v)}",
                        source, span).tagged("type", expected=expected, found=show_type(v))


def missing_attr(name, attrs: Attrs, source, span):
    msg = f"attribute '{identifier(name)}' missing"
    err = E.MissingAttr(msg, source, span).tagged("missing-attr", name=name)
    close = best_matches(name, attrs.d)
    if close:
        err.suggestions = close
    return err


def best_matches(query: str, candidates, limit: int = 5, max_distance: int = 2) -> list[str]:
    """Suggestions::bestMatches(...).trim(): the candidates within Levenshtein
    distance 2 of `query`, closest first (ties by name), at most 5."""
    scored = []
    for c in candidates:
        d = E.edit_distance(query, c, max_distance)
        if d <= max_distance:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored[:limit]]

