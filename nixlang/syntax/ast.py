"""The Nix AST: one record class (nixlang.records) per expression form, its source range on every node.

The tree is desugared the way Nix's parser desugars it, so that the printer
reproduces `nix-instantiate --parse` and the evaluator sees what Nix sees:

- `a.b.c = 1; a.d = 2;` become nested `Attrs` (merged, with Nix's duplicate
  checks); `inherit (x) a;` becomes `Select(InheritFrom(i), [a])`, the source
  expression stored once in `Attrs.inherit_from`;
- `-x` is `__sub 0 x`, `a - b` / `a * b` / `a / b` / `a < b` are calls of
  `__sub` / `__mul` / `__div` / `__lessThan` (so a local `__sub` rebinds
  them, as in Nix), `a <= b` is `!(b < a)`; `a + b` is `ConcatStrings`;
- `<nixpkgs>` is `__findFile __nixPath "nixpkgs"`; legacy `let { ... }` is
  `(rec { ... }).body`; a URI is a string; `f a b` is one `Call` with two
  arguments.

Positions: every node holds its range as two plain offsets, `start` and
`end`, and `node.span` makes a `Span` of them when asked (and sets both when
assigned). A separate `Span` object per node was a third of the tree's
memory (1.35 million of them, 62 MB, for the files of a NixOS evaluation)
and a good part of the builder's time; most of them were never read.

Editors still get exact ranges: every `AttrName` and `Formal` has the range
of its name, an `AttrDef`'s range is the attrpath it came from (`name_span`
the name itself), `Lambda.arg_span` the `@` name, and operator nodes keep
`op_span`.
"""
from __future__ import annotations

import io
import pickle
import threading

from ..records import field, record
from ..source import Span


def _span_get(self) -> Span:
    return Span(self.start, self.end)


def _span_set(self, span: Span) -> None:
    self.start = span.start
    self.end = span.end


# `x.span` of anything that holds `start` and `end`
span_property = property(_span_get, _span_set, doc="The range as a Span (made on each read).")


@record(eq=False, slots=True)
class Node:
    start: int
    end: int
    span = span_property


@record(eq=False, slots=True)
class Int(Node):
    value: int


@record(eq=False, slots=True)
class Float(Node):
    value: float


@record(eq=False, slots=True)
class Str(Node):
    value: str
    uri: bool = False


@record(eq=False, slots=True)
class Path(Node):
    value: str


@record(eq=False, slots=True)
class Var(Node):
    name: str
    synthetic: bool = False     # made by desugaring (__sub, __findFile, ...)
    # filled by the resolver: where the name is bound
    level: int = -1             # scopes up; -1: not resolved yet
    index: int = -1
    from_with: bool = False
    binding: object = None      # the defining node (Formal, AttrDef, Lambda) for editors
    with_levels: tuple = ()     # for `with`-provided names: the `with` scopes to try, innermost first


@record(eq=False, slots=True)
class CurPos(Node):
    pass


@record(eq=False, slots=True)
class Missing(Node):
    """Placeholder inserted by error recovery where an expression is missing."""


@record(eq=False, slots=True)
class AttrName(Node):
    name: str | None            # static name, or None when dynamic
    expr: Node | None = None    # `${e}` or an interpolated "..."


@record(eq=False, slots=True)
class Select(Node):
    expr: Node
    path: list[AttrName]
    default: Node | None = None


@record(eq=False, slots=True)
class HasAttr(Node):
    expr: Node
    path: list[AttrName]


PLAIN, INHERITED, INHERITED_FROM = "plain", "inherited", "inherited_from"


@record(eq=False, slots=True)
class AttrDef:
    value: Node
    start: int                  # Nix's position of the definition (its attrpath / name)
    end: int
    kind: str
    name_start: int             # the name itself
    name_end: int
    span = span_property

    @property
    def name_span(self) -> Span:
        return Span(self.name_start, self.name_end)


_VALUE_SLOT = AttrDef.__dict__["value"]     # the slot under LazyAttrDef's `value` property
_LOAD_LOCK = threading.Lock()


class LazyAttrDef(AttrDef):
    """An `AttrDef` of a tree loaded from the on-disk parse cache
    (`nixlang.parse_cache`) whose value is still pickled: `value` unpickles
    it when first read (once; then it is an ordinary slot read behind a
    property). Most attributes of a big attrset (a package set) are never
    evaluated, so most of these are never unpickled. The pickle refers to
    the binders outside it (the `AttrDef`s, `Formal`s and `Lambda`s its
    variables are bound to) by their index in `binders`, a list shared by
    the whole tree. `loaded()` says whether `value` may be read without
    unpickling (the compiler defers the work until the value is needed)."""
    __slots__ = ("blob", "binders")

    def __init__(self, *args, **kwargs):   # made only by unpickling (`parse_cache.store`)
        raise TypeError("LazyAttrDef is made by the parse cache only")

    def loaded(self) -> bool:
        return self.blob is None

    def _get_value(self):
        if self.blob is None:
            return _VALUE_SLOT.__get__(self)
        with _LOAD_LOCK:              # two threads must not make two copies of the subtree
            blob = self.blob
            if blob is not None:
                reader = pickle.Unpickler(io.BytesIO(blob))
                reader.persistent_load = self.binders.__getitem__
                _VALUE_SLOT.__set__(self, reader.load())
                self.blob = None
        return _VALUE_SLOT.__get__(self)

    def _set_value(self, value) -> None:
        _VALUE_SLOT.__set__(self, value)
        self.blob = None

    value = property(_get_value, _set_value)


