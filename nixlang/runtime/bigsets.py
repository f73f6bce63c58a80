"""Big attrsets: one shared table of names, and a list of values per set.

Why
---
An attrset's `d` is a Python dict, and a dict pays for its keys in every
set: a hash table of at least 3/2 times its size, 16 bytes an entry plus
the index. nixpkgs' top level has about 22,800 names, just past the 21,845
a 32,768-slot dict holds, so every package set was a 65,536-slot dict of
961 KB (42 bytes a name; Nix's Bindings take 24). A NixOS system makes
about 520 of them (each stdenv bootstrap stage's fixed point, every
overlay's `super // f self super`, splicing's mapAttrs), and measured on
the small benchmark system they were 326 MB of a 1,855 MB peak, yet they
hold only 33 distinct sets of names. Python's own key sharing (split
tables) is only for instance dicts of up to 30 names.

So a set of at least `BIG` names keeps its names in a `KeyTable` (a dict
name -> position, and the names in that order), shared by every set with
the same names in the same order, and only its values in a list of its own
(8 bytes a name). `BigDict` puts the two together behind the reading side
of dict's interface (`get`, `[]`, `in`, `len`, iteration, `keys`, `items`,
`values`) and `[name] = value` for a name it has (a forced thunk replaced by
its value), so most of the code that reads `Attrs.d` works on either
layout. Small sets stay plain dicts: their names are all different, and a
dict lookup is the fastest thing Python has.

Tables are reached the way V8 reaches its hidden classes: a table
remembers its transitions (`a // b` for the names of `b`, `removeAttrs`
of some names) and where each of them leads, so the same chain of updates
(every stdenv stage runs the same overlays) lands on the same shared table
and only copies a list of values (`list + list`, a C memcpy) and stores
the few values that change. Tables of the same names are also interned, so
a set converted from a dict (a literal, `listToAttrs`) finds the table of
its names. Transitions and the intern table hold tables weakly: a table
lives as long as a set uses it.

A set made any other way (a dict built by a builtin) is converted by
`Attrs` itself when it reaches `BIG` names (values.Attrs.__init__).
Materialising a big set as a dict (`dict(x.d)`, `BigDict.copy`) works but
is for rare paths only: it is what this layout exists to avoid. A big set
whose names no other set shares (a listToAttrs of 300,000 names) pays for
a table of its own: about 15% more CPU and 4% more memory on that micro
workload, the price of not knowing at creation which sets will repeat.
Lookups on a BigDict are Python calls (a dict's are C): a hot path that
reads big sets (selection, `with`) goes through `get`, one call a lookup.
"""
from __future__ import annotations

import weakref
from array import array
from operator import itemgetter

BIG = 2048   # names at which an attrset's names go to a shared KeyTable

_TABLES: "weakref.WeakValueDictionary[tuple, KeyTable]" = weakref.WeakValueDictionary()


class KeyTable:
    """The names of big attrsets: `names` in position order, `index` name -> position."""
    __slots__ = ("names", "index", "updates", "merges", "removals", "_sorted", "__weakref__")

    def __init__(self, names: tuple, index: dict | None = None):
        self.names = names
        self.index = dict(zip(names, range(len(names)))) if index is None else index
        self.updates: dict = {}     # names of a small right side of `//` -> (ref to table, positions)
        self.merges: dict = {}      # id of the other table, side -> (ref other, ref table, plan)
        self.removals: dict = {}    # frozenset of names -> (ref to table or None, kept positions)
        self._sorted = None

    def sorted_names(self) -> list:
        """The names in Nix's order (attrNames), computed once per table;
        callers never change the list."""
        s = self._sorted
        if s is None:
            s = self._sorted = sorted(self.names)
        return s


def table_for(names: tuple, parent: KeyTable | None = None) -> KeyTable:
    """The shared table of exactly these names in this order; `parent`, a
    table whose names start `names`, lends its index (copied: a dict copy
    is much cheaper than building one)."""
    t = _TABLES.get(names)
    if t is None:
        index = None
        if parent is not None:
            index = parent.index.copy()
            for i in range(len(parent.names), len(names)):
                index[names[i]] = i
        t = KeyTable(names, index)
        _TABLES[names] = t
    return t


class BigDict:
    """The `d` of a big attrset: a shared KeyTable and this set's values."""
    __slots__ = ("table", "vals")

    def __init__(self, table: KeyTable, vals: list):
        self.table = table
        self.vals = vals

    def get(self, name, default=None):
        i = self.table.index.get(name)
        return default if i is None else self.vals[i]

    def __getitem__(self, name):
        return self.vals[self.table.index[name]]

    def __setitem__(self, name, value):
        # only for a name the set has: a forced thunk replaced by its value
        self.vals[self.table.index[name]] = value

    def __contains__(self, name) -> bool:
        return name in self.table.index

    def __len__(self) -> int:
        return len(self.vals)

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        return iter(self.table.names)

    def keys(self):
        return self.table.index.keys()

    def values(self) -> list:
        return self.vals

    def items(self):
        return zip(self.table.names, self.vals)

    def copy(self) -> dict:
        return dict(zip(self.table.names, self.vals))

    def __eq__(self, other):
        if type(other) is BigDict:
            other = other.copy()
        return self.copy() == other

    __hash__ = None

    def __repr__(self):
        return f"BigDict({len(self.vals)} names)"


