"""Source files and spans.

A `Source` holds the text of one Nix file (or `--expr` string, or stdin) and
its origin name as Nix prints it (`«stdin»`, `«string»`, or an absolute
path). Positions everywhere else are plain offsets into `Source.text`; line
and column are computed on demand from a table of line starts.

Nix reads files as bytes and counts columns in bytes. We keep text as `str`
(decoded UTF-8, with undecodable bytes kept as surrogates so nothing is lost)
and convert a column to a byte count only when printing it.
"""
from __future__ import annotations

import bisect
import re

from .records import record

_LINE_END = re.compile(r"\r\n|\r|\n")


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def byte_len(s: str) -> int:
    """Length in bytes of `s` as Nix sees it: UTF-8, with surrogate-escaped
    bytes counting one each (any other lone surrogate, which only the Python
    API can produce, counts as its three-byte encoding)."""
    try:
        return len(s.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return sum(len(ch.encode("utf-8", "surrogateescape")) if not "\ud800" <= ch <= "\udfff"
                   else (1 if ch >= "\udc80" else 3) for ch in s)


class Source:
    __slots__ = ("text", "origin", "base_dir", "_line_starts")

    def __init__(self, text: str, origin: str = "«string»", base_dir: str = "/"):
        self.text = text
        self.origin = origin
        self.base_dir = base_dir
        self._line_starts: list[int] | None = None

    @property
    def line_starts(self) -> list[int]:
        """Offsets where lines start. Like Nix (Pos::LinesIterator), a line
        ends at LF, CR LF, or a lone CR."""
        if self._line_starts is None:
            text = self.text
            starts = [0]
            if "\r" not in text:
                find = text.find
                i = find("\n")
                while i >= 0:
                    starts.append(i + 1)
                    i = find("\n", i + 1)
            else:
                starts += [m.end() for m in _LINE_END.finditer(text)]
            self._line_starts = starts
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and 1-based byte column of `offset`, as Nix prints them."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        start = starts[line]
        return line + 1, byte_len(self.text[start:offset]) + 1

    def line_text(self, line: int) -> str | None:
        """Text of 1-based `line` without its line end, or None past the end."""
        starts = self.line_starts
        if line < 1 or line > len(starts):
            return None
        start = starts[line - 1]
        if line < len(starts):
            end = starts[line] - 1
            if self.text[end] == "\n" and end > start and self.text[end - 1] == "\r":
                end -= 1
        else:
            end = len(self.text)
        return self.text[start:end]

    def location(self, offset: int) -> str:
        line, col = self.line_col(offset)
        return f"{self.origin}:{line}:{col}"


@record(frozen=True, slots=True)
class Span:
    """A half-open range [start, end) of offsets in one Source."""
    start: int
    end: int

    def cover(self, other: "Span") -> "Span":
        return Span(min(self.start, other.start), max(self.end, other.end))
