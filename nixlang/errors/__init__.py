"""Errors as values: one hierarchy, a stable code per kind.

Every error pynix reports is a `NixError`: a stable code (`E0xx` for syntax
and static checks), Nix's own message text (people search for it), the
`Source` and primary `Span` it points at, and optional labelled spans for
editors. `render_nix` prints it exactly as Nix 2.36 does; friendlier
renderings live beside it and never change the message.
"""
from __future__ import annotations

from ..records import record
from ..source import Source, Span


@record
class Label:
    span: Span
    message: str


class NixError(Exception):
    """Base of every pynix error."""

    code = "E000"
    title = "error"
    # the message ends in an argument of Nix's format (HintFmt colours each):
    # the closing colour code keeps its last line from being right-trimmed
    ends_in_argument = False

    def __init__(self, message: str, source: Source | None = None, span: Span | None = None,
                 labels: list[Label] | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.labels = labels or []
        self.kind = ""
        self.data: dict = {}

    def tagged(self, kind: str, **data) -> "NixError":
        """Say what kind of mistake this is, with its facts (types, names,
        the function called): `pynix eval`'s hints read these, never the
        message text. Kinds in use: "type", "not-a-function", "coerce",
        "add", "compare", "not-absolute", "no-such-path", "not-in-search-path", "search-path-url",
        "empty-list", "index", "missing-argument", "unexpected-argument",
        "missing-attr", "undefined-variable", "offline" (a network builtin in the
        browser playground) and, for syntax errors, "syntax"."""
        self.kind = kind
        self.data = data
        return self

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


class NullByteInString(ParseError):
    code = "E006"
    title = "null byte in a string"


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


class LintError(ParseError):
    """A `lint-*` setting at `fatal` turned a discouraged literal into an error."""
    code = "E015"
    title = "lint"


class InputError(NixError):
    """The input could not be read at all (missing file, a directory, ...)."""
    code = "E090"
    title = "cannot read input"


ALL_CODES = {cls.code: cls for cls in (
    SyntaxError_, InvalidNumber, PathTrailingSlash, ExperimentalFeatureDisabled, UrlLiteral,
    NullByteInString,
    DuplicateAttr, DuplicateFormal, DynamicAttrNotAllowed, UndefinedVariable, TooDeep, LintError,
    InputError)}



def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` once it is surely
    larger. Every "did you mean" uses it: Nix's Suggestions::bestMatches for
    missing attributes (compile), undefined names in `pynix eval` (friendly)
    and in the editor (ide)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _chomp(s: str) -> str:
    return s.rstrip(" \n\r\t")


def _finish(lines: list[str], keep: int | None = None) -> str:
    """The lines of an error text joined as Nix's showErrorInfo ends it: its
    `indent` right-trims every line (a message that starts with a newline
    leaves `error:` alone, an empty message line stays empty), then the
    logger's filterANSIEscapes; a final newline. Line `keep` is left as it
    is: the last line of a message that ends in an argument of Nix's
    format, whose closing colour code hides its trailing spaces from the trim."""
    out = []
    for i, line in enumerate(lines):
        if i != keep and (line.endswith((" ", "\t", "\r")) or " \n" in line or "\t\n" in line or "\r\n" in line):
            line = "\n".join(_chomp(part) for part in line.split("\n"))
        out.append(line)
    return filter_ansi_escapes("\n".join(out)) + "\n"


def render_code_lines(source: Source, offset: int, prefix: str = "       ") -> list[str]:
    """The excerpt Nix prints under `at FILE:L:C:` (printCodeLines in C++ Nix):
    the line before, the line itself, a caret line, and the line after, each
    line number in a 5-wide field. Nix trims trailing spaces, tabs, CR and LF
    of every printed line. Text read from stdin or a string is a C string
    there, so it ends at the first NUL byte."""
    line, col = source.line_col(offset)
    lookup = source.line_text
    if source.origin in ("«stdin»", "«string»") and "\0" in source.text:
        cut = Source(source.text.split("\0", 1)[0], source.origin)
        lookup = cut.line_text
    out = []
    prev = lookup(line - 1) if line > 1 else None
    if prev is not None:
        out.append(_chomp(f"{prefix} {line - 1:5d}| {prev}"))
    cur = lookup(line)
    if cur is not None:
        out.append(_chomp(f"{prefix} {line:5d}| {cur}"))
        out.append(f"{prefix}      |{' ' * col}^")
    nxt = lookup(line + 1)
    if nxt is not None:
        out.append(_chomp(f"{prefix} {line + 1:5d}| {nxt}"))
    return out


def filter_ansi_escapes(s: str) -> str:
    """Nix's filterANSIEscapes(s, filterAll=true), which its logger applies
    to every error: escape sequences are removed, CR and BEL dropped, and a
    tab becomes spaces up to the next multiple of 8 of the width printed so
    far in the whole message (a newline adds no width)."""
    if "\x1b" not in s and "\t" not in s and "\r" not in s and "\a" not in s:
        return s
    out = []
    w = 0
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\x1b":
            i += 1
            if i < n and s[i] == "[":
                i += 1
                while i < n and "\x30" <= s[i] <= "\x3f":
                    i += 1
                while i < n and "\x20" <= s[i] <= "\x2f":
                    i += 1
                if i < n and "\x40" <= s[i] <= "\x7e":
                    i += 1
            elif i < n and s[i] == "]":
                i += 1
                while i < n and s[i] not in "\x07\x1b":
                    i += 1
                if i < n and s[i] == "\x07":
                    i += 1
                elif i + 1 < n and s[i] == "\x1b" and s[i + 1] == "\\":
                    i += 2
            elif i < n and "\x40" <= s[i] <= "\x5f":
                i += 1
        elif c == "\t":
            out.append(" ")
            w += 1
            while w % 8:
                out.append(" ")
                w += 1
            i += 1
        elif c in "\r\a":
            i += 1
        else:
            out.append(c)
            if c != "\n":
                w += 1
            i += 1
    return "".join(out)


def render_nix(err: NixError) -> str:
    """`err` exactly as nix-instantiate prints it (ending in a newline)."""
    return _message_and_after(err, [], "error: ")


def _message_and_after(err: NixError, lines: list[str], head: str) -> str:
    """The end of an error text, after its frames: the message (`head`, then
    its further lines indented), the place and excerpt, "Did you mean"."""
    first, *rest = err.message.split("\n")
    lines.append(head + first)
    lines.extend("       " + r for r in rest)
    keep = len(lines) - 1 if err.ends_in_argument else None
    if err.source is not None and err.span is not None:
        lines.append(f"       at {err.source.location(err.span.start)}:")
        lines.extend(render_code_lines(err.source, err.span.start))
    lines.extend(_suggestion_lines(err))
    if getattr(err, "usage_hint", False):
        lines.append("Try 'nix-instantiate --help' for more information.")
    return _finish(lines, keep)


def _suggestion_lines(err: NixError) -> list[str]:
    """The "Did you mean" line showErrorInfo prints after the error's excerpt,
    whether or not the error has trace frames (Suggestions::trim, then
    `x`, `one of x or y`, `one of x, y or z`)."""
    suggestions = getattr(err, "suggestions", None)
    if not suggestions:
        return []
    if len(suggestions) == 1:
        return [f"       Did you mean {suggestions[0]}?"]
    return [f"       Did you mean one of {', '.join(suggestions[:-1])} or {suggestions[-1]}?"]


def render_warning_eval(err: NixError, show_trace: bool = True) -> str:
    """A warning with a trace, laid out as an error (`render_nix_eval`) but
    headed `warning:` and indented to its width, as Nix's logger does."""
    text = render_nix_eval(err, show_trace).rstrip("\n")
    lines = text.split("\n")
    last = max((i for i, line in enumerate(lines) if line.startswith("       error: ")), default=None)
    out = []
    for i, line in enumerate(lines):
        if i == 0:
            out.append("warning:" + line[len("error:"):])
        elif i == last:
            out.append("         warning: " + line[len("       error: "):])
        else:
            out.append(("  " + line) if line else line)
    return "\n".join(out) + "\n"


def render_warning(message: str, source: Source | None = None, offset: int | None = None) -> str:
    """A parse-time warning as Nix logs it: `warning: ` then, when it has a
    place, the `at` line and the excerpt, indented two more than an error's."""
    lines = [f"warning: {message}"]
    if source is not None and offset is not None:
        lines.append(f"         at {source.location(offset)}:")
        lines.extend(render_code_lines(source, offset, prefix="         "))
    return filter_ansi_escapes("\n".join(lines)) + "\n"


# -- evaluation errors (E2xx) ----------------------------------------------------

class Frame:
    """One `… while ...` line of an error trace, with the place it points at."""
    __slots__ = ("message", "source", "span")

    def __init__(self, message: str, source: Source | None = None, span: Span | None = None):
        self.message = message
        self.source = source
        self.span = span


class EvalError(NixError):
    code = "E200"
    title = "evaluation error"

    def __init__(self, message: str, source: Source | None = None, span: Span | None = None,
                 labels: list[Label] | None = None):
        super().__init__(message, source, span, labels)
        self.frames: list[Frame] = []

    def add_frame(self, message: str, source: Source | None = None, span: Span | None = None):
        self.frames.append(Frame(message, source, span))
        return self

    def at(self, source, span):
        """Give the error a position if it has none yet."""
        if self.span is None and source is not None:
            self.source, self.span = source, span
        return self


class TypeError_(EvalError):
    code = "E201"
    title = "wrong type"


class MissingAttr(EvalError):
    code = "E202"
    title = "attribute missing"


class InfiniteRecursionError(EvalError):
    code = "E203"
    title = "infinite recursion"


class ThrownError(EvalError):
    code = "E204"
    title = "thrown error"


class AbortError(EvalError):
    code = "E205"
    title = "evaluation aborted"


class AssertionFailed(EvalError):
    code = "E206"
    title = "assertion failed"


class DivisionByZero(EvalError):
    code = "E207"
    title = "division by zero"


class IntegerOverflow(EvalError):
    code = "E208"
    title = "integer overflow"


class CallError(EvalError):
    code = "E209"
    title = "bad function call"


class RestrictedPathError(EvalError):
    """Access to a path or URI that pure or restricted evaluation forbids."""


class NotRegularFile(EvalError):
    """A named pipe, device or socket that the editor's evaluation will not
    read (`regular_files_only`): reading one can block forever or never end."""


class StackOverflow(EvalError):
    code = "E210"
    title = "stack overflow"


class OutOfMemory(EvalError):
    """The evaluation needed more memory than the guard allows (Nix: a
    `std::bad_alloc`, printed as `error: out of memory`)."""
    code = "E214"
    title = "out of memory"


class NotImplementedYet(EvalError):
    code = "E299"
    title = "not implemented in pynix yet"


ALL_CODES.update({cls.code: cls for cls in (
    EvalError, TypeError_, MissingAttr, InfiniteRecursionError, ThrownError, AbortError,
    AssertionFailed, DivisionByZero, IntegerOverflow, CallError, StackOverflow, OutOfMemory,
    NotImplementedYet)})


_SHOW_TRACE_ONLY = ("from call site", "while calling '", "while calling anonymous lambda")


def render_nix_eval(err: NixError, show_trace: bool = True) -> str:
    """An evaluation error as nix-instantiate prints it (showErrorInfo in
    C++ Nix): the trace frames, outermost first, then the error.

    Frames repeat in recursive code. A frame seen before is held back; when
    a new frame comes, up to five held-back ones are printed as they are,
    more become one `(N duplicate frames omitted)` line. Without --show-trace, Nix does not record
    the per-call frames (`from call site`, `while calling ...`) at all, and
    prints frames only until it has used a budget of 3 (a frame with a
    position costs two); after that only frames added by
    `builtins.addErrorContext` are printed, and a note says it truncated."""
    frames = getattr(err, "frames", None) or []
    if not show_trace:
        frames = [f for f in frames if not f.message.startswith(_SHOW_TRACE_ONLY)]
    if not frames:
        return render_nix(err)
    lines = ["error:"]
    seen: set = set()
    skipped: list = []
    count = 0
    truncate = False

    def emit(f):
        nonlocal count
        lines.append("       … " + f.message.replace("\n", "\n       "))
        if f.source is not None and f.span is not None:
            lines.append(f"         at {f.source.location(f.span.start)}:")
            lines.extend(render_code_lines(f.source, f.span.start))
            count += 1
        lines.append("")

    def flush_skipped():
        nonlocal count
        if not skipped:
            return
        if len(skipped) <= 5:
            for f in skipped:
                emit(f)
        else:
            lines.append(f"       ({len(skipped)} duplicate frames omitted)")
            lines.append("")
            # (Nix means to forget the frames seen here, but clears a copy of
            # its set, so every frame stays seen; the output follows that.)
        skipped.clear()

    for f in reversed(frames):
        always = getattr(f, "always", False)
        if not show_trace and count > 3:
            truncate = True
        if truncate and not always:
            continue
        key = (f.message, f.source.origin if f.source else None, f.span.start if f.span else None, always)
        if key in seen:
            skipped.append(f)
            continue
        seen.add(key)
        flush_skipped()
        count += 1
        emit(f)
    flush_skipped()
    if truncate:
        lines.append("       (stack trace truncated; use '--show-trace' to show the full, detailed trace)")
        lines.append("")
    return _message_and_after(err, lines, "       error: ")
