"""Offsets of one text of a document, in another: the edits made in between.

An editor's document goes through many texts, one per change. Its analysis
is always of some earlier text: the one being typed may not parse (then the
last text that did is the better guide to the code around the cursor), or
may still be analysed (a 40,000-line file takes a second). `EditLog` records
each change as (start, end, length of the new text), numbered by a running
count of changes (`seq`), and maps offsets between any two of those texts.
The changes between two texts are first composed into disjoint hunks (old
span -> new span; changes that overlap or touch merge), so a character
typed and deleted again leaves no trace, and then:

- `back(offset, frm, to)`: an offset of a later text in an earlier one, or
  None when it lies strictly inside a hunk's new text. An offset at the
  edge of a hunk maps to the edge of what it replaced (typing `.` after
  `lib` and asking there maps to just after `lib`);
- `span(start, end, frm, to)`: a span of an earlier text in a later one, or
  None when a hunk touches it (overlaps it, or begins or ends at one of its
  ends: `foo` with an `x` typed after it is no longer the name `foo`). Only
  spans that no hunk touches are "unchanged parts".

A whole-text replacement (the client sent the full text) is recorded as the
one span where the old and new texts differ (their common prefix and suffix
stay), so full-sync clients get the same mapping. The log keeps what the
texts still in use need (`forget_before`) and no more than `MAX_EDITS`;
mapping from further back answers None. The editor's thread records
changes while workers map offsets: a lock keeps the two apart.
"""
from __future__ import annotations

import threading

MAX_EDITS = 20000


class EditLog:
    """The changes of one document, numbered: change `k` turns text `k - 1` into text `k`."""

    __slots__ = ("seq", "_first", "_edits", "_memo", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seq = 0               # the number of the current text
        self._first = 1            # the number of the change `_edits[0]` is
        self._edits: list[tuple[int, int, int]] = []
        self._memo = None          # ((frm, to, first), hunks): requests ask the same pair again and again

    def record(self, start: int, end: int, new_len: int) -> int:
        """One change: `[start, end)` of the current text replaced by `new_len`
        characters. Returns the number of the new text."""
        with self._lock:
            self._edits.append((start, end, new_len))
            self.seq += 1
            if len(self._edits) > MAX_EDITS:
                drop = len(self._edits) - MAX_EDITS
                del self._edits[:drop]
                self._first += drop
            return self.seq

    def replace(self, old: str, new: str) -> int:
        """A whole-text change, recorded as the span where `old` and `new` differ."""
        n = min(len(old), len(new))
        a = 0
        step = 4096
        while a < n:                   # common prefix, a block at a time
            b = min(n, a + step)
            if old[a:b] == new[a:b]:
                a = b
                continue
            while old[a] == new[a]:
                a += 1
            break
        z = 0
        limit = n - a
        while z < limit and old[len(old) - 1 - z] == new[len(new) - 1 - z]:
            z += 1
        return self.record(a, len(old) - z, len(new) - z - a)

    def forget_before(self, seq: int) -> None:
        """Texts older than `seq` will not be mapped from or to any more."""
        with self._lock:
            drop = min(len(self._edits), seq - self._first + 1)
            if drop > 0:
                del self._edits[:drop]
                self._first += drop

    def _between(self, frm: int, to: int):
        """The changes from text `frm` to text `to` (frm <= to), or None when forgotten."""
        if frm > to or to > self.seq or frm + 1 < self._first:
            return None
        return self._edits[frm + 1 - self._first: to + 1 - self._first]

    def hunks(self, frm: int, to: int) -> list | None:
        """The changes from text `frm` to text `to` composed into disjoint
        hunks `(new_start, new_end, old_start, old_end)`, sorted: `[old_start,
        old_end)` of text `frm` became `[new_start, new_end)` of text `to`,
        everything between hunks is the same text. Edits that touch (typing
        on at the end of what was typed, deleting next to it) merge into one
        hunk. None when text `frm` is forgotten."""
        with self._lock:
            key = (frm, to, self._first)
            if self._memo is not None and self._memo[0] == key:
                return self._memo[1]
            edits = self._between(frm, to)
        if edits is None:
            return None
        hunks: list = []
        for s, e, n in edits:
            hunks = _compose(hunks, s, e, n)
        self._memo = (key, hunks)
        return hunks

    def back(self, offset: int, frm: int, to: int) -> int | None:
        """`offset` of text `frm` in the earlier text `to`; None strictly inside
        text that replaced something in between."""
        hunks = self.hunks(to, frm)
        if hunks is None:
            return None
        shift = 0
        for ns, ne, os_, oe in hunks:
            if offset < ns:
                break
            if offset == ns:
                return os_
            if offset < ne:
                return None
            shift = ne - oe
        return offset - shift

    def span(self, start: int, end: int, frm: int, to: int) -> tuple[int, int] | None:
        """The span `[start, end)` of text `frm` in the later text `to`, or None
        when a change in between touched it."""
        hunks = self.hunks(frm, to)
        if hunks is None:
            return None
        shift = 0
        for ns, ne, os_, oe in hunks:
            if oe < start:
                shift = ne - oe
                continue
            if os_ > end:
                break
            return None
        return start + shift, end + shift

    def forward(self, offset: int, frm: int, to: int) -> int | None:
        """An offset of text `frm` in the later text `to` (None when a change in
        between touched it)."""
        got = self.span(offset, offset, frm, to)
        return None if got is None else got[0]


def _compose(hunks: list, s: int, e: int, n: int) -> list:
    """`hunks` (see `EditLog.hunks`, in the coordinates of the text before the
    edit) followed by the edit `[s, e)` -> `n` characters: the hunks it
    overlaps or touches become one with it."""
    if s == e and n == 0:
        return hunks
    d = n - (e - s)
    before, merged, after = [], [], []
    for h in hunks:
        if h[1] < s:
            before.append(h)
        elif h[0] > e:
            after.append(h)
        else:
            merged.append(h)

    def old_of(p: int, prior: list) -> int:
        """The old offset of unchanged text at `p`, after the hunks `prior`."""
        return p - (prior[-1][1] - prior[-1][3]) if prior else p
    if merged and merged[0][0] <= s:
        lo, olo = merged[0][0], merged[0][2]
    else:
        lo, olo = s, old_of(s, before)
    if merged and merged[-1][1] >= e:
        hi, ohi = merged[-1][1], merged[-1][3]
    else:
        hi, ohi = e, old_of(e, before + merged)
    return before + [(lo, hi + d, olo, ohi)] + [(a + d, b + d, c, f) for a, b, c, f in after]
