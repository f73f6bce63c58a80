"""One document, analysed once: the recovered parse, the resolution, and an index.

`Analysis` is what every language feature reads. It is built from the text
alone (plus, on demand, the files it imports) by `parse_recover`, which
never raises and resolves every `Var` (level, index, `binding`, `from_with`).
One walk over the tree then builds the index the features share:

- `occurrences`: every place a name is written (a variable, an attribute
  definition, a formal, a selected attribute, an inherited name, a path
  literal), sorted by offset, so "what is under the cursor" is a bisection;
- `refs`: binding (AttrDef / Formal / Lambda) -> the `Var`s that use it,
  for references, unused bindings and useless `rec`;
- `owner`: AttrDef -> where it lives (a `let`, a `rec` set or a plain set)
  and its full attribute path;
- `var_withs`: for names a `with` provides, the enclosing `with`s, innermost
  first; `used_withs`: the `with`s some name may come from;
- doc comments (`/** ... */`, RFC 145) by the offset of what they document.

Offsets are indices into the text (`Source` spans), never LSP positions;
the adapter converts. `AnalysisCache` keeps one analysis per document (by
URI or path) and re-analyses only when the text changes; it also loads the
files a document imports (editor buffers shadow the disk). The analysis of a
text the document no longer has is abandoned (`Cancelled`) at the next
checkpoint: after the parse, and every few thousand nodes of the index.
"""
from __future__ import annotations

import bisect
import os
import re
import stat
import threading
import time
from dataclasses import dataclass, field

from .. import gcpause
from ..parse import ParseOptions, parse_recover
from ..source import Source, Span
from ..syntax import ast as A
from .docs import comment_text as doc_comment_text

# occurrence kinds
VAR, DEF, INHERIT, INHERIT_FROM, FORMAL, ARG, SELECT, PATH = (
    "var", "def", "inherit", "inherit_from", "formal", "arg", "select", "path")

# where an attribute definition lives
LET, REC, ATTR = "let", "rec", "attr"


@dataclass(slots=True)
class Occurrence:
    start: int
    end: int
    kind: str
    node: object            # Var, AttrDef, Formal, Lambda, AttrName, Path
    extra: object = None    # Lambda for FORMAL; (Select, index) for SELECT; container Attrs for INHERIT_FROM


@dataclass(slots=True)
class Owner:
    container: A.Attrs      # the set holding the definition
    where: str              # LET, REC or ATTR
    path: tuple             # full attribute path from the outermost literal set (or the let)
    node: A.Node            # the Let, or the (rec) Attrs