def from_dict(d: dict) -> BigDict:
    """A big set's dict in the shared layout (the table of its names, in its order)."""
    return BigDict(table_for(tuple(d)), list(d.values()))


CACHE_LIMIT = 64   # transitions remembered per table (plans of big merges are big)


def _remember(cache: dict, key, entry):
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = entry
    return entry


def update(xd, yd):
    """The `d` of `x // y` when at least one side is a BigDict (or the
    result may be big): x's names in x's order, then y's new names in y's
    order (what `dict(x); update(y)` gives), y's values winning."""
    if type(xd) is BigDict:
        if type(yd) is BigDict:
            if xd.table is yd.table:
                # the same names: y's values all win (the list is shared, and
                # only ever changed by a forced thunk becoming its value)
                return BigDict(yd.table, yd.vals)
            return _merge(xd, yd)
        return _update_small(xd, yd)
    if type(yd) is BigDict:
        return _merge(xd, yd)
    d = dict(xd)
    d.update(yd)
    return from_dict(d) if len(d) >= BIG else d


def _update_small(xd: BigDict, yd: dict) -> BigDict:
    """A big set updated by a small one: a copy of x's values (grown by
    y's new names, which lead to a child table) with y's values stored."""
    t = xd.table
    key = tuple(yd)
    hit = t.updates.get(key)
    child = None
    if hit is not None:
        child = t if hit[0] is None else hit[0]()
    if child is None:
        index = t.index
        new = tuple(n for n in key if n not in index)
        child = table_for(t.names + new, t) if new else t
        cindex = child.index
        hit = _remember(t.updates, key, (None if child is t else weakref.ref(child),
                                         tuple(cindex[n] for n in key)))
    grow = len(child.names) - len(xd.vals)
    vals = xd.vals + [None] * grow if grow else xd.vals.copy()
    for i, v in zip(hit[1], yd.values()):
        vals[i] = v
    return BigDict(child, vals)


def _merge(xd, yd) -> BigDict:
    """`//` of two sets of different names at least one of which is big,
    through a plan cached on a big side's table: the positions of the
    result's values in x's values followed by y's."""
    xbig, ybig = type(xd) is BigDict, type(yd) is BigDict
    xnames = xd.table.names if xbig else tuple(xd)
    ynames = yd.table.names if ybig else tuple(yd)
    if xbig:
        # cached on x's table, under y's table (by identity) or y's names
        owner, other = xd.table, (yd.table if ybig else ynames)
    else:
        owner, other = yd.table, xnames
    key = (xbig, id(other)) if type(other) is KeyTable else (xbig, other)
    hit = owner.merges.get(key)
    child = None
    if hit is not None and (hit[0] is None or hit[0]() is other):
        child = hit[1]()
    if child is None:
        # name -> where its value comes from, x's then y's (y's winning), in
        # the order of `dict(x); update(y)`: built by C loops, not Python's
        nx = len(xnames)
        source = dict(zip(xnames, range(nx)))
        source.update(zip(ynames, range(nx, nx + len(ynames))))
        names = tuple(source)
        child = table_for(names, xd.table if xbig else None)
        hit = _remember(owner.merges, key, (weakref.ref(other) if type(other) is KeyTable else None,
                                            weakref.ref(child), _taker(source, nx + len(ynames))))
    return BigDict(child, hit[2](xd.vals if xbig else list(xd.values()), yd.vals if ybig else list(yd.values())))


def _taker(source: dict, n: int):
    """The function (x's values, y's values) -> the values of a merge's
    result, from `source` (each name of the result -> its value's index in
    x's values followed by y's; `n` of them in all). With no name in common
    (`{ a = ...; } // packages`) the result is x's values then y's: one list
    concatenation (C copies); otherwise an itemgetter of the positions (one
    C loop, without a Python call per value)."""
    if len(source) == n:
        return list.__add__
    get = itemgetter(*source.values())
    return lambda xv, yv: list(get(xv + yv))


def remove(d: BigDict, drop) -> "BigDict | dict":
    """`removeAttrs`: d without the names of `drop` (some of which it has)."""
    t = d.table
    key = frozenset(drop)
    hit = t.removals.get(key)
    child = None
    if hit is not None and hit[0] is not None:
        child = hit[0]()
    if hit is None or (hit[0] is not None and child is None):
        keep = array("q", [i for i, n in enumerate(t.names) if n not in key])
        if len(keep) >= BIG:
            child = table_for(tuple(t.names[i] for i in keep))
        hit = _remember(t.removals, key, (None if child is None else weakref.ref(child), keep))
    vals = list(map(d.vals.__getitem__, hit[1]))
    if child is None:
        names = t.names
        return {names[i]: v for i, v in zip(hit[1], vals)}
    return BigDict(child, vals)

