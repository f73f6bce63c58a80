"""The server's open documents: their texts, the edits between them, and
which analysis answers a request.

A `Doc` holds the current text with its number (`seq`, a count of changes,
see `nixlang.ide.editmap`), a line index kept up to date edit by edit, and
two analyses of earlier texts: the latest one finished (`latest`) and the
latest one of a text that parsed (`good`). Every change is recorded in the
document's `EditLog`, so an offset of the current text can be found in the
text of either analysis, and a range of theirs in the current text.

`Doc.choose` picks the analysis a hover, a definition or a completion
reads (`View`):

- the analysis of the current text, when it is there and the text parses;
- while the text does not parse, the last good analysis, when the offset
  lies in a part the edits since have not touched (`let lib = import ./lib;
  in lib.` half typed: `lib` is the `lib` of a keystroke ago);
- while the current text is still being analysed, the latest analysis, for
  the unchanged parts, so that a 40,000-line file answers at once while
  its new analysis takes a second;
- otherwise nothing yet: the caller waits for the current analysis.

Ranges in an answer from an older analysis are moved into the current text
(`View.span`); one an edit touched is dropped. Only the event loop changes
a document; worker threads read `state` (text, seq and index together).
"""
from __future__ import annotations

from dataclasses import dataclass

from nixlang.ide.editmap import EditLog

from .convert import LineIndex, change_span


def broken(an) -> bool:
    """Does the analysed text fail to parse (a syntax error, or no tree at all)?"""
    return an.ast is None or any(e.code < "E010" or e.code == "E014" for e in an.parse_diagnostics)


@dataclass(frozen=True, slots=True)
class Analysed:
    seq: int            # the number of the text analysed
    an: object          # its Analysis
    broken: bool


@dataclass(frozen=True, slots=True)
class State:
    text: str
    seq: int
    index: LineIndex


class Doc:
    def __init__(self, uri: str, text: str, version, path: str | None, codec=None):
        self.uri = uri
        self.version = version
        self.path = path
        self.log = EditLog()
        self.state = State(text, 0, LineIndex(text, codec))
        self.latest: Analysed | None = None
        self.good: Analysed | None = None
        self.cost = 0.0                     # CPU seconds the latest analysis took

    @property
    def text(self) -> str:
        return self.state.text

    @property
    def seq(self) -> int:
        return self.state.seq

    def apply(self, changes, codec=None) -> None:
        """Apply `didChange` content changes (ranged or whole), recording each edit."""
        st = self.state
        text, idx = st.text, st.index
        if codec is not None and idx.codec is not codec:
            idx = LineIndex(text, codec)
        seq = st.seq
        for ch in changes:
            if getattr(ch, "range", None) is None:
                new = ch.text
                seq = self.log.replace(text, new)
                text, idx = new, LineIndex(new, idx.codec)
                continue
            s, e = change_span(idx, ch)
            new = text[:s] + ch.text + text[e:]
            seq = self.log.record(s, e, len(ch.text))
            idx = idx.edited(s, e, ch.text, new)
            text = new
        self.state = State(text, seq, idx)

    def note(self, seq: int, an, seconds: float | None = None) -> None:
        """An analysis of text `seq` is done."""
        if self.latest is not None and self.latest.seq > seq:
            return
        got = Analysed(seq, an, broken(an))
        self.latest = got
        if not got.broken:
            self.good = got
        if seconds is not None:
            self.cost = seconds
        keep = min(x.seq for x in (self.latest, self.good) if x is not None)
        self.log.forget_before(keep)

    def fresh(self, seq: int | None = None) -> Analysed | None:
        """The analysis of text `seq` (default: the current one), if done."""
        got = self.latest
        want = self.seq if seq is None else seq
        return got if got is not None and got.seq == want else None

    def choose(self, offset: int, seq: int) -> "View | None":
        """The analysis answering at `offset` of text `seq` now, or None to wait
        for the analysis of text `seq` (see the module's docstring)."""
        fresh = self.fresh(seq)
        if fresh is not None and not fresh.broken:
            return View(self, fresh, offset, seq, offset)
        for cand in (self.good, self.latest):
            if cand is None or cand is fresh or cand.seq > seq:
                continue
            if cand.broken and fresh is not None:
                continue          # the current text's own recovered analysis knows better
            off = self.log.back(offset, seq, cand.seq)
            if off is not None:
                return View(self, cand, off, seq, offset)
        if fresh is not None:
            return View(self, fresh, offset, seq, offset)
        return None


@dataclass
class View:
    """An analysis answering a request about text `seq` of a document: the
    request's offset in the analysed text (`offset`) and in its own (`at`)."""
    doc: Doc
    analysed: Analysed
    offset: int
    seq: int
    at: int

    @property
    def an(self):
        return self.analysed.an

    @property
    def stale(self) -> bool:
        return self.analysed.seq != self.seq

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """A span of the analysed text in the request's text (None when edited since)."""
        if not self.stale:
            return start, end
        return self.doc.log.span(start, end, self.analysed.seq, self.seq)

    def back(self, offset: int) -> int | None:
        """An offset of the request's text in the analysed one."""
        if not self.stale:
            return offset
        return self.doc.log.back(offset, self.seq, self.analysed.seq)
