"""The Nix lexer: a hand-written scanner with a mode stack, feeding Lark.

Why hand-written
----------------
Nix's lexer (src/libexpr/lexer.l, a flex scanner) is not a flat list of
regular expressions. Strings contain `${ ... }` which contain any expression,
including braces and further strings; indented strings have their own escape
rules (`''$`, `'''`, `''\\x`); and since Nix 2.4 path literals can be
interpolated (`./a/${b}/c`), so even a path switches the scanner into a mode
of its own. Flex handles this with start conditions kept on a stack. We do
the same: `Lexer.modes` is that stack, and each mode has its own scanning
function.

The modes (flex start conditions) and how they change:

    DEFAULT      ordinary code. `{` and `${` push DEFAULT, `}` pops (never
                 below the bottom entry, flex's INITIAL), `"` pushes STRING,
                 `''` pushes IND_STRING, a path literal pushes INPATH (or
                 INPATH_SLASH when it ends in `/`).
    STRING       inside "...": STR chunks, `${` pushes DEFAULT, `"` pops.
    IND_STRING   inside ''...'': IND_STR chunks, `${` pushes DEFAULT, `''` pops.
    INPATH       just after a path part: `${` continues the path with an
                 interpolation, more path characters continue it as a STR,
                 anything else ends it with a zero-width PATH_END token.
    INPATH_SLASH like INPATH, but the path so far ends in `/`, so it must
                 continue: anything else is "path has a trailing slash".

Matching follows flex exactly: at each position every rule of the mode is
tried, the longest match wins, and among equally long matches the rule that
comes first in lexer.l wins. That is why `if` is a keyword but `iffy` an
identifier, `a/b` a path, `x:x` a URI, `1.5/2` a path and `00.5` the integer
`00` followed by the float `.5`. In DEFAULT mode one regular expression
(`R_DEFAULT`) skips whitespace and recognises the tokens that nothing longer
can compete with (most of a file: identifiers, punctuation, whole strings
without interpolation), telling them apart by the group that matched; for
the rest the scan dispatches on the first character and only runs the
competing expressions that can start with it (`_longest_default`).

The scanner makes each token a plain tuple (type, value, start, end, flag),
handed over in batches (`Lexer.token_tuples`, what the strict parse reads);
`Lexer.tokens()` gives them as `NixToken`s instead (str subclasses with the
attributes of a Lark `Token`: offset, line and column, 1-based, in
characters; Nix's byte columns are computed by `Source.line_col` when an
error is printed), one scanner step at a time, for editors and tools.
STR / IND_STR tokens carry the unescaped text as value; IND_STR tokens also
say whether their text may contribute indentation (escapes and lone `$`/`'`
do not), which `strip_indentation` needs.

Errors the lexer finds itself (an integer that does not fit in 64 bits, a
float out of range, a trailing slash, pipe operators without the
experimental feature) are not raised at once: they travel as an `ERROR`
token, so the parser can first finish the reductions Bison would have made
before asking for that token, then raise. That keeps the order of errors
the same as Nix's.
"""
from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterator
from itertools import chain

from ..errors import (ExperimentalFeatureDisabled, InvalidNumber, NixError, NullByteInString,
                      PathTrailingSlash, UrlLiteral)
from ..source import Source, Span
from .ast import IntRun

INITIAL, DEFAULT, STRING, IND_STRING, INPATH, INPATH_SLASH = range(6)

KEYWORDS = {
    "if": "IF", "then": "THEN", "else": "ELSE", "assert": "ASSERT", "with": "WITH",
    "let": "LET", "in": "IN_KW", "rec": "REC", "inherit": "INHERIT", "or": "OR_KW",
}

CHAR_TOKENS = {
    "<": "LT", ">": "GT", "+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH",
    "?": "QUESTION", ":": "COLON", "@": "AT", ";": "SEMI", "!": "BANG", ".": "DOT",
    '"': "DQUOTE", "(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE", "[": "LBRACK",
    "]": "RBRACK", "=": "ASSIGN", ",": "COMMA",
}

OPERATORS = {
    "...": "ELLIPSIS", "==": "EQ", "!=": "NEQ", "<=": "LEQ", ">=": "GEQ", "&&": "AND",
    "||": "OR", "->": "IMPL", "//": "UPDATE", "++": "CONCAT", "<|": "PIPE_FROM", "|>": "PIPE_INTO",
}