@dataclass
class Analysis:
    text: str
    path: str | None                    # absolute file path, when the document is a file
    source: Source
    ast: A.Node | None
    parse_diagnostics: list             # NixErrors from parse_recover, in source order
    comments: list                      # comment spans
    workspace: "AnalysisCache | None" = None
    occurrences: list = field(default_factory=list)
    starts: list = field(default_factory=list)
    refs: dict = field(default_factory=dict)          # id(binding) -> [Var]
    bindings: dict = field(default_factory=dict)      # id(binding) -> binding (keeps ids stable)
    owner: dict = field(default_factory=dict)         # id(AttrDef) -> Owner
    var_withs: dict = field(default_factory=dict)     # id(Var) -> (With, ...) innermost first
    used_withs: set = field(default_factory=set)      # id(With)
    withs: list = field(default_factory=list)
    lets: list = field(default_factory=list)
    rec_sets: list = field(default_factory=list)
    lambdas: list = field(default_factory=list)
    selects: list = field(default_factory=list)
    uris: list = field(default_factory=list)          # Str nodes written as URL literals
    lookups: list = field(default_factory=list)       # `<...>` search path lookups (Calls of __findFile)
    legacy_lets: list = field(default_factory=list)   # the rec Attrs of `let { ... }`
    inherit_from_sets: list = field(default_factory=list)   # Attrs with an `inherit (e) ...;`
    string_spans: list = field(default_factory=list)  # (start, end) of string literals, sorted
    doc_at: dict = field(default_factory=dict)        # offset of documented code -> comment Span
    index_complete: bool = True
    parsed: object = None               # the ParseResult (a base for reparsing the next text)

    # -- lookups -------------------------------------------------------------------------
    @property
    def base_dir(self) -> str:
        return self.source.base_dir

    def occurrence_at(self, offset: int) -> Occurrence | None:
        """The name under `offset`: one containing it, else one ending there
        (a cursor just after an identifier)."""
        i = bisect.bisect_right(self.starts, offset) - 1
        touching = None
        for j in (i, i - 1):
            if 0 <= j < len(self.occurrences):
                o = self.occurrences[j]
                if o.start <= offset < o.end:
                    return o
                if o.end == offset and touching is None and o.end > o.start:
                    touching = o
        return touching

    def in_comment(self, offset: int) -> bool:
        for c in self.comments:
            if c.start < offset < c.end or (c.start < offset == c.end and self.text[c.start] == "#"):
                return True
            if c.start >= offset:
                break
        return False

    def in_string(self, offset: int) -> bool:
        # spans nest (a string inside `${ }` of another), so look at every
        # span that starts before the offset; only used for rare checks
        i = bisect.bisect_left(self.string_spans, (offset, -1))
        return any(e > offset for s, e in self.string_spans[:i] if s < offset)

    def line_of(self, offset: int) -> int:
        """1-based line of an offset."""
        return self.source.line_col(offset)[0]

    def doc_comment_for(self, *offsets: int) -> str | None:
        """The RFC 145 doc comment right before one of `offsets` (tried in order)."""
        for off in offsets:
            span = self.doc_at.get(off)
            if span is not None:
                return doc_comment_text(self.text[span.start:span.end])
        return None

    def references_to(self, binding) -> list:
        return self.refs.get(id(binding), [])


_WS = re.compile(r"[ \t\r\n]*")


class Cancelled(Exception):
    """The analysis was abandoned: its text is out of date."""


CHECK_EVERY = 4096      # index nodes between two looks at `cancelled`


def analyze(text: str, path: str | None = None, workspace: "AnalysisCache | None" = None,
            options: ParseOptions | None = None, base=None, lexed=None, cancelled=None) -> Analysis:
    """Parse (recovering), resolve and index `text`. Never raises, except
    `Cancelled` when `cancelled()` (looked at now and then) turns true. `base` is
    the `parsed` of an earlier analysis of the same document without syntax
    errors: an edit inside one expression then reparses only that
    expression. `lexed` (`parsed.lexed` of the latest analysis) lets a whole
    parse reuse the tokens of the text that did not change."""
    with gcpause.paused():   # see nixlang/gcpause.py (measured here: 95 ms of a 3,000-line file's analysis)
        return _analyze(text, path, workspace, options, base, lexed, cancelled)


def _analyze(text: str, path: str | None, workspace, options, base, lexed, cancelled=None) -> Analysis:
    if path:
        path = os.path.abspath(path)
        source = Source(text, path, os.path.dirname(path))
    else:
        source = Source(text, "«editor»", os.getcwd())
    if base is not None and (base.source.origin, base.source.base_dir) != (source.origin, source.base_dir):
        base = None
    result = parse_recover(source, options, base, lexed)
    if cancelled is not None and cancelled():
        raise Cancelled()
    an = Analysis(text, path, source, result.ast, list(result.diagnostics), list(result.comments or []),
                  workspace, parsed=result)
    for c in an.comments:
        raw = text[c.start:c.end]
        if raw.startswith("/**") and not raw.startswith("/**/"):
            after = _WS.match(text, c.end).end()
            an.doc_at.setdefault(after, c)
    if an.ast is not None:
        try:
            _Indexer(an, cancelled).run(an.ast)
        except RecursionError:
            an.index_complete = False
    an.occurrences.sort(key=lambda o: (o.start, o.end))
    an.starts = [o.start for o in an.occurrences]
    an.string_spans.sort()
    return an