@record(eq=False, slots=True)
class DynamicAttr:
    name: Node
    value: Node
    start: int
    end: int
    span = span_property


@record(eq=False, slots=True)
class Attrs(Node):
    rec: bool = False
    attrs: dict[str, AttrDef] = field(default_factory=dict)
    # the next three are a shared empty tuple until they have an element
    # (most attrsets have none: three lists fewer to make and to collect)
    dynamic: list[DynamicAttr] | tuple = ()
    inherit_from: list[Node] | tuple = ()
    slots: list[str] | tuple = ()        # rec / let: names in environment-slot order (resolver)
    # a name was written twice in this set (merged, or reported as a duplicate),
    # so one definition's value may hold attributes written elsewhere
    merged: bool = False


@record(eq=False, slots=True)
class InheritFrom(Node):
    index: int


@record(eq=False, slots=True)
class List(Node):
    elems: list[Node]           # or ListElems, for a list with a long run of integers


class IntRun:
    """Integer literals one after the other in a list, packed: their values
    and ranges in three arrays (16 bytes an element instead of an `Int` node
    and two offsets, about 130). The lexer finds such runs in big data
    lists (see `Lexer.int_runs`)."""
    __slots__ = ("values", "starts", "ends")

    def __init__(self, values, starts, ends):
        self.values = values
        self.starts = starts
        self.ends = ends

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        for v, s, e in zip(self.values, self.starts, self.ends):
            yield Int(s, e, v)


class ListElems:
    """The elements of a `List` that holds `IntRun`s: a read-only sequence of
    nodes (the `Int` nodes of a run are made afresh on each read, so two
    reads give equal but distinct nodes), plus `append` for the builder.
    `exprs()` are the elements that are not packed literals: what a walk
    for names needs to visit."""
    __slots__ = ("parts", "_len")

    def __init__(self, parts: list):
        self.parts = parts
        self._len = sum(len(p) if type(p) is IntRun else 1 for p in parts)

    def append(self, node: Node) -> None:
        self.parts.append(node)
        self._len += 1

    def extend_run(self, run: IntRun) -> None:
        self.parts.append(run)
        self._len += len(run)

    def exprs(self) -> list[Node]:
        return [p for p in self.parts if type(p) is not IntRun]

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self):
        for p in self.parts:
            if type(p) is IntRun:
                yield from p
            else:
                yield p

    def __getitem__(self, k):
        if isinstance(k, slice):
            return list(self)[k]
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError(k)
        for p in self.parts:
            if type(p) is IntRun:
                if k < len(p):
                    return Int(p.starts[k], p.ends[k], p.values[k])
                k -= len(p)
            elif k == 0:
                return p
            else:
                k -= 1
        raise IndexError(k)


@record(eq=False, slots=True)
class Formal:
    name: str
    default: Node | None
    start: int
    end: int
    span = span_property


@record(eq=False, slots=True)
class Lambda(Node):
    arg: str | None
    formals: list[Formal] | None
    ellipsis: bool
    body: Node
    arg_span: Span | None = None


@record(eq=False, slots=True)
class Call(Node):
    fn: Node
    args: list[Node]
    op_span: Span | None = None


@record(eq=False, slots=True)
class Let(Node):
    attrs: Attrs
    body: Node


@record(eq=False, slots=True)
class With(Node):
    env: Node
    body: Node


@record(eq=False, slots=True)
class If(Node):
    cond: Node
    then: Node
    else_: Node


@record(eq=False, slots=True)
class Assert(Node):
    cond: Node
    body: Node


@record(eq=False, slots=True)
class Not(Node):
    expr: Node


BINOPS = ("==", "!=", "&&", "||", "->", "//", "++")


@record(eq=False, slots=True)
class BinOp(Node):
    op: str
    lhs: Node
    rhs: Node
    op_span: Span | None = None


@record(eq=False, slots=True)
class ConcatStrings(Node):
    force_string: bool
    parts: list[Node]
    op_span: Span | None = None
    part_pos: list[int] | None = None   # Nix's position of each part (its `${`, or the operand)


def children(node: Node) -> list[Node]:
    """Direct subexpressions of `node`, in source-ish order (for walkers)."""
    t = type(node)
    if t is Select:
        out = [node.expr] + [a.expr for a in node.path if a.expr is not None]
        if node.default is not None:
            out.append(node.default)
        return out
    if t is HasAttr:
        return [node.expr] + [a.expr for a in node.path if a.expr is not None]
    if t is Attrs:
        out = list(node.inherit_from)
        out += [d.value for d in node.attrs.values() if d.kind != INHERITED_FROM]
        for d in node.dynamic:
            out += [d.name, d.value]
        return out
    if t is List:
        elems = node.elems
        return elems.exprs() if type(elems) is ListElems else list(elems)
    if t is Lambda:
        out = [f.default for f in node.formals or () if f.default is not None]
        return out + [node.body]
    if t is Call:
        return [node.fn] + node.args
    if t is Let:
        return [node.attrs, node.body]
    if t is With:
        return [node.env, node.body]
    if t is If:
        return [node.cond, node.then, node.else_]
    if t is Assert:
        return [node.cond, node.body]
    if t is Not:
        return [node.expr]
    if t is BinOp:
        return [node.lhs, node.rhs]
    if t is ConcatStrings:
        return list(node.parts)
    if t is AttrName:
        return [node.expr] if node.expr is not None else []
    return []