_PC = r"[a-zA-Z0-9._\-+]"
# Candidate rules of DEFAULT mode, in lexer.l order (the index breaks ties).
R_OPS = re.compile(r"\.\.\.|==|!=|<=|>=|&&|\|\||->|//|\+\+|<\||\|>")
R_ID = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'\-]*")
R_INT = re.compile(r"[0-9]+")
R_FLOAT = re.compile(r"(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?")
R_IND_OPEN = re.compile(r"''(?: *\n)?")
R_PATH_START = re.compile(_PC + r"*/\$\{|~/\$\{")
R_PATH = re.compile(_PC + r"*(?:/" + _PC + r"+)+/?")
R_HPATH = re.compile(r"~(?:/" + _PC + r"+)+/?")
R_SPATH = re.compile(r"<" + _PC + r"+(?:/" + _PC + r"+)*>")
R_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+")
R_PATH_SEG = re.compile(_PC + r"*/")
R_PC_RUN = re.compile(_PC + r"*")
R_SCHEME_RUN = re.compile(r"[a-zA-Z0-9+\-.]*")
R_IN_PATH = re.compile(_PC + r"*(?:/" + _PC + r"+)+/?|" + _PC + r"*/|" + _PC + r"+")
# Whitespace and both kinds of comments (a `#` comment ends at CR or LF).
# The repetitions are possessive (`*+`, `++`): a backtracking repetition of a
# group keeps state for every pass through it, a few hundred megabytes on a
# 10 MB string or comment; none of these ever needs to give text back.
_COMMENT = r"#[^\r\n]*+|/\*(?:[^*]++|\*++[^*/])*+\*++/"
R_COMMENT = re.compile(_COMMENT)
R_SKIP_ONE = re.compile(r"[ \t\r\n]++|" + _COMMENT)
R_STR = re.compile(r'(?:[^$"\\]++|\$[^{"\\]|\\[\s\S]|\$\\[\s\S])++')
R_IND_STR = re.compile(r"(?:[^$']++|\$[^{']|'[^'$])++")

INT_MAX = (1 << 63) - 1


def _int(digits: str) -> int:
    """The value of a run of digits, or INT_MAX + 1 for any too big for 64
    bits (Python refuses to convert more than 4300 digits: a literal that
    long is Nix's "invalid integer" too, never an internal error)."""
    if len(digits) > 19:
        digits = digits.lstrip("0")
        if len(digits) > 19:
            return INT_MAX + 1
    return int(digits or "0")

# DEFAULT mode in one match (Python's `re.Scanner` idea): whitespace, then
# the first of these alternatives that matches, told apart by `lastindex`.
# Each one is a token only where flex's longest match gives that very token
# (the lookaheads rule out a longer path, URI, float or operator); anything
# else, and every rule that competes for longer matches (paths, URIs,
# numbers, `-`, `+`, `/`, `<`, `~`, `''`, `${`), goes to `_scan_default` at
# the same place through the empty last alternative. A string without `${`
# is one match for its three tokens (flex's STRING rules, see `_scan_string`).
# An identifier followed (after blanks) by a one-character token is one match
# for both (`id_p`: `a = `, `b;`, `f (`), one regex call fewer for a third of
# the identifiers. An identifier before `.`, and a `.`, are tokens when the
# run of path characters from them has no `/` (nor, for an identifier, `:`)
# after it, so no path or URI starts there: the look-ahead for it goes at most
# 64 characters (a longer run goes to `_scan_default`, which remembers runs,
# so `a.a.a...` stays linear).
R_DEFAULT = re.compile(r"""[ \t\r\n]*+(?:
    (?P<id>[a-zA-Z_][a-zA-Z0-9_'\-]*+)(?![:/.+])(?:[ \t\r\n]*+(?P<id_p>[;()\[\],@?*:]|=(?!=)))?
  | (?P<single>[;()\[\],@?*:])
  | (?P<assign>=)(?!=)
  | (?P<str>"(?:[^$"\\]++|\$[^{"\\]|\\[\s\S]|\$\\[\s\S])*+\$?")
  | (?P<lbrace>\{)
  | (?P<rbrace>\})
  | (?=[a-zA-Z0-9._\-+]{0,64}+(?![a-zA-Z0-9._\-+/:]))(?P<id_dot>[a-zA-Z_][a-zA-Z0-9_'\-]*+)(?=\.)
  | (?P<dot>\.)(?![0-9./])(?=[a-zA-Z0-9._\-+]{0,64}+(?![a-zA-Z0-9._\-+/]))
  | (?P<dquote>")
  | (?P<comment>\#[^\r\n]*+|/\*(?:[^*]++|\*++[^*/])*+\*++/)
  | (?P<op>==|!=|&&|\|\||->|//|<=|>=|<\||\|>)
  | (?P<int>[0-9]++)(?![a-zA-Z0-9._\-+/])
  | (?P<sign>\+\+?(?![a-zA-Z0-9._\-+/])|-(?![a-zA-Z0-9._\-+/>])|/(?![a-zA-Z0-9._\-+/*]|\$\{)
             |!|>|<(?![a-zA-Z0-9._\-+=|]))
  | (?P<dollar>\$\{)
  | (?P<slow>)
)""", re.X)
_G = R_DEFAULT.groupindex
_G_ID, _G_ID_P, _G_SINGLE, _G_ASSIGN, _G_STR, _G_LBRACE, _G_RBRACE, _G_ID_DOT, _G_DOT, _G_DQUOTE, \
    _G_COMMENT, _G_OP, _G_INT, _G_SIGN, _G_DOLLAR = (
        _G[g] for g in ("id", "id_p", "single", "assign", "str", "lbrace", "rbrace", "id_dot", "dot", "dquote",
                        "comment", "op", "int", "sign", "dollar"))


