"""Where the attributes of an attrset were defined.

An attrset carries `pos`: a `Positions` (the spans of one attrset
expression, shared by every set that expression builds), a
`MergedPositions` (the result of `//`: the right side first), or None.
Positions are resolved to a source and span only when an error, a trace
or `unsafeGetAttrPos` asks (Nix keeps a PosIdx per attribute instead)."""
from __future__ import annotations

from .values import Attrs


class Positions:
    """Attribute positions of an attrset, resolved to (file, line, column) on demand."""
    __slots__ = ("source", "spans")

    def __init__(self, source, spans):
        self.source = source
        self.spans = spans


class OneSpan:
    """The `spans` of a Positions whose attributes were all defined at one
    place (listToAttrs of pairs built by one attrset expression: each value
    is where that expression's `value` is): one span for every name of
    `names` (the attrset's own dict), without a dict of its own."""
    __slots__ = ("span", "names")

    def __init__(self, span, names):
        self.span = span
        self.names = names

    def get(self, name):
        return self.span if name in self.names else None


def merge_pos(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return MergedPositions(a, b)


class MergedPositions:
    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first = first
        self.second = second


def attr_position(pos, name):
    """(source, span) where attribute `name` was defined, or None."""
    while pos is not None:
        if isinstance(pos, MergedPositions):
            hit = attr_position(pos.second, name)
            if hit is not None:
                return hit
            pos = pos.first
            continue
        span = pos.spans.get(name)
        return (pos.source, span) if span is not None else None
    return None


def attr_position_of(attrs: Attrs, name):
    return attr_position(attrs.pos, name)


def attr_where(attrs: Attrs, name):
    """(source, span) where attribute `name` of `attrs` was defined, or
    (None, None): the form trace frames take."""
    hit = attr_position(attrs.pos, name) if attrs.pos is not None else None
    return hit if hit is not None else (None, None)