class _Indexer:
    """One iterative walk (no recursion: deep files must not overflow)."""

    def __init__(self, an: Analysis, cancelled=None):
        self.an = an
        self.cancelled = cancelled

    def run(self, root: A.Node) -> None:
        an = self.an
        occ = an.occurrences.append
        refs = an.refs
        cancelled = self.cancelled
        countdown = CHECK_EVERY
        # stack items: (node, withs, attr path prefix or None, flags)
        stack: list = [(root, (), None, 0)]
        while stack:
            if cancelled is not None:
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    if cancelled():
                        raise Cancelled()
            node, withs, prefix, flags = stack.pop()
            t = type(node)
            if t is A.Var:
                if not node.synthetic and not flags:
                    occ(Occurrence(node.span.start, node.span.end, VAR, node))
                b = node.binding
                if b is not None:
                    refs.setdefault(id(b), []).append(node)
                    an.bindings[id(b)] = b
                if node.from_with:
                    an.var_withs[id(node)] = withs
                    for w in withs:
                        an.used_withs.add(id(w))
            elif t is A.Attrs:
                self._attrs(node, withs, prefix, flags, stack)
            elif t is A.Let:
                an.lets.append(node)
                stack.append((node.body, withs, None, 0))
                stack.append((node.attrs, withs, (), 1))
            elif t is A.Lambda:
                an.lambdas.append(node)
                if node.arg is not None and node.arg_span is not None:
                    occ(Occurrence(node.arg_span.start, node.arg_span.end, ARG, node))
                    an.bindings[id(node)] = node
                for f in node.formals or ():
                    occ(Occurrence(f.span.start, f.span.end, FORMAL, f, node))
                    an.bindings[id(f)] = f
                    if f.default is not None:
                        stack.append((f.default, withs, None, 0))
                stack.append((node.body, withs, None, 0))
            elif t is A.With:
                an.withs.append(node)
                stack.append((node.body, (node,) + withs, None, 0))
                stack.append((node.env, withs, None, 0))
            elif t is A.Select or t is A.HasAttr:
                legacy = (t is A.Select and type(node.expr) is A.Attrs and node.expr.rec
                          and len(node.path) == 1 and node.path[0].span == node.expr.span)
                if legacy:
                    an.legacy_lets.append(node.expr)
                else:
                    an.selects.append(node)
                    for i, name in enumerate(node.path):
                        if name.name is not None:
                            occ(Occurrence(name.span.start, name.span.end, SELECT, name, (node, i)))
                        else:
                            stack.append((name.expr, withs, None, 0))
                if t is A.Select and node.default is not None:
                    stack.append((node.default, withs, None, 0))
                stack.append((node.expr, withs, None, 0))
            elif t is A.Path:
                occ(Occurrence(node.span.start, node.span.end, PATH, node))
            elif t is A.Str:
                if node.uri:
                    an.uris.append(node)
                else:
                    an.string_spans.append((node.span.start, node.span.end))
            elif t is A.ConcatStrings:
                if node.force_string:
                    an.string_spans.append((node.span.start, node.span.end))
                for p in node.parts:
                    if type(p) is A.Str and node.force_string:
                        continue
                    stack.append((p, withs, None, 0))
            else:
                if t is A.Call and type(node.fn) is A.Var and node.fn.synthetic and node.fn.name == "__findFile":
                    an.lookups.append(node)       # `<nixpkgs>`
                for c in A.children(node):
                    stack.append((c, withs, None, 0))

    def _attrs(self, node: A.Attrs, withs, prefix, flags, stack) -> None:
        an = self.an
        occ = an.occurrences.append
        is_let = flags == 1
        if node.rec and not is_let:
            an.rec_sets.append(node)
        where = LET if is_let else (REC if node.rec else ATTR)
        base = prefix if prefix is not None else ()
        if node.inherit_from:
            an.inherit_from_sets.append(node)
        for src in node.inherit_from:
            stack.append((src, withs, None, 0))
        for name, d in node.attrs.items():
            path = base + (name,)
            an.owner[id(d)] = Owner(node, where, path, node)
            an.bindings[id(d)] = d
            ns = d.name_span or d.span
            if d.kind == A.PLAIN:
                occ(Occurrence(ns.start, ns.end, DEF, d))
                nested = type(d.value) is A.Attrs and not d.value.rec
                stack.append((d.value, withs, path if nested else None, 0))
            elif d.kind == A.INHERITED:
                occ(Occurrence(ns.start, ns.end, INHERIT, d))
                stack.append((d.value, withs, None, 2))   # the Var: refs, but no separate occurrence
            else:
                occ(Occurrence(ns.start, ns.end, INHERIT_FROM, d, node))
        for dyn in node.dynamic:
            stack.append((dyn.value, withs, None, 0))
            stack.append((dyn.name, withs, None, 0))