# Runs of integers (see `Lexer.int_runs`): an integer of at most 18 digits
# (so within 64 bits) that no path or float goes on from, after whitespace...
_INT_ITEM = r"[ \t\r\n]*+([0-9]{1,18}+)(?![a-zA-Z0-9._\-+/])"
R_INT_ITEM = re.compile(_INT_ITEM)
INT_RUN_MIN = 64
# ... and enough of them in a row to be worth packing
R_INT_RUN_START = re.compile("(?:" + _INT_ITEM + "){%d}" % (INT_RUN_MIN + 1))
_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")
_BLANKS = frozenset(" \t\r\n")     # (an integer that starts a run has a blank after it)


class NixToken(str):
    """A token: its text (a `str`) with the attributes of a Lark `Token`
    (type, value, start_pos, end_pos, line, column, end_line, end_column), so
    Lark's own parser loop can run on our tokens too, and two extras: `flag`
    (IND_STR: may carry indentation; any token: virtual, i.e. inserted by
    error recovery) and `error` (the pending lexer error of an ERROR token).
    It is not a subclass of Lark's `Token` so that parsing needs no Lark
    import when the parser tables are cached (see parser.py).

    Line and column (1-based; lines end at LF) are worked out when first
    read, from the text in `_text`: only error messages and Lark read them,
    and counting lines for every token was a tenth of the lexer's time."""
    __slots__ = ("type", "start_pos", "value", "end_pos", "flag", "error", "_text", "_lc")

    def __repr__(self):
        return "Token(%r, %r)" % (self.type, self.value)

    def __eq__(self, other):   # as Lark's Token: tokens of different types differ
        if isinstance(other, NixToken) and self.type != other.type:
            return False
        return str.__eq__(self, other)

    __hash__ = str.__hash__

    def _line_col(self) -> tuple[int, int]:
        lc = self._lc
        if lc is None:
            text, start = self._text, self.start_pos
            lc = self._lc = (text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start))
        return lc

    @property
    def line(self) -> int:
        return self._line_col()[0]

    @property
    def column(self) -> int:
        return self._line_col()[1]

    end_line = line
    end_column = column


_str_new = str.__new__

# Token tuples: the scanner makes each token a plain tuple, (type, value,
# start, end, flag), `flag` being the NixToken's (an IND_STR that may carry
# indentation; a virtual token of error recovery), or for an ERROR token its
# pending error. A tuple costs a fifth of a NixToken to make and to free,
# and the strict parse (parser.parse_syntax), whose driver and tree builder
# read tokens by index, never needs more; `Lexer.tokens()` gives NixTokens.
TYPE, VALUE, START, END, FLAG = range(5)
BATCH = 256            # tokens scanned at a time for `Lexer.token_tuples`
_flatten = chain.from_iterable


def token_tuple(t: NixToken) -> tuple:
    """The tuple of a NixToken (an ERROR token's with its error)."""
    return (t.type, t.value, t.start_pos, t.end_pos, t.error if t.type == "ERROR" else t.flag)


def make_token(type_: str, value, start: int, end: int, line: int, col: int, flag=False,
               error: NixError | None = None) -> NixToken:
    """A token at a known line and column (virtual tokens, end of input)."""
    t = _str_new(NixToken, value)
    t.type = type_
    t.value = value
    t.start_pos = start
    t.end_pos = end
    t._lc = (line, col)
    t.flag = flag
    t.error = error
    return t


# The escapes of a "..." string and the raw CRs, found by one scan: a
# backslash with the character after it, or CR with an LF after it or not.
_R_UNESCAPE = re.compile(r"\\[\s\S]|\r\n?")
_UNESCAPED = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\r": "\n", "\r\n": "\n"}


def _unescaped(m: re.Match) -> str:
    e = m.group()
    return _UNESCAPED.get(e) or e[1]


_UNESCAPE_CHUNK = 1 << 16


