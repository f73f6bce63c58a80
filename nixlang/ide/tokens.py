"""Semantic tokens: what every piece of a document is, for an editor's colours.

A TextMate grammar can only guess from the text around a word; this module
knows. It reads two things the rest of the IDE layer already trusts:

- the lexer's token stream (`nixlang.syntax.lexer`), which decides exactly
  like Nix what is a keyword, a path (`a/b`), a URI (`x:y`), a number, and
  where strings, `${ }` interpolations and paths begin and end;
- the resolved `Analysis`, whose occurrences say what each written name is:
  a `let` binding, a function parameter, an attribute, a builtin, a name a
  `with` provides, or nothing at all (undefined).

Token types and modifiers are the standard LSP ones (so every client and
theme knows them). The mapping, for reference:

    keyword      if then else assert with let in rec inherit or; `${` and its `}`
    operator     + - * / ++ // == != < > <= >= && || -> ! ? |> <| ...
    number       integers and floats
    string       "..." and ''...'' text, paths, <search paths>, URIs
    regexp       escapes inside strings: \\n \\" ''$ ''' ''\\t (themes colour it
                 like an escape; LSP has no escape type)
    comment      comments; `/** ... */` doc comments add `documentation`
    variable     let bindings; `with`-provided names add `abstract` (their
                 definition is not visible here); builtin constants (`true`,
                 `null`, `__currentSystem`) are `readonly defaultLibrary`
    function     let bindings whose value is a lambda; builtin functions
                 (`map`, `toString`, `builtins.elemAt`) add `defaultLibrary`
    parameter    lambda arguments and formals (`{ a, b ? 1 }@args`)
    property     attribute names: in a definition add `declaration`, in a
                 selection `a.b` none; names of `rec` sets used as variables
    namespace    `builtins` (defaultLibrary)

Definitions (`x = ...;` in a let, formals, `inherit x;`) carry `declaration`.
Undefined names get no token (the diagnostic says what is wrong); neither
does punctuation.

Tokens are `(start, end, type, modifiers)` with offsets into the text, in
order, never overlapping; a token may span lines (a block comment, an
indented string): the LSP adapter splits those per line.

Speed. The analysis does not keep the parser's tokens (if it ever does, as
`an.tokens`, they are used), so this module lexes, once per analysis, and
caches the result (weakly, by `Analysis` object); later full and range
requests on the same version only slice. Lexing a 3,000-line file takes
about 50 ms, so the token stream of the last version of each file is kept
too: after an edit only the edited stretch is lexed again, from the last
`;` before the edit (where the lexer is in plain code, no string or path
open) to the first such `;` after it that the old stream also has; the rest
is the old tokens, shifted. That is exact (the lexer's future depends only
on the text ahead and on whether a string or path is open), and a test
compares it with a full lexing on random edits.

`lexed(an)` is shared with selection ranges and inlay hints: the token
stream with its bracket structure (`${ }`, `( )`, `[ ]`, `{ }`, strings,
paths, `let ... in`), which also repairs AST spans that stop short of a
closing `}` or quote.
"""
from __future__ import annotations

import bisect
import re
import threading
import weakref

from ..syntax import ast as A
from ..source import Source
from ..syntax.incremental import edit_between
from ..syntax.lexer import DEFAULT, Lexer
from .analysis import ARG, DEF, FORMAL, INHERIT, INHERIT_FROM, LET, SELECT, VAR, Analysis