# -- the cache ------------------------------------------------------------------------------

class AnalysisCache:
    """One analysis per document, recomputed only when its text changes.

    Documents are keyed by a string (an LSP URI, or a path). Open editor
    buffers are registered with `update`; `load(path)` gives the analysis of
    any file (an open buffer if there is one, else the file on disk), which
    is how navigation follows `import`. Thread-safe; bounded in size."""

    MAX_FILES = 256
    MAX_FILE_BYTES = 4 * 1024 * 1024
    MEMO_TTL = 5.0          # seconds a cross-file answer (`memo`) is kept while no document changes

    def __init__(self, options: ParseOptions | None = None):
        self.options = options
        self._docs: dict[str, tuple[str, str | None]] = {}     # key -> (text, path)
        self._by_path: dict[str, str] = {}                      # path -> key of the open buffer
        self._analyses: dict[str, Analysis] = {}                # key -> latest analysis
        self._disk: dict[str, tuple[float, Analysis]] = {}      # path -> (mtime, analysis)
        self._running: dict[str, tuple[str, threading.Event]] = {}   # key -> (text, done) being analysed
        self._bases: dict = {}          # key -> ParseResult of its latest text that parsed cleanly
        self._lexed: dict = {}          # key -> the tokens of its latest parse (incremental.Lexed)
        self._lock = threading.RLock()
        # the workspace around the documents (set by the editor): its folders, the
        # nixpkgs tree found for it (nixlang/ide/nixpkgs.py), who calls which file
        self.roots: tuple = ()
        self.nixpkgs: str | None = None
        from .callers import PathIndex
        self.path_index = PathIndex(self)
        self._memo: dict = {}
        self._generation = 0

    def memo(self, kind: str, key, ttl: float | None = None):
        """A remembered cross-file answer, while no document changed and for
        `MEMO_TTL` seconds; with `ttl`, for that long whatever changed (for
        answers keyed by the analyses they read, which a change replaces)."""
        hit = self._memo.get((kind, key))
        if hit is None:
            return None
        if ttl is not None:
            return hit[2] if time.monotonic() - hit[1] < ttl else None
        if hit[0] == self._generation and time.monotonic() - hit[1] < self.MEMO_TTL:
            return hit[2]
        return None

    def set_memo(self, kind: str, key, value) -> None:
        if len(self._memo) > 16384:
            self._memo.clear()
        self._memo[(kind, key)] = (self._generation, time.monotonic(), value)

    def open_text(self, path: str) -> str | None:
        """The text of the open buffer of `path`, or None when it is not open."""
        with self._lock:
            key = self._by_path.get(os.path.abspath(path))
            return self._docs[key][0] if key is not None else None

    def update(self, key: str, text: str, path: str | None = None) -> None:
        with self._lock:
            self._generation += 1
            self._docs[key] = (text, os.path.abspath(path) if path else None)
            if path:
                self._by_path[os.path.abspath(path)] = key

    def close(self, key: str) -> None:
        with self._lock:
            text_path = self._docs.pop(key, None)
            self._analyses.pop(key, None)
            self._bases.pop(key, None)
            self._lexed.pop(key, None)
            if text_path and text_path[1]:
                self._by_path.pop(text_path[1], None)

    def get(self, key: str, text: str | None = None) -> Analysis | None:
        """The analysis of an open document (computed now if its text changed).
        When another thread is already analysing this very text (the language
        server analyses in a worker thread while requests come in), wait for
        its result instead of doing the work twice. An analysis is abandoned
        as soon as the document's text changes (then the new text is analysed
        instead). With `text`: the analysis of that text of the document, or
        None once the document has another."""
        while True:
            with self._lock:
                entry = self._docs.get(key)
                if entry is None:
                    return None
                want, path = entry
                if text is not None and want is not text:
                    return None
                an = self._analyses.get(key)
                if an is not None and (an.text is want or an.text == want):
                    return an
                running = self._running.get(key)
                if running is None or running[0] is not want:
                    done = threading.Event()
                    self._running[key] = (want, done)
                    base, lexed = self._bases.get(key), self._lexed.get(key)
                    running = None
            if running is not None:
                running[1].wait()
                continue
            an = self._analyze(key, want, path, base, lexed, done)
            if an is not None:
                return an

    def _analyze(self, key: str, text: str, path, base, lexed, done: threading.Event) -> Analysis | None:
        """Analyse `text` of document `key` (the caller registered `done` as
        running); None when the document's text changed meanwhile."""
        def cancelled():
            entry = self._docs.get(key)
            return entry is None or entry[0] is not text
        try:
            an = analyze(text, path, self, self.options, base, lexed, cancelled)
            with self._lock:
                if self._docs.get(key, (None,))[0] is text:
                    self._analyses[key] = an
                parsed = an.parsed
                if parsed is not None and key in self._docs:
                    if parsed.clean:
                        self._bases[key] = parsed
                    if parsed.lexed is not None:
                        self._lexed[key] = parsed.lexed
            return an
        except Cancelled:
            return None
        finally:
            with self._lock:
                if self._running.get(key, (None, None))[1] is done:
                    del self._running[key]
            done.set()

    def text_of(self, path: str) -> str | None:
        """Text of a file: the open buffer if any, else the disk (None if unreadable)."""
        path = os.path.abspath(path)
        with self._lock:
            key = self._by_path.get(path)
            if key is not None:
                return self._docs[key][0]
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size > self.MAX_FILE_BYTES:
                return None           # a named pipe would block the server in open()
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "surrogateescape")
        except OSError:
            return None

    def load(self, path: str) -> Analysis | None:
        """The analysis of any file (for following imports)."""
        path = os.path.abspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "default.nix")
        with self._lock:
            key = self._by_path.get(path)
        if key is not None:
            return self.get(key)
        try:
            st = os.stat(path)
        except OSError:
            return None
        if st.st_size > self.MAX_FILE_BYTES:
            return None
        with self._lock:
            hit = self._disk.get(path)
            if hit is not None and hit[0] == st.st_mtime:
                return hit[1]
        text = self.text_of(path)
        if text is None:
            return None
        an = analyze(text, path, self, self.options)
        an.parsed = None            # no edits come to a file on disk: keep no base (nor its tokens)
        with self._lock:
            if len(self._disk) >= self.MAX_FILES:
                self._disk.pop(next(iter(self._disk)))
            self._disk[path] = (st.st_mtime, an)
        return an


def span_text(an: Analysis, span: Span, limit: int = 200) -> str:
    s = an.text[span.start:span.end]
    return s if len(s) <= limit else s[:limit] + "…"