def unescape_str(s: str) -> str:
    """Nix's unescapeStr: `\\n`, `\\r`, `\\t`, any other `\\c` is `c`; a raw CR or
    CR LF becomes LF (a CR after a backslash stays). A lone backslash at the
    end stays.

    One regex pass with a call per escape, over pieces of 64 KiB: `re.sub`
    keeps every literal run between escapes as a string until it joins them,
    60 MB for a 10 MB string with an escape every 10 characters (the loop
    over characters before it kept a list of 80 MB). A piece ends after a
    character that is neither a backslash nor a CR, so no escape and no
    CR LF is cut in two."""
    if "\\" not in s and "\r" not in s:
        return s
    n = len(s)
    if n <= _UNESCAPE_CHUNK:
        return _R_UNESCAPE.sub(_unescaped, s)
    parts = []
    i = 0
    while i < n:
        j = i + _UNESCAPE_CHUNK
        while j < n and s[j - 1] in "\\\r":
            j += 1
        parts.append(_R_UNESCAPE.sub(_unescaped, s[i:j]))
        i = j
    return "".join(parts)


class Lexer:
    """Scans one `Source`. Iterate `tokens()`; `comments` collects the
    (start, end) spans of all comments for editors (doc comments included)."""

    def __init__(self, source: Source, pipe_operators: bool = False, collect_comments: bool = False,
                 url_literals: bool = True, int_runs: bool = False):
        self.source = source
        # With `int_runs`, integers separated by nothing but whitespace, at
        # least INT_RUN_MIN of them, come as one INT_RUN token (its value an
        # `ast.IntRun`) followed by the last one as an INT_LIT: the parser
        # appends a run to the list it is in at once, or else takes it apart
        # into its INT_LITs (see `lr.LRParser.feed_tokens`). A 5-million
        # element list of numbers (a data file) then costs no token, node or
        # parser step per element. The last integer stays a token of its own
        # because what follows it may make it more than a list element
        # (`3 .x`, `3 or`).
        self.int_runs = int_runs
        self.text = source.text
        self.pipe_operators = pipe_operators
        self.url_literals = url_literals
        self.modes = [INITIAL]
        self.comments: list[Span] | None = [] if collect_comments else None
        # flex's location of the last two matches: a token, or ("s", start,
        # end) for a run of skipped whitespace/comments. PATH_END and end of
        # file take their position from these (yylloc->unstash()).
        self._hist_prev = None
        self._hist_cur = None
        self.eof_offset = 0
        self.errors = 0          # ERROR tokens made so far
        self.start = 0           # where `tokens` begins (see `restart`)
        self._run_end = self._scheme_end = -1
        self._run_slash = self._scheme_colon = False

    def restart(self, at: int, modes=(INITIAL,), last=None) -> None:
        """Lex from offset `at` instead of the start, with the mode stack
        `modes`, as if the token `last` had just been lexed there (for an
        editor relexing part of a text: `nixlang.syntax.incremental`)."""
        self.start = at
        self.modes = list(modes)
        if type(last) is NixToken:
            last = (last.type, last.value, last.start_pos, last.end_pos, last.flag)
        self._hist_cur = last

    # -- positions ---------------------------------------------------------
    @staticmethod
    def _tok(type_, value, start, end, flag=False):
        return (type_, value, start, end, flag)

    def _error(self, cls, message, start, end, fallback: str):
        """An ERROR token; `fallback` is the token type error recovery uses in its place."""
        self.errors += 1
        return ("ERROR", fallback, start, end, cls(message, self.source, Span(start, end)))

    # -- the scanner ---------------------------------------------------------
    def _resolve(self, entry) -> tuple[int, int]:
        if entry is None:
            return 0, 0
        if len(entry) == 5:          # a token
            return entry[2], entry[3]
        kind, start, end = entry
        if kind == "s":
            last = None
            for last in R_SKIP_ONE.finditer(self.text, start, end):
                pass
            if last is not None:
                return last.start(), last.end()
        return start, end

    def tokens(self) -> Iterator[NixToken]:
        """The tokens as `NixToken`s (for editors and tools), scanned when
        asked for, one step of the scanner at a time (one token, or the few
        that one match makes: `a;`, a whole `"..."`): stopping after a `;`
        leaves the lexer (its modes, comments and errors) where it was then."""
        text = self.text
        new = _str_new
        for batch in self.batches(1):
            for t in batch:
                tok = new(NixToken, t[1])
                tok.type = tt = t[0]
                tok.value = t[1]
                tok.start_pos = t[2]
                tok.end_pos = t[3]
                if tt == "ERROR":
                    tok.flag = False
                    tok.error = t[4]
                else:
                    tok.flag = t[4]
                    tok.error = None
                tok._text = text
                tok._lc = None
                yield tok

    def token_tuples(self) -> Iterator[tuple]:
        """The tokens as tuples (see `Token tuples` above), scanned in
        batches: what the strict parse reads."""
        return _flatten(self.batches(BATCH))

    def batches(self, size: int) -> Iterator[list]:
        """The token tuples in lists of `size` (the last one maybe shorter):
        the lexer loop appends to a list, and the consumer resumes it once a
        list, not once a token."""
        text = self.text
        n = len(text)
        i = self.start
        modes = self.modes
        scan = R_DEFAULT.match
        int_runs = self.int_runs
        intern = sys.intern
        comments = self.comments
        keywords = KEYWORDS
        chars = CHAR_TOKENS
        buf: list = []
        out = buf.append
        # the history of matches lives in locals here (see _hist_*): the
        # scanners that read or write it get it synchronised around their call
        prev, cur = self._hist_prev, self._hist_cur    # None, None unless restarted
        # DEFAULT mode skips whitespace and comments between tokens: the run
        # skipped before a token is [run, start of the token), one match for
        # flex's history (`run` is where the last token ended)
        run = i
        # the mode on top of the stack, kept in a local (read again after each
        # change: indexing a list from its end is CPython's slow path)
        mode = modes[-1]
        steps = range(size)
        while True:
            # `size` steps of the scanner, then the tokens they made are handed over
            for _ in steps:
                if mode <= DEFAULT:
                    m = scan(text, i)
                    k = m.lastindex
                    s, i = m.span(k)
                    if k == _G_COMMENT:
                        if comments is not None:
                            comments.append(Span(s, i))
                        continue
                    if s > run:
                        if k == _G_ID_P:
                            # an identifier, then (after blanks) a one-character token:
                            # the identifier first
                            start, end = m.span(_G_ID)
                            if start > run:
                                prev, cur = cur, ("s", run, start)
                            v = intern(text[start:end])
                            tok = (keywords.get(v, "ID"), v, start, end, False)
                            prev, cur = cur, tok
                            out(tok)
                            if s > end:
                                prev, cur = cur, ("s", end, s)
                        else:
                            prev, cur = cur, ("s", run, s)
                    if s >= n:
                        break
                    if k == _G_ID:
                        # an identifier or keyword that no path or URI can extend
                        v = intern(text[s:i])
                        t = keywords.get(v, "ID")
                    elif k == _G_ID_P:
                        v = text[s]
                        t = chars[v]
                    elif k == _G_SINGLE:
                        # a character that is a whole token whatever follows
                        v = text[s]
                        t = chars[v]
                    elif k == _G_STR and "\0" not in (v := text[s + 1:i - 1]):
                        # a whole string without interpolation: `"`, STR, `"` (in
                        # STRING mode between the quotes, which no one sees: the
                        # three are handed over together)
                        cur = ("DQUOTE", '"', s, s + 1, False)
                        out(cur)
                        if v:
                            if "\\" in v or "\r" in v:
                                v = unescape_str(v)
                            cur = ("STR", v, s + 1, i - 1, False)
                            out(cur)
                        s = i - 1
                        t, v = "DQUOTE", '"'
                    elif k == _G_ID_DOT:
                        # `a.b`: an identifier before a dot, where no path or URI starts
                        # (no `/` or `:` after the run of path characters from here)
                        v = intern(text[s:i])
                        t = keywords.get(v, "ID")
                    elif k == _G_LBRACE:
                        modes.append(DEFAULT)
                        mode = DEFAULT
                        t, v = "LBRACE", "{"
                    elif k == _G_RBRACE:
                        if mode != INITIAL:
                            modes.pop()
                            mode = modes[-1]
                        t, v = "RBRACE", "}"
                    elif k == _G_DOT:
                        # `.` that starts no `...`, `.5` or path `./x`, `.a/b` (the run
                        # of path characters from it has no `/` after it)
                        t, v = "DOT", "."
                    elif k == _G_ASSIGN:
                        t, v = "ASSIGN", "="
                    elif k == _G_DQUOTE:
                        modes.append(STRING)
                        mode = STRING
                        t, v = "DQUOTE", '"'
                    elif k == _G_SIGN:
                        # `+`, `++`, `-`, `/`, `!`, `>`, `<` that start no path, operator or `<...>`
                        v = text[s:i]
                        t = OPERATORS.get(v) or chars[v]
                    elif k == _G_INT and not (int_runs and text[i:i + 1] in _BLANKS
                                              and R_INT_RUN_START.match(text, s)) \
                            and (v := _int(text[s:i])) <= INT_MAX:
                        # an integer no path or float goes on from (in 64 bits, not a run to pack)
                        t = "INT_LIT"
                    elif k == _G_DOLLAR:
                        modes.append(DEFAULT)
                        mode = DEFAULT
                        t, v = "DOLLAR_CURLY", "${"
                    else:
                        if k == _G_OP:
                            tok, i = self._operator(m.group(k), s)
                        else:
                            # the other rules compete for longer matches (_longest_default)
                            self._hist_prev, self._hist_cur = prev, cur
                            tok, i = self._scan_default(text, s)
                            mode = modes[-1]
                        run = i
                        prev, cur = cur, tok
                        out(tok)
                        continue
                    tok = (t, v, s, i, False)
                    run = i
                elif mode == STRING:
                    if i >= n:
                        break
                    self._hist_prev, self._hist_cur = prev, cur
                    tok, i = self._scan_string(text, i)
                    if tok is None:
                        prev, cur = self._hist_prev, self._hist_cur
                        break
                    run = i
                    mode = modes[-1]
                elif mode == IND_STRING:
                    if i >= n:
                        break
                    tok, i = self._scan_ind_string(text, i)
                    run = i
                    mode = modes[-1]
                else:
                    self._hist_prev, self._hist_cur = prev, cur
                    tok, i = self._scan_path(text, i, mode)
                    run = i
                    mode = modes[-1]
                prev, cur = cur, tok
                out(tok)
            else:
                yield buf
                buf = []
                out = buf.append
                continue
            break       # end of input
        self._hist_prev, self._hist_cur = prev, cur
        # flex keeps the last match's location for end of file
        self.eof_offset = self._resolve(cur)[1]
        if buf:
            yield buf

    def _path_or_uri(self, text: str, i: int) -> bool:
        """May a path or URI start at `i` (an identifier)? Needs a run of path
        characters followed by `/`, or of scheme characters followed by `:`;
        both runs are remembered, so that `a.b.c...` is scanned once."""
        if i >= self._run_end:
            r = R_PC_RUN.match(text, i).end()
            self._run_end, self._run_slash = r, text.startswith("/", r)
        if i >= self._scheme_end:
            r = R_SCHEME_RUN.match(text, i).end()
            self._scheme_end, self._scheme_colon = r, text.startswith(":", r)
        return self._run_slash or self._scheme_colon

    def _collect_comments(self, skipped: str, base: int) -> None:
        for m in R_COMMENT.finditer(skipped):
            self.comments.append(Span(base + m.start(), base + m.end()))

    def _scan_default(self, text: str, i: int):
        c = text[i]
        modes = self.modes
        # Identifier-like and number-like starts compete with paths and URIs.
        if c in _LETTERS or c in _DIGITS or c in "./~-+<":
            best = self._longest_default(text, i, c)
            if best is not None:
                return best
        if c == "$" and text.startswith("${", i):
            modes.append(DEFAULT)
            return self._tok("DOLLAR_CURLY", "${", i, i + 2), i + 2
        if c == "}":
            if modes[-1] != INITIAL:
                modes.pop()
            return self._tok("RBRACE", "}", i, i + 1), i + 1
        if c == "{":
            modes.append(DEFAULT)
            return self._tok("LBRACE", "{", i, i + 1), i + 1
        if c == '"':
            modes.append(STRING)
            return self._tok("DQUOTE", '"', i, i + 1), i + 1
        if c == "'" and text.startswith("''", i):
            m = R_IND_OPEN.match(text, i)
            modes.append(IND_STRING)
            return self._tok("IND_STRING_OPEN", "''", i, m.end()), m.end()
        m = R_OPS.match(text, i)
        if m:
            return self._operator(m.group(), i)
        t = CHAR_TOKENS.get(c)
        if t is not None:
            return self._tok(t, c, i, i + 1), i + 1
        # flex's catch-all rule returns the raw byte; Bison calls it "invalid token"
        return self._tok("INVALID", c, i, i + 1), i + 1

    def _operator(self, op: str, i: int):
        t = OPERATORS[op]
        end = i + len(op)
        if t in ("PIPE_FROM", "PIPE_INTO") and not self.pipe_operators:
            return self._error(
                ExperimentalFeatureDisabled,
                "experimental Nix feature 'pipe-operators' is disabled; add "
                "'--extra-experimental-features pipe-operators' to enable it", i, end, t), end
        return self._tok(t, op, i, end), end

    def _longest_default(self, text: str, i: int, c: str):
        """Run the competing DEFAULT rules at `i`; return (token, end) for the
        longest match (earliest rule on ties), or None to fall through to the
        fixed-string rules."""
        # (length, rule index, kind, match end)
        cands: list[tuple[int, int, str]] = []
        if c in _LETTERS:
            m = R_ID.match(text, i)
            e = m.end()
            nxt = text[e:e + 1]
            # a path or URI may go on past the identifier
            if not nxt or nxt not in ":/.+" or not self._path_or_uri(text, i):
                # fast path: nothing longer can start here
                s = sys.intern(m.group())
                return self._tok(KEYWORDS.get(s, "ID"), s, i, e), e
            cands.append((e - i, 4, "ID"))
            self._add_paths(text, i, cands)
            mu = R_URI.match(text, i) if self._scheme_colon else None
            if mu:
                cands.append((mu.end() - i, 15, "URI"))
        elif c in _DIGITS or c == ".":
            m = R_INT.match(text, i)
            if m:
                e = m.end()
                nxt = text[e:e + 1]
                if not nxt or (nxt not in _PATH_CHARS and nxt != "/"):
                    if self.int_runs and R_INT_RUN_START.match(text, i):
                        return self._int_run(text, i)
                    s = m.group()
                    v = _int(s)
                    if v > INT_MAX:
                        return self._error(InvalidNumber, f"invalid integer '{s}'", i, e, "INT_LIT"), e
                    return self._tok("INT_LIT", v, i, e), e
            if m:
                cands.append((m.end() - i, 5, "INT"))
            m = R_FLOAT.match(text, i)
            if m:
                cands.append((m.end() - i, 6, "FLOAT"))
            if text.startswith("...", i):
                cands.append((3, 2, "OP"))
            self._add_paths(text, i, cands)
        elif c in "-+/":
            m = R_OPS.match(text, i)
            if m:
                cands.append((m.end() - i, 3, "OP"))
            self._add_paths(text, i, cands)
        elif c == "~":
            m = R_PATH_START.match(text, i)
            if m:
                cands.append((m.end() - i, 12, "PATH_START"))
            m = R_HPATH.match(text, i)
            if m:
                cands.append((m.end() - i, 13, "HPATH"))
        elif c == "<":
            m = R_OPS.match(text, i)
            if m:
                cands.append((m.end() - i, 3, "OP"))
            m = R_SPATH.match(text, i)
            if m:
                cands.append((m.end() - i, 14, "SPATH"))
        if not cands:
            return None
        length, _, kind = max(cands, key=lambda t: (t[0], -t[1]))
        end = i + length
        s = text[i:end]
        if kind == "ID":
            s = sys.intern(s)
            return self._tok(KEYWORDS.get(s, "ID"), s, i, end), end
        if kind == "INT":
            v = _int(s)
            if v > INT_MAX:
                return self._error(InvalidNumber, f"invalid integer '{s}'", i, end, "INT_LIT"), end
            return self._tok("INT_LIT", v, i, end), end
        if kind == "FLOAT":
            return self._float(s, i, end), end
        if kind == "OP":
            return self._operator(s, i)
        if kind == "PATH_START":
            # flex: yyless(0) and rescan in PATH_START, which takes just the
            # first segment up to its slash (or `~/`).
            seg = "~/" if c == "~" else R_PATH_SEG.match(text, i).group()
            end = i + len(seg)
            self.modes.append(INPATH_SLASH)
            return self._tok("HPATH" if c == "~" else "PATH", seg, i, end), end
        if kind in ("PATH", "HPATH"):
            self.modes.append(INPATH_SLASH if s.endswith("/") else INPATH)
            return self._tok(kind, s, i, end), end
        if kind == "SPATH":
            return self._tok("SPATH", s, i, end), end
        if kind == "URI":
            if not self.url_literals:
                return self._error(UrlLiteral, "URL literals are disabled", i, end, "URI"), end
            return self._tok("URI", s, i, end), end
        raise AssertionError(kind)

    def _int_run(self, text: str, i: int):
        """(INT_RUN token, end) for the integers from `i` on, all but the last."""
        offset = "I" if len(text) < 1 << 32 and array("I").itemsize == 4 else "q"
        values, starts, ends = array("q"), array(offset), array(offset)
        more = R_INT_ITEM.scanner(text, i).match
        m = more()
        while m is not None:
            s, e = m.span(1)
            values.append(int(m.group(1)))
            starts.append(s)
            ends.append(e)
            m = more()
        for a in (values, starts, ends):
            a.pop()
        return ("INT_RUN", IntRun(values, starts, ends), i, ends[-1], False), ends[-1]

    def _add_paths(self, text: str, i: int, cands: list) -> None:
        # A path needs a `/` after a run of path characters. Remember where the
        # current run ends and whether a `/` follows, so that `a.a.a.a...`
        # does not rescan the whole run at every token (quadratic otherwise).
        if i >= self._run_end:
            e = R_PC_RUN.match(text, i).end()
            self._run_end, self._run_slash = e, text.startswith("/", e)
        if not self._run_slash:
            return
        m = R_PATH_START.match(text, i)
        if m:
            cands.append((m.end() - i, 12, "PATH_START"))
        m = R_PATH.match(text, i)
        if m:
            cands.append((m.end() - i, 13, "PATH"))

    def _float(self, s: str, i: int, end: int):
        v = float(s)
        mantissa = s.lower().split("e")[0]
        nonzero = any(ch in "123456789" for ch in mantissa)
        if v == float("inf") or (nonzero and abs(v) < 2.2250738585072014e-308):
            # strtod sets ERANGE on overflow and on underflow
            return self._error(InvalidNumber, f"invalid float '{s}'", i, end, "FLOAT_LIT")
        return self._tok("FLOAT_LIT", v, i, end)

    def _scan_string(self, text: str, i: int):
        m = R_STR.match(text, i)
        end = m.end() if m else i
        # flex's trailing-context rule: a `$` right before the closing quote
        if text.startswith('$"', end):
            end += 1
        if end > i:
            return self._string_token("STR", unescape_str(text[i:end]), i, end), end
        if text.startswith("${", i):
            self.modes.append(DEFAULT)
            return self._tok("DOLLAR_CURLY", "${", i, i + 2), i + 2
        if text[i] == '"':
            self.modes.pop()
            return self._tok("DQUOTE", '"', i, i + 1), i + 1
        # a lone `$`, `\` or `$\` can only be left over at end of input:
        # flex returns end-of-file there and the parser reports it
        self._hist_prev, self._hist_cur = self._hist_cur, ("t", i, len(text))
        return None, len(text)

    def _string_token(self, type_, value, start, end, flag=False):
        if "\0" in value:
            # forceNoNullByte: Nix strings are C strings
            shown = value.replace("\0", "\u2400")
            return self._error(NullByteInString, f"input string '{shown}' cannot be represented as Nix "
                               "string because it contains null bytes", start, end, type_)
        return self._tok(type_, value, start, end, flag=flag)

    def _scan_ind_string(self, text: str, i: int):
        m = R_IND_STR.match(text, i)
        main = m.end() - i if m else 0
        # the other rules, longest first where they compete with the main one
        if text.startswith("''", i):
            if text.startswith("'''", i):
                return self._tok("IND_STR", "''", i, i + 3), i + 3
            if text.startswith("''$", i):
                return self._tok("IND_STR", "$", i, i + 3), i + 3
            if text.startswith("''\\", i) and i + 3 < len(text):
                return self._string_token("IND_STR", unescape_str(text[i + 2:i + 4]), i, i + 4), i + 4
            self.modes.pop()
            return self._tok("IND_STRING_CLOSE", "''", i, i + 2), i + 2
        if main:
            end = i + main
            return self._string_token("IND_STR", text[i:end], i, end, flag=True), end
        if text.startswith("${", i):
            self.modes.append(DEFAULT)
            return self._tok("DOLLAR_CURLY", "${", i, i + 2), i + 2
        # `$` before `'` or at the end, or `'` before `$`
        return self._tok("IND_STR", text[i], i, i + 1), i + 1

    def _scan_path(self, text: str, i: int, mode: int):
        modes = self.modes
        if text.startswith("${", i):
            modes.pop()
            modes.append(INPATH)
            modes.append(DEFAULT)
            return self._tok("DOLLAR_CURLY", "${", i, i + 2), i + 2
        m = R_IN_PATH.match(text, i) if i < len(text) else None
        if m and m.end() > i:
            s = m.group()
            modes.pop()
            modes.append(INPATH_SLASH if s.endswith("/") else INPATH)
            return self._tok("STR", s, i, m.end()), m.end()
        modes.pop()
        at_eof = i >= len(text)
        if mode == INPATH:
            # yyless(0); yylloc->unstash(): PATH_END takes the location of the
            # match before the current one (the path part; at end of input,
            # where no new match happened, the one before that)
            start, end = self._resolve(self._hist_prev if at_eof else self._hist_cur)
            return self._tok("PATH_END", "", start, end), i
        if at_eof:
            start, end = self._resolve(self._hist_cur)
        else:
            start, end = i, i + 1
        tok = self._error(PathTrailingSlash, "path has a trailing slash", start, end, "PATH_END")
        # after the error nothing more can be read sensibly in this path
        return tok, i


class LexerInput(str):
    """What the parser front end hands to Lark's `parse()`: the text, plus the
    `Lexer` prepared for it (Lark passes the text through untouched)."""
    lexer: "Lexer"


_lark_lexer_class = None


def _make_lark_lexer_class():
    """`LarkNixLexer`, made on first use (it subclasses Lark's Lexer, and
    importing Lark costs start-up time that parsing from cached tables does
    not need)."""
    global _lark_lexer_class
    if _lark_lexer_class is None:
        from lark.lexer import Lexer as LarkLexer

        class LarkNixLexer(LarkLexer):
            """Lark's custom-lexer hook: Lark calls `lex()` with the text it was given
            and pulls tokens from our scanner lazily, one lookahead at a time."""

            def __init__(self, lexer_conf):
                self.lexer_conf = lexer_conf

            def lex(self, data):
                lexer = getattr(data, "lexer", None)
                if lexer is None:
                    lexer = Lexer(Source(str(data)))
                return lexer.tokens()
        _lark_lexer_class = LarkNixLexer
    return _lark_lexer_class


def __getattr__(name):   # `from nixlang.syntax.lexer import LarkNixLexer` still works
    if name == "LarkNixLexer":
        return _make_lark_lexer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
