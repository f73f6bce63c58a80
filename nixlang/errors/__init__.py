"""Errors as values: one hierarchy, a stable code per kind.

Every error pynix reports is a `NixError`: a stable code (`E0xx` for syntax
and static checks), Nix's own message text (people search for it), the
`Source` and primary `Span` it points at, and optional labelled spans for
editors. `render_nix` prints it exactly as Nix 2.36 does; friendlier
renderings live beside it and never change the message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..source import Source, Span


@dataclass
class Label:
    span: Span
    message: str


class NixError(Exception):
    """Base of every pynix error."""

    code = "E000"
    title = "error"

    def __init__(self, message: str, source: Source | None = None, span: Span | None = None,
                 labels: list[Label] | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.labels = labels or []

    def __str__(self) -> str:
        if self.source is not None and self.span is not None:
            return f"{self.message} at {self.source.location(self.span.start)}"
        return self.message

    def to_dict(self) -> dict:
        d = {"code": self.code, "message": self.message}
        if self.source is not None and self.span is not None:
            sl, sc = self.source.line_col(self.span.start)
            el, ec = self.source.line_col(self.span.end)
            d.update(origin=self.source.origin, start=[sl, sc], end=[el, ec])
        if self.labels:
            d["labels"] = [{"message": l.message, "start": self.source.line_col(l.span.start)}
                           for l in self.labels]
        return d


class ParseError(NixError):
    """Raised while reading a file: syntax and the static checks Nix makes at parse time."""
    code = "E000"
    title = "parse error"


class SyntaxError_(ParseError):
    code = "E001"
    title = "syntax error"


class InvalidNumber(ParseError):
    code = "E002"
    title = "invalid number literal"


class PathTrailingSlash(ParseError):
    code = "E003"
    title = "path has a trailing slash"


class ExperimentalFeatureDisabled(ParseError):
    code = "E004"
    title = "experimental feature disabled"


class UrlLiteral(ParseError):
    code = "E005"
    title = "URL literal"


class DuplicateAttr(ParseError):
    code = "E010"
    title = "attribute already defined"


class DuplicateFormal(ParseError):
    code = "E011"
    title = "duplicate formal function argument"


class DynamicAttrNotAllowed(ParseError):
    code = "E012"
    title = "dynamic attribute not allowed here"


class UndefinedVariable(ParseError):
    code = "E013"
    title = "undefined variable"


class TooDeep(ParseError):
    code = "E014"
    title = "expression nested too deeply"


class InputError(NixError):
    """The input could not be read at all (missing file, a directory, ...)."""
    code = "E090"
    title = "cannot read input"


ALL_CODES = {cls.code: cls for cls in (
    SyntaxError_, InvalidNumber, PathTrailingSlash, ExperimentalFeatureDisabled, UrlLiteral,
    DuplicateAttr, DuplicateFormal, DynamicAttrNotAllowed, UndefinedVariable, TooDeep, InputError)}


def render_code_lines(source: Source, offset: int, prefix: str = "      ") -> list[str]:
    """The excerpt Nix prints under `at FILE:L:C:` (printCodeLines in C++ Nix):
    the line before, the line itself, a caret line, and the line after.
    Trailing whitespace of every printed line is dropped, as Nix's output shows."""
    line, col = source.line_col(offset)
    out = []
    prev = source.line_text(line - 1) if line > 1 else None
    if prev is not None:
        out.append(f"{prefix} {line - 1:6d}| {prev}".rstrip())
    cur = source.line_text(line)
    if cur is not None:
        out.append(f"{prefix} {line:6d}| {cur}".rstrip())
        out.append(f"{prefix}       |{' ' * col}^")
    nxt = source.line_text(line + 1)
    if nxt is not None:
        out.append(f"{prefix} {line + 1:6d}| {nxt}".rstrip())
    return out


def render_nix(err: NixError) -> str:
    """`err` exactly as nix-instantiate prints it (ending in a newline)."""
    lines = [f"error: {err.message}"]
    if err.source is not None and err.span is not None:
        lines.append(f"       at {err.source.location(err.span.start)}:")
        lines.extend(render_code_lines(err.source, err.span.start))
    return "\n".join(lines) + "\n"