TOKEN_TYPES = ["keyword", "operator", "number", "string", "regexp", "comment", "variable", "function",
               "parameter", "property", "namespace"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary", "documentation", "abstract"]

NO_MODS: tuple = ()
DECL = ("declaration",)
LIB = ("defaultLibrary",)
CONST = ("readonly", "defaultLibrary")
WITH = ("abstract",)
DOC = ("documentation",)


KEYWORD_TYPES = frozenset({"IF", "THEN", "ELSE", "ASSERT", "WITH", "LET", "IN_KW", "REC", "INHERIT", "OR_KW"})
OPERATOR_TYPES = frozenset({
    "PLUS", "MINUS", "STAR", "SLASH", "LT", "GT", "BANG", "QUESTION", "ELLIPSIS", "EQ", "NEQ", "LEQ", "GEQ",
    "AND", "OR", "IMPL", "UPDATE", "CONCAT", "PIPE_FROM", "PIPE_INTO"})
OPENERS = {"LPAR": "RPAR", "LBRACK": "RBRACK", "LBRACE": "RBRACE", "DOLLAR_CURLY": "RBRACE",
           "IND_STRING_OPEN": "IND_STRING_CLOSE", "PATH": "PATH_END", "HPATH": "PATH_END", "LET": "IN_KW"}
_ESCAPE = re.compile(r"\\[\s\S]")


# -- the lexed document ---------------------------------------------------------------------

class Lexed:
    """The tokens of one text as parallel lists (type, start, end), plus, on
    demand, the bracket structure: `enc[k]` is the index of the innermost
    group opener around token k (-1 at top level; a closer belongs to the
    level of its opener), `partner[k]` links openers and closers (-1 if
    none) and `depth[k]` counts the groups around token k.

    Groups are `( )`, `[ ]`, `{ }`, `${ }`, `"..."`, `''...''`, a path
    literal (PATH ... PATH_END, the end being zero-width) and `let ... in`.
    Zero-width PATH_END tokens sit at the end of the path they close."""

    __slots__ = ("text", "types", "starts", "ends", "semis", "_enc", "_partner", "_depth")

    def __init__(self, text: str, types: list, starts: list, ends: list, semis: list | None = None):
        self.text = text
        self.types = types
        self.starts = starts
        self.ends = ends
        # indexes of `;` tokens after which the lexer was in plain code (no
        # string or path open): places where lexing can restart (None: unknown)
        self.semis = semis
        self._enc = self._partner = self._depth = None

    @classmethod
    def of(cls, an: Analysis, previous: "Lexed | None" = None) -> "Lexed":
        """The tokens of `an`: the parser's own (`an.tokens`, when the analysis
        keeps them), else the text lexed now; with the tokens of a `previous`
        version of the text, only the edited part is lexed again."""
        toks = getattr(an, "tokens", None)
        if toks is not None:
            return cls.from_tokens(an.text, toks)
        if previous is not None and previous.semis is not None:
            return previous if previous.text == an.text else cls._relex(previous, an.text)
        return cls._lex(an.text, 0)

    @classmethod
    def _lex(cls, text: str, start: int, resync=None) -> "Lexed":
        """Lex `text` from `start` (a plain-code boundary); see `from_tokens`."""
        lexer = Lexer(Source(text[start:] if start else text), pipe_operators=True, url_literals=True)
        return cls.from_tokens(text, lexer.tokens(), start, lexer.modes, resync)

    @classmethod
    def _relex(cls, old: "Lexed", text: str) -> "Lexed":
        """Lex `text`, a new version of `old.text`, again only where it changed:
        restart after the last safe `;` before the edit, and stop at the first
        safe `;` after it that the old tokens also have (from there on the text
        is the same and the lexer is in the same state, plain code)."""
        a, b = old.text, text
        prefix, _, edit_end = edit_between(a, b)     # edit_end: in the new text
        delta = len(b) - len(a)
        semis = old.semis
        # a `/*` without its `*/` was lexed as `/` and `*`: a `*/` added later
        # makes the code after it a comment, so restart before it
        types, starts = old.types, old.starts
        k = -1
        while True:
            try:
                k = types.index("STAR", k + 1)
            except ValueError:
                break
            if a[starts[k] - 1:starts[k]] == "/":
                prefix = min(prefix, starts[k] - 1)
                break
        # restart after old token r: the last safe `;` that ends before the edit
        i = bisect.bisect_right(semis, bisect.bisect_right(old.ends, prefix) - 1) - 1
        r = semis[i] if i >= 0 else -1
        old_semis = set(semis)

        def resync(s_new: int):
            if s_new < edit_end:
                return None
            k = bisect.bisect_left(old.starts, s_new - delta)
            if k < len(old.types) and old.starts[k] == s_new - delta and k in old_semis:
                return k, delta, old
            return None

        if r < 0:
            return cls._lex(text, 0, resync)
        restart = old.ends[r]
        tail = cls._lex(text, restart, resync)
        return cls(text, old.types[:r + 1] + tail.types, old.starts[:r + 1] + tail.starts,
                   old.ends[:r + 1] + tail.ends, semis[:i + 1] + [k + r + 1 for k in tail.semis])

    @classmethod
    def from_tokens(cls, text: str, tokens, start: int = 0, modes: list | None = None,
                    resync=None) -> "Lexed":
        """Collect lexer tokens, whose offsets are relative to `start`. With the
        lexer's live `modes`, the `;` after which it is in plain code are
        noted, and `resync(offset)` is asked at each: it may return (k, delta,
        old), meaning the old tokens after old token k, shifted by `delta`,
        finish the stream."""
        types, starts, ends = [], [], []
        semis: list | None = [] if modes is not None else None
        prev_end = start
        for t in tokens:
            ty = t.type
            if ty == "ERROR":
                ty = t.value                  # the token type recovery uses in its place
            if ty == "PATH_END":
                types.append(ty)
                starts.append(prev_end)
                ends.append(prev_end)
                continue
            s, e = t.start_pos + start, t.end_pos + start
            if e <= s:
                continue                      # a token inserted by error recovery
            if ty == "IND_STRING_OPEN":
                e = s + 2                     # the token also swallows the rest of its line
            types.append(ty)
            starts.append(s)
            ends.append(e)
            prev_end = e
            if ty == "SEMI" and semis is not None and max(modes) <= DEFAULT:
                semis.append(len(types) - 1)
                tail = resync(s) if resync is not None else None
                if tail is not None:
                    k_old, delta, old = tail
                    shift = len(types) - (k_old + 1)
                    types += old.types[k_old + 1:]
                    starts += [x + delta for x in old.starts[k_old + 1:]]
                    ends += [x + delta for x in old.ends[k_old + 1:]]
                    semis += [k + shift for k in old.semis[bisect.bisect_right(old.semis, k_old):]]
                    break
        return cls(text, types, starts, ends, semis)

    # -- structure ------------------------------------------------------------------------
    def _build(self) -> None:
        types = self.types
        n = len(types)
        enc = [-1] * n
        partner = [-1] * n
        depth = [0] * n
        stack: list[int] = []       # opener indexes
        expect: list[str] = []      # closer type of each open group
        for k in range(n):
            ty = types[k]
            # does this token close a group?
            if expect:
                top = expect[-1]
                closes = ty == top
                if not closes and ty in ("RBRACE", "RPAR", "RBRACK", "IND_STRING_CLOSE") and ty in expect:
                    # a closer with unclosed groups inside it (broken code): close those
                    while expect[-1] != ty:
                        expect.pop()
                        stack.pop()
                    closes = True
                if closes:
                    o = stack.pop()
                    expect.pop()
                    enc[k] = enc[o]
                    depth[k] = depth[o]
                    partner[k] = o
                    partner[o] = k
                    continue
            enc[k] = stack[-1] if stack else -1
            depth[k] = len(stack)
            if ty == "DQUOTE":
                stack.append(k)
                expect.append("DQUOTE")
            elif ty in OPENERS:
                if ty == "LET" and k + 1 < n and types[k + 1] == "LBRACE":
                    continue              # legacy `let { ... }`: the braces are the group
                stack.append(k)
                expect.append(OPENERS[ty])
        self._enc, self._partner, self._depth = enc, partner, depth

    @property
    def enc(self) -> list:
        if self._enc is None:
            self._build()
        return self._enc

    @property
    def partner(self) -> list:
        if self._partner is None:
            self._build()
        return self._partner

    @property
    def depth(self) -> list:
        if self._depth is None:
            self._build()
        return self._depth

    def close_of(self, o: int) -> int:
        """The index of the closer of the group opened at `o` (the last token if unclosed)."""
        c = self.partner[o]
        return c if c >= 0 else len(self.types) - 1

    def token_at(self, offset: int) -> int:
        """Index of the token containing `offset`, else one ending there, else -1."""
        k = bisect.bisect_right(self.starts, offset) - 1
        while k >= 0 and self.starts[k] == self.ends[k]:
            k -= 1                        # zero-width PATH_END
        if k < 0:
            return -1
        if self.starts[k] <= offset < self.ends[k]:
            return k
        if self.ends[k] == offset:
            return k
        return -1

    def repair(self, start: int, end: int) -> tuple[int, int]:
        """The smallest balanced run of whole tokens covering `start..end`: AST
        spans of interpolated strings stop at their last part (`"a${b` for
        `"a${b}"`), and so do the spans of calls and sets around them."""
        starts, ends = self.starts, self.ends
        i = bisect.bisect_left(starts, start)
        j = bisect.bisect_left(starts, end) - 1
        while j >= i and starts[j] == ends[j] and starts[j] >= end:
            j -= 1
        if i >= len(starts) or j < i:
            return start, end
        enc, depth = self.enc, self.depth
        for _ in range(256):
            if enc[i] == enc[j]:
                break
            di, dj = depth[i], depth[j]
            if dj >= di and enc[j] >= 0:
                j = self.close_of(enc[j])
            if di >= dj and enc[i] >= 0 and enc[i] != enc[j]:
                i = enc[i]
        return min(start, starts[i]), max(end, ends[j])


_lock = threading.Lock()
# id(Analysis) -> [weakref to it, Lexed, tokens or None, (token ends)]; weak, so
# that an old version of a document is not kept alive by this cache
_cache: dict[int, list] = {}
_CACHE_SIZE = 8
_previous: dict[str, "Lexed"] = {}   # file path -> the tokens of its last version lexed


def _entry(an: Analysis) -> list:
    with _lock:
        hit = _cache.get(id(an))
        if hit is not None and hit[0]() is an:
            return hit
    with _lock:
        previous = _previous.get(an.path) if an.path else None
    lx = Lexed.of(an, previous)
    entry = [weakref.ref(an), lx, None]
    with _lock:
        if an.path and lx.semis is not None:
            _previous.pop(an.path, None)
            if len(_previous) >= 16:
                _previous.pop(next(iter(_previous)))
            _previous[an.path] = lx
        for key in [k for k, e in _cache.items() if e[0]() is None]:
            del _cache[key]
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[id(an)] = entry
    return entry


def lexed(an: Analysis) -> Lexed:
    """The token stream of the analysed text (lexed once per analysis)."""
    return _entry(an)[1]


# -- classification -----------------------------------------------------------------------

def semantic_tokens(an: Analysis, start: int = 0, end: int | None = None) -> list[tuple]:
    """The semantic tokens `(start, end, type, modifiers)` of the document, or
    of the part overlapping `start..end`, in order and never overlapping."""
    entry = _entry(an)
    toks = entry[2]
    if toks is None:
        toks = entry[2] = _classify(an, entry[1])
    if start <= 0 and (end is None or end >= len(an.text)):
        return toks
    end = len(an.text) if end is None else end
    # tokens never overlap, so their ends are sorted too
    if len(entry) < 4:
        entry.append([t[1] for t in toks])
    lo = bisect.bisect_right(entry[3], start)
    out = []
    for t in toks[lo:]:
        if t[0] >= end:
            break
        out.append(t)
    return out


_builtin_kinds: dict[str, tuple] = {}


def builtin_kind(name: str) -> tuple[str, tuple]:
    """(type, modifiers) of a builtin name (`map`, `true`, `__add`, `builtins`)."""
    hit = _builtin_kinds.get(name)
    if hit is None:
        if name == "builtins":
            hit = ("namespace", LIB)
        elif name in ("true", "false", "null", "__curPos"):
            hit = ("variable", CONST)
        else:
            from .static import builtin_doc
            doc = builtin_doc(name)
            hit = ("function", LIB) if doc is not None and doc.arity is not None else ("variable", CONST)
        _builtin_kinds[name] = hit
    return hit


def _binding_kind(an: Analysis, b, declaration: bool) -> tuple[str, tuple] | None:
    t = type(b)
    if t is A.Formal or t is A.Lambda:
        return "parameter", DECL if declaration else NO_MODS
    if t is A.AttrDef:
        owner = an.owner.get(id(b))
        mods = DECL if declaration else NO_MODS
        if owner is not None and owner.where == LET:
            if b.kind == A.PLAIN and type(b.value) is A.Lambda:
                return "function", mods
            return "variable", mods
        return "property", mods
    return None


def _occurrence_kind(an: Analysis, o) -> tuple[str, tuple] | None:
    k = o.kind
    if k == VAR:
        v = o.node
        b = v.binding
        if b is not None:
            return _binding_kind(an, b, False)
        if v.from_with:
            return "variable", WITH
        if v.level >= 0:
            return builtin_kind(v.name)
        return None                       # undefined: the diagnostic says so
    if k in (DEF, INHERIT, INHERIT_FROM, FORMAL, ARG):
        return _binding_kind(an, o.node, True)
    if k == SELECT:
        sel, i = o.extra
        e = sel.expr
        if i == 0 and type(e) is A.Var and e.name == "builtins" and e.binding is None and not e.from_with \
                and e.level >= 0 and o.node.name is not None:
            kind = builtin_kind(o.node.name)
            return kind if kind[0] != "namespace" else ("namespace", LIB)
        return "property", NO_MODS
    return None


# token types classified by their type alone, and punctuation (no token)
_SIMPLE = {**{t: ("keyword", NO_MODS) for t in KEYWORD_TYPES},
           **{t: ("operator", NO_MODS) for t in OPERATOR_TYPES},
           "INT_LIT": ("number", NO_MODS), "FLOAT_LIT": ("number", NO_MODS),
           "SPATH": ("string", NO_MODS), "URI": ("string", NO_MODS)}
_PUNCTUATION = frozenset({"SEMI", "ASSIGN", "COLON", "COMMA", "DOT", "LPAR", "RPAR", "LBRACK", "RBRACK", "AT",
                          "INVALID"})
_BINDING_STARTS = frozenset({"LBRACE", "SEMI", "LET"})


def _classify(an: Analysis, lx: Lexed) -> list[tuple]:
    text = an.text
    types, starts, ends = lx.types, lx.starts, lx.ends
    occs = an.occurrences
    n_occ = len(occs)
    p = 0
    comments = an.comments
    n_com = len(comments)
    c = 0
    out: list = []
    add = out.append
    ctx: list[str] = []          # "S" string, "I" indented string, "P" path, "C" ${, "B" {, "L" let
    attr_pos = -1                # names seen of an attrpath at the start of a binding, -1: not there
    used: dict = {}              # id(binding) -> the kind of its uses
    for k in range(len(types)):
        ty = types[k]
        s = starts[k]
        e = ends[k]
        while c < n_com and comments[c].start < s:
            cm = comments[c]
            add((cm.start, cm.end, "comment",
                 DOC if text.startswith("/**", cm.start) and not text.startswith("/**/", cm.start) else NO_MODS))
            c += 1
        if ty == "ID" or ty == "OR_KW":
            while p < n_occ and occs[p].start < s:
                p += 1
            kind = None
            q = p
            found = False
            while q < n_occ and occs[q].start == s:
                o = occs[q]
                if o.end == e:
                    b = o.node.binding if o.kind == VAR else None
                    if b is not None:     # most names: a use of a binding seen before
                        kind = used.get(id(b))
                        if kind is None:
                            kind = used[id(b)] = _binding_kind(an, b, False)
                    else:
                        kind = _occurrence_kind(an, o)
                    found = True
                    break
                q += 1
            if not found:
                if ty == "OR_KW":
                    kind = ("keyword", NO_MODS)
                elif attr_pos >= 0 and ctx and ctx[-1] in "BL":
                    # a name of an attrpath with no occurrence of its own: the
                    # `a` of a second `a.x = ...;` (merged into the first), or a
                    # duplicate attribute
                    kind = ("variable", DECL) if ctx[-1] == "L" and attr_pos == 0 else ("property", DECL)
            if kind is not None:
                add((s, e, kind[0], kind[1]))
            attr_pos = attr_pos + 1 if attr_pos >= 0 else -1
            continue
        if ty != "DOT":
            attr_pos = 0 if ty in _BINDING_STARTS else -1
        kind = _SIMPLE.get(ty)
        if kind is not None:
            add((s, e) + kind)
            if ty == "LET" and not (k + 1 < len(types) and types[k + 1] == "LBRACE"):
                ctx.append("L")
            elif ty == "IN_KW" and ctx and ctx[-1] == "L":
                ctx.pop()
        elif ty in _PUNCTUATION:
            pass
        elif ty == "STR":
            top = ctx[-1] if ctx else ""
            if top == "P":
                add((s, e, "string", NO_MODS))
            elif top == "S" and "\\" in text[s:e]:
                pos = s
                for m in _ESCAPE.finditer(text, s, e):
                    if m.start() > pos:
                        add((pos, m.start(), "string", NO_MODS))
                    add((m.start(), m.end(), "regexp", NO_MODS))
                    pos = m.end()
                if pos < e:
                    add((pos, e, "string", NO_MODS))
            else:
                add((s, e, "string", NO_MODS))
        elif ty == "IND_STR":
            add((s, e, "regexp" if text.startswith("''", s) else "string", NO_MODS))
        elif ty == "DQUOTE":
            add((s, e, "string", NO_MODS))
            if ctx and ctx[-1] == "S":
                ctx.pop()
            else:
                ctx.append("S")
        elif ty == "IND_STRING_OPEN":
            add((s, e, "string", NO_MODS))
            ctx.append("I")
        elif ty == "IND_STRING_CLOSE":
            add((s, e, "string", NO_MODS))
            if ctx and ctx[-1] == "I":
                ctx.pop()
        elif ty == "DOLLAR_CURLY":
            add((s, e, "keyword", NO_MODS))
            ctx.append("C")
        elif ty == "LBRACE":
            ctx.append("B")
        elif ty == "RBRACE":
            while ctx and ctx[-1] == "L":     # a `let` left open by broken code
                ctx.pop()
            if ctx and ctx[-1] in "CB":
                if ctx.pop() == "C":
                    add((s, e, "keyword", NO_MODS))
        elif ty in ("PATH", "HPATH"):
            add((s, e, "string", NO_MODS))
            ctx.append("P")
        elif ty == "PATH_END":
            if ctx and ctx[-1] == "P":
                ctx.pop()
    while c < n_com:
        cm = comments[c]
        add((cm.start, cm.end, "comment",
             DOC if text.startswith("/**", cm.start) and not text.startswith("/**/", cm.start) else NO_MODS))
        c += 1
    return out


__all__ = ["TOKEN_TYPES", "TOKEN_MODIFIERS", "semantic_tokens", "builtin_kind", "Lexed",
           "lexed"]
