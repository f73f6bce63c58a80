"""All LSP <-> ide conversion in one place.

`nixlang.ide` speaks offsets into the document text (Python string indices);
LSP speaks (line, character) with characters counted in the negotiated
position encoding (UTF-16 by default). `LineIndex` maps between the two for
one text: lines end at LF, CR LF or a lone CR (as in LSP, and as in
`nixlang.source`), and columns are counted with pygls's `PositionCodec`,
so UTF-8/16/32 all work. It also applies `didChange` events, full or
incremental, to a text.
"""
from __future__ import annotations

import bisect
import re

from lsprotocol import types
from pygls.workspace import PositionCodec

from .explanations import explanation_uri

_EOL = re.compile(r"\r\n|\r|\n")


class LineIndex:
    __slots__ = ("text", "codec", "starts")

    def __init__(self, text: str, codec: PositionCodec | None = None):
        self.text = text
        self.codec = codec or PositionCodec()
        self.starts = [0] + [m.end() for m in _EOL.finditer(text)]

    def _line_end(self, line: int) -> int:
        """Offset of the end of `line`'s content (before its line break)."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            text = self.text
            if end >= 2 and text[end - 2:end] == "\r\n":
                return end - 2
            return end - 1
        return len(self.text)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self._line_end(line))   # inside a CR LF: the end of the line
        seg = self.text[start:offset]
        ch = len(seg) if seg.isascii() else self.codec.client_num_units(seg)
        return types.Position(line=line, character=ch)

    def offset(self, pos: types.Position) -> int:
        line = pos.line
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self._line_end(line)
        seg = self.text[start:end]
        want = max(0, pos.character)
        if seg.isascii():
            return start + min(want, len(seg))
        units = 0
        for i, ch in enumerate(seg):
            if units >= want:
                return start + i
            units += self.codec.client_num_units(ch)
        return end

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def edited(self, start: int, end: int, new: str, text: str) -> "LineIndex":
        """The index of `text`, which is this index's text with `[start, end)`
        replaced by `new`: the line starts before the edit kept, those after
        it moved, only the edited stretch scanned (a keystroke in a
        40,000-line file does not scan it all). A line starts after a LF, a
        CR LF or a lone CR, so whether one starts at p depends on the
        characters at p - 1 and p only."""
        out = LineIndex.__new__(LineIndex)
        out.text, out.codec = text, self.codec
        starts = self.starts
        hi = start + len(new) + 1                  # starts in [start, hi] are found again
        i = bisect.bisect_left(starts, start)
        j = bisect.bisect_right(starts, end + 1)
        mid = [m.end() for m in _EOL.finditer(text, max(0, start - 1), min(len(text), hi + 1))]
        d = len(new) - (end - start)
        out.starts = starts[:i] + [p for p in mid if start <= p <= hi] + [p + d for p in starts[j:]]
        if not out.starts or out.starts[0] != 0:
            out.starts.insert(0, 0)
        return out


def apply_change(text: str, change, codec: PositionCodec | None = None) -> str:
    """`text` after one `TextDocumentContentChangeEvent` (a range edit or the whole text)."""
    rng = getattr(change, "range", None)
    if rng is None:
        return change.text
    s, e = change_span(LineIndex(text, codec), change)
    return text[:s] + change.text + text[e:]


def change_span(idx: LineIndex, change) -> tuple[int, int]:
    """The offsets `[start, end)` of the text (of `idx`) a ranged change replaces."""
    s = idx.offset(change.range.start)
    e = idx.offset(change.range.end)
    return (e, s) if e < s else (s, e)


# -- ide dataclasses -> lsprotocol ------------------------------------------------------------

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "information": types.DiagnosticSeverity.Information, "hint": types.DiagnosticSeverity.Hint}
TAGS = {"unnecessary": types.DiagnosticTag.Unnecessary, "deprecated": types.DiagnosticTag.Deprecated}

SYMBOL_KIND = {"variable": types.SymbolKind.Variable, "function": types.SymbolKind.Function,
               "field": types.SymbolKind.Field, "object": types.SymbolKind.Object,
               "array": types.SymbolKind.Array, "string": types.SymbolKind.String,
               "number": types.SymbolKind.Number, "boolean": types.SymbolKind.Boolean,
               "file": types.SymbolKind.File}

COMPLETION_KIND = {"variable": types.CompletionItemKind.Variable, "function": types.CompletionItemKind.Function,
                   "field": types.CompletionItemKind.Field, "keyword": types.CompletionItemKind.Keyword,
                   "builtin": types.CompletionItemKind.Function, "constant": types.CompletionItemKind.Constant}


def diagnostic(d, idx: LineIndex, uri: str, docs_url: str | None = None, titles: dict | None = None,
               other_index=None) -> types.Diagnostic:
    related = []
    for r in d.related:
        if r.path is None:
            related.append(types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri, range=idx.range(r.start, r.end)), message=r.message))
        elif other_index is not None:
            oi = other_index(r.path)
            if oi is not None:
                related.append(types.DiagnosticRelatedInformation(
                    location=types.Location(uri=oi[0], range=oi[1].range(r.start, r.end)), message=r.message))
    title = (titles or {}).get(d.code, "")
    head = f"{d.code}{' ' + title if title else ''}"
    explain = f"{head}: {d.hint}" if d.hint and not d.code.startswith("E") else head
    if title:       # every catalogued code has a title
        explain += f" (the explanation: `pynix explain {d.code}`)"
    related.append(types.DiagnosticRelatedInformation(
        location=types.Location(uri=uri, range=idx.range(d.start, d.end)), message=explain))
    href = f"{docs_url.rstrip('/')}#{d.code.lower()}" if docs_url else explanation_uri(d.code)
    return types.Diagnostic(
        range=idx.range(d.start, d.end),
        message=d.message,
        severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
        code=d.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=d.source,
        tags=[TAGS[t] for t in d.tags if t in TAGS] or None,
        related_information=related or None,
        data=d.data,
    )


def document_symbol(s, idx: LineIndex) -> types.DocumentSymbol:
    rng = idx.range(s.start, s.end)
    sel = idx.range(s.selection_start, s.selection_end)
    return types.DocumentSymbol(
        name=s.name or '""',
        kind=SYMBOL_KIND.get(s.kind, types.SymbolKind.Field),
        range=rng,
        selection_range=sel,
        detail=s.detail or None,
        children=[document_symbol(c, idx) for c in s.children] or None,
    )


def completion_item(c) -> types.CompletionItem:
    return types.CompletionItem(
        label=c.label,
        kind=COMPLETION_KIND.get(c.kind, types.CompletionItemKind.Text),
        detail=c.detail or None,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=c.documentation)
        if c.documentation else None,
        sort_text=c.sort_text or None,
    )


def folding_range(f) -> types.FoldingRange:
    return types.FoldingRange(
        start_line=f.start_line, end_line=f.end_line,
        kind=types.FoldingRangeKind.Comment if f.kind == "comment" else types.FoldingRangeKind.Region)
