"""String builtins: stringLength, substring, concatStringsSep, replaceStrings,
match, split, baseNameOf, dirOf.

Nix strings are byte strings: lengths and offsets count UTF-8 bytes, and the
regular expressions (C++ `std::regex` with POSIX extended syntax, libstdc++)
match bytes too. Here a Nix string is a Python `str` whose invalid UTF-8
bytes are surrogate-escaped, so each builtin works on its UTF-8 bytes and
decodes the result back the same way.

Regular expressions are translated from POSIX ERE (as libstdc++ parses it)
to Python `re` on bytes; see `_EreTranslator`.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import re

from .. import errors as E
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.paths import canon_path
from ..runtime.values import CtxStr, Path, Thunk, context_of, force, make_string
from . import builtin


# -- helpers -------------------------------------------------------------------------

def to_bytes(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def while_(message: str):
    """Add Nix's `… while evaluating ...` trace line to errors raised inside
    (for code off the hot paths; the helpers below inline it)."""
    try:
        yield
    except E.EvalError as exc:
        exc.add_frame(message)
        raise


def forced(v: Thunk, message: str):
    """Force a thunk; an error raised meanwhile gets the trace line `message`
    (the helpers test for a thunk first, so a value costs no call)."""
    try:
        return v.force()
    except E.EvalError as exc:
        raise exc.add_frame(message)


def force_string(v, ctx: set | None, message: str) -> str:
    """Nix's forceString: a string (no coercion); its context goes to `ctx`.
    Any error raised while forcing gets the trace line `message`."""
    if type(v) is Thunk:
        v = v.value if v.code is None else forced(v, message)
    t = type(v)
    if t is str:
        return v
    if t is CtxStr:
        if ctx is not None:
            ctx |= v.context
        return v
    raise type_error("a string", v).add_frame(message)


def force_string_no_ctx(v, message: str) -> str:
    """Nix's forceStringNoCtx: a string that must not refer to store paths."""
    s = force_string(v, None, message)
    if type(s) is str:
        return s
    c = s.context
    if c:
        some = sorted(str(x) for x in c)[0]
        raise E.EvalError(f"the string '{s}' is not allowed to refer to a store path (such as '{some}')"
                          ).add_frame(message)
    return str(s)


def force_int(v, message: str) -> int:
    if type(v) is Thunk:
        v = v.value if v.code is None else forced(v, message)
    if type(v) is not int:
        raise type_error("an integer", v).add_frame(message)
    return v


def force_list(v, message: str) -> list:
    if type(v) is Thunk:
        v = v.value if v.code is None else forced(v, message)
    if type(v) is not list:
        raise type_error("a list", v).add_frame(message)
    return v


def coerce(ev, v, ctx: set, message: str, copy_to_store: bool = True) -> str:
    """Nix's coerceToString in its strict mode (no numbers, no lists)."""
    if type(v) is Thunk:
        v = v.value if v.code is None else forced(v, message)
    if type(v) is str:
        return v
    try:
        return ops.coerce_to_string(v, ctx, interp=True,
                                    copy_to_store=ev.copy_path_to_store if copy_to_store else None,
                                    call=ev.call)
    except E.EvalError as exc:
        raise exc.add_frame(message)


# -- basic string builtins --------------------------------------------------------------

@builtin("stringLength", 1)
def _string_length(ev, s):
    """The length of a string in bytes (UTF-8), not in characters:
    `builtins.stringLength "héllo"` is `6`."""
    if type(s) is Thunk and s.code is None:
        s = s.value
    v = s if type(s) is str else coerce(ev, s, set(), "while evaluating the argument passed to builtins.stringLength")
    return len(v) if v.isascii() else len(to_bytes(v))


@builtin("substring", 3)
def _substring(ev, start, length, s):
    """The part of a string that starts at byte offset `start` and is at most
    `len` bytes long (a negative `len` means up to the end):
    `builtins.substring 1 3 "nixpkgs"` is `"ixp"`."""
    if type(start) is not int:      # (constants, most often: no call)
        start = force_int(start, "while evaluating the first argument (the start offset) passed to builtins.substring")
    if start < 0:
        raise E.EvalError("negative start position in 'substring'")
    if type(length) is not int:
        length = force_int(length, "while evaluating the second argument (the substring length) passed to builtins.substring")
    if length == 0:
        # an empty substring keeps the string's context (and does not coerce):
        # lib.addContextFrom's `substring 0 0 src`, once per piece of splitString
        v = s
        if type(v) is Thunk:
            v = v.value if v.code is None else v.force()
        if type(v) is str:
            return ""
        if type(v) is CtxStr:
            return make_string("", context_of(v))
    if type(s) is Thunk and s.code is None:
        s = s.value
    if type(s) is str:
        # a plain string: no context to collect
        if s.isascii():
            return s[start:] if length < 0 else s[start:start + length]
        ctx = None
        v = s
    else:
        ctx = set()
        v = coerce(ev, s, ctx, "while evaluating the third argument (the string) passed to builtins.substring")
    if v.isascii():
        # bytes are characters: slice the text itself
        r = v[start:] if length < 0 else v[start:start + length]
        return CtxStr(r, frozenset(ctx)) if ctx else r
    b = to_bytes(v)
    if start >= len(b):
        return make_string("", ctx)
    end = len(b) if length < 0 else start + length
    return make_string(from_bytes(b[start:end]), ctx)


@builtin("concatStringsSep", 2)
def _concat_strings_sep(ev, sep, strings):
    """Join strings with a separator between them (elements are coerced like
    interpolation does): `builtins.concatStringsSep ", " [ "a" "b" ]` is `"a, b"`."""
    ctx: set = set()
    sep = str(force_string(sep, ctx, "while evaluating the first argument (the separator string) passed to builtins.concatStringsSep"))
    items = force_list(strings, "while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep")
    message = "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep"
    parts = []
    for e in items:
        if type(e) is Thunk and e.code is None:
            e = e.value
        if type(e) is str:
            parts.append(e)
        else:
            parts.append(coerce(ev, e, ctx, message))
    return make_string(sep.join(parts), ctx)


# -- replaceStrings ------------------------------------------------------------------------
# prim_replaceStrings scans the string byte by byte and, at each position,
# takes the first pattern in list order that starts there (an empty pattern
# always does: its replacement goes in before the byte, which is kept, and
# once more at the end). The same answer comes from Python's `re` with the
# escaped patterns as one alternation in list order, whose alternatives are
# tried left to right at each position, split on it: the matched text names
# the pattern (the first one with that text). Patterns after the first empty
# one can never win, and are dropped, so that an empty match is never
# followed by a non-empty one at the same place (which `re` would allow).
#
# Text or bytes: Nix compares bytes. On Python text the answer is the same
# when the string is ASCII (bytes are characters), or when no pattern is
# empty and every pattern is valid UTF-8: UTF-8 synchronises, so a valid
# pattern matches the bytes of the string only at character boundaries, on
# the characters it encodes. Otherwise (an empty pattern inserting between
# the bytes of a character, a pattern holding a lone byte) the work is done
# on bytes.

class _Patterns:
    """One `from` list of replaceStrings, prepared once (see `_patterns`)."""
    __slots__ = ("pats", "first", "on_text", "single", "text_rx", "bytes_rx", "bytes_first")

    def __init__(self, pats: tuple):
        if "" in pats:
            pats = pats[:pats.index("") + 1]
        self.pats = pats
        first: dict[str, int] = {}
        for j, p in enumerate(pats):
            first.setdefault(p, j)
        self.first = first
        self.on_text = "" not in first and all(_valid_utf8(p) for p in pats)
        # all patterns one ASCII character (lib.toUpper): bytes.translate may do
        self.single = all(len(p) == 1 and p.isascii() for p in pats)
        self.text_rx = self.bytes_rx = self.bytes_first = None

    def text_regex(self):
        if self.text_rx is None:
            self.text_rx = re.compile("(" + "|".join(map(re.escape, self.pats)) + ")", re.DOTALL)
        return self.text_rx

    def bytes_regex(self):
        if self.bytes_rx is None:
            bpats = [to_bytes(p) for p in self.pats]
            self.bytes_first = {}
            for j, p in enumerate(bpats):
                self.bytes_first.setdefault(p, j)
            self.bytes_rx = re.compile(b"(" + b"|".join(map(re.escape, bpats)) + b")", re.DOTALL)
        return self.bytes_rx


def _valid_utf8(p: str) -> bool:
    try:
        p.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@functools.lru_cache(maxsize=256)
def _patterns(pats: tuple) -> _Patterns:
    return _Patterns(pats)


class _Site:
    """What replaceStrings keeps about one `from` list value (see
    `_REPLACERS`): its patterns, and the `to` list last used with it with
    the strings of that list found forced and without context. Forcing such
    a string again would do nothing, so `lib.toUpper` (the same two lists on
    every call) forces nothing twice; a string with context is looked at
    again on every call, to add its context.

    For patterns of one ASCII character each replaced by one (`toUpper`),
    `table` is a bytes.translate table of the forced ones, usable on an
    ASCII string in which `missing` finds none of the others.

    `memo` maps short plain strings to their plain results with `tos`
    (`lib.escapeRegex " "` in `lib.splitString`: the same separator escaped
    on every call). A result goes there only when no replacement it used
    had context, so giving it again forces nothing that was not forced and
    adds no context: exactly what computing it again would do."""
    __slots__ = ("froms", "pp", "tos", "done", "table", "missing", "memo")

    def __init__(self, froms, pp: _Patterns):
        self.froms = froms
        self.pp = pp
        self.tos = None
        self.done: dict[int, str] = {}    # index -> a plain string of `tos`
        self.table = self.missing = _STALE
        self.memo: dict[str, str] = {}

    def use(self, tos) -> bool:
        """Take `tos` as the `to` list; whether it was the last one already."""
        if tos is self.tos:
            return True
        self.tos = tos
        self.done = {}
        self.table = self.missing = _STALE
        self.memo = {}
        return False

    def remember(self, tos, subject: str, out: str) -> None:
        """Keep `out`, computed for plain `subject` with `tos` and no context,
        when `tos` is still the site's list (a nested call may have taken
        the site over while a replacement was forced)."""
        if tos is self.tos and len(subject) <= _MEMO_SUBJECT_MAX:
            memo = self.memo
            if len(memo) >= _MEMO_ENTRIES:
                memo.clear()
            memo[subject] = out

    def resolved(self, j: int, r: str) -> None:
        self.done[j] = r
        self.table = self.missing = _STALE

    def translation(self):
        """(table, missing) as described above; table None when some forced
        replacement is not one ASCII character."""
        if self.table is _STALE:
            pp, done = self.pp, self.done
            src, dst, left = [], [], []
            for c, j in pp.first.items():
                r = done.get(j)
                if r is None:
                    left.append(c)
                elif len(r) == 1 and r.isascii():
                    src.append(c)
                    dst.append(r)
                else:
                    self.table = self.missing = None
                    return None, None
            self.table = bytes.maketrans("".join(src).encode(), "".join(dst).encode())
            self.missing = re.compile("[" + "".join(map(re.escape, left)) + "]") if left else None
        return self.table, self.missing


_STALE = object()
_MEMO_SUBJECT_MAX = 64      # longer subjects are not remembered (see _Site)
_MEMO_ENTRIES = 512
_TO_MESSAGE = "while evaluating one of the replacement strings passed to builtins.replaceStrings"
_FROMS_MESSAGE = "while evaluating the first argument passed to builtins.replaceStrings"
_TOS_MESSAGE = "while evaluating the second argument passed to builtins.replaceStrings"
_SUBJECT_MESSAGE = "while evaluating the third argument passed to builtins.replaceStrings"


class _Replacements:
    """The `to` strings of one replaceStrings call, each forced when first
    used (Nix 2.36; 2.8 forced them all), its context added then."""
    __slots__ = ("site", "tos", "ctx", "local")

    def __init__(self, site: _Site, tos, ctx: set):
        self.site = site
        self.tos = tos
        self.ctx = ctx
        self.local: dict[int, str] = {}

    def get(self, j: int) -> str:
        site = self.site
        # a nested call with the same `from` list and another `to` list may have
        # taken the site over: then this call remembers for itself
        mine = site.tos is self.tos
        r = (site.done if mine else self.local).get(j)
        if r is not None:
            return r
        v = self.tos[j]
        if type(v) is Thunk and v.code is None:
            v = v.value
        if type(v) is not str:
            v = force_string(v, self.ctx, _TO_MESSAGE)
        if type(v) is str and site.tos is self.tos:   # (forcing may have run a nested call)
            site.resolved(j, v)
        else:
            self.local[j] = v
        return v


# id(from list) -> its _Site; the site holds the list, so the id is not reused
_REPLACERS: dict[int, _Site] = {}
_FROM_MESSAGE = "while evaluating one of the strings to replace passed to builtins.replaceStrings"


def _site(froms: list) -> _Site:
    pats = []
    for f in froms:
        if type(f) is Thunk:
            f = f.value if f.code is None else force_string(f, None, _FROM_MESSAGE)
        if type(f) is not str:
            f = str(force_string(f, None, _FROM_MESSAGE))
        pats.append(f)
    if len(_REPLACERS) >= 256:
        _REPLACERS.clear()
    site = _REPLACERS[id(froms)] = _Site(froms, _patterns(tuple(pats)))
    return site


@builtin("replaceStrings", 3)
def _replace_strings(ev, from_, to, s):
    """Replace every occurrence of each string in `from` by the string at the
    same place in `to`, scanning left to right (the first match wins; an empty
    `from` matches between all characters):
    `builtins.replaceStrings [ "o" ] [ "0" ] "foo"` is `"f00"`."""
    # (forcing inlined, as force_list does it: this builtin runs once per string)
    if type(from_) is Thunk:
        if from_.code is None:
            from_ = from_.value
        else:
            try:
                from_ = from_.force()
            except E.EvalError as exc:
                raise exc.add_frame(_FROMS_MESSAGE)
    froms = from_ if type(from_) is list else force_list(from_, _FROMS_MESSAGE)
    if type(to) is Thunk:
        if to.code is None:
            to = to.value
        else:
            try:
                to = to.force()
            except E.EvalError as exc:
                raise exc.add_frame(_TOS_MESSAGE)
    tos = to if type(to) is list else force_list(to, _TOS_MESSAGE)
    n = len(froms)
    if n != len(tos):
        raise E.EvalError("'from' and 'to' arguments passed to builtins.replaceStrings have different lengths")
    if n == 1:
        # one pattern (lib.replaceString, lib.escape [ "$" ]): str.replace,
        # with no site to set up for a list made anew on each call
        out = _replace_one(froms[0], tos[0], s)
        if out is not None:
            return out
    site = _REPLACERS.get(id(froms))
    if site is None or site.froms is not froms:
        site = _site(froms)
    # else: the same list value, whose elements were all forced to strings
    if type(s) is Thunk:
        s = s.value if s.code is None else forced(s, _SUBJECT_MESSAGE)
    if type(s) is str and tos is site.tos:
        out = site.memo.get(s)
        if out is not None:
            return out
    ctx: set = set()
    subject = force_string(s, ctx, _SUBJECT_MESSAGE)
    again = site.use(tos)
    pp = site.pp
    if not pp.pats:
        out = subject
    elif pp.on_text or subject.isascii():
        out = _replace_text(site, str(subject), tos, ctx, again)
    else:
        out = _replace_bytes(pp, to_bytes(subject), _Replacements(site, tos, ctx))
    if ctx:
        return CtxStr(out, frozenset(ctx))
    out = str(out)
    if type(subject) is str:
        site.remember(tos, subject, out)
    return out


def _replace_one(f, t, s):
    """replaceStrings [ f ] [ t ] s, forcing what it forces in the same
    order; None (having forced only `f`) when the pattern is empty or not
    valid UTF-8 (see above: the general code does that on bytes)."""
    if type(f) is Thunk:
        f = f.value if f.code is None else force_string(f, None, _FROM_MESSAGE)
    if type(f) is not str:
        f = str(force_string(f, None, _FROM_MESSAGE))
    if not f or not (f.isascii() or _valid_utf8(f)):
        return None
    if type(s) is Thunk:
        if s.code is None:
            s = s.value
        else:
            try:
                s = s.force()
            except E.EvalError as exc:
                raise exc.add_frame(_SUBJECT_MESSAGE)
    if type(s) is str:          # no context so far: no set to make
        if f not in s:
            return s
        if type(t) is Thunk:
            if t.code is None:
                t = t.value
            else:
                try:
                    t = t.force()
                except E.EvalError as exc:
                    raise exc.add_frame(_TO_MESSAGE)
        if type(t) is str:
            return s.replace(f, t)
    ctx: set = set()
    subject = force_string(s, ctx, _SUBJECT_MESSAGE)
    if f in subject:
        if type(t) is Thunk and t.code is None:
            t = t.value
        if type(t) is not str:
            t = force_string(t, ctx, _TO_MESSAGE)
        subject = subject.replace(f, t)
    if ctx:
        return CtxStr(subject, frozenset(ctx))
    return str(subject)


def _replace_text(site: _Site, s: str, tos, ctx: set, again: bool) -> str:
    pp = site.pp
    pats = pp.pats
    if len(pats) == 1 and pats[0]:
        p = pats[0]
        if p not in s:
            return s
        r = site.done.get(0)
        return s.replace(p, r if r is not None else _Replacements(site, tos, ctx).get(0))
    if again and pp.single and s.isascii():
        # the lists of the last call, all the replacements needed forced
        table, missing = site.translation()
        if table is not None and (missing is None or missing.search(s) is None):
            return s.encode("ascii").translate(table).decode("ascii")
    first = pp.first
    parts = pp.text_regex().split(s)
    if len(parts) == 1:
        return s
    matched = parts[1::2]
    reps = _Replacements(site, tos, ctx)
    table = {p: reps.get(first[p]) for p in dict.fromkeys(matched)}
    parts[1::2] = map(table.__getitem__, matched)
    return "".join(parts)


def _replace_bytes(pp: _Patterns, b: bytes, reps: _Replacements) -> str:
    parts = pp.bytes_regex().split(b)
    if len(parts) == 1:
        return from_bytes(b)
    first = pp.bytes_first
    matched = parts[1::2]
    table = {p: to_bytes(reps.get(first[p])) for p in dict.fromkeys(matched)}
    parts[1::2] = map(table.__getitem__, matched)
    return from_bytes(b"".join(parts))


# -- paths as strings ---------------------------------------------------------------------

def base_name(s: str) -> str:
    """baseNameOf on text: what follows the last '/' (one trailing '/' ignored);
    also how fetchurl names a download after its URL."""
    if not s:
        return ""
    last = len(s) - 1
    if s[last] == "/" and last > 0:
        last -= 1
    pos = s.rfind("/", 0, last + 1)
    pos = 0 if pos < 0 else pos + 1
    return s[pos:last + 1]


@builtin("baseNameOf", 1)
def _base_name_of(ev, s):
    """The last component of a path or string, as a string (one trailing
    slash is ignored): `baseNameOf "/a/b/c.nix"` is `"c.nix"`."""
    ctx: set = set()
    v = coerce(ev, s, ctx, "while evaluating the first argument passed to builtins.baseNameOf", copy_to_store=False)
    return make_string(base_name(v), ctx)


@builtin("dirOf", 1)
def _dir_of(ev, s):
    """Everything before the last slash: for a path a path (the parent
    folder), for a string a string: `dirOf "/a/b/c"` is `"/a/b"`."""
    v = force(s)
    if type(v) is Path:
        if v.path == "/":
            return v
        return Path(canon_path(v.path.rsplit("/", 1)[0] or "/"))
    ctx: set = set()
    p = coerce(ev, v, ctx, "while evaluating the first argument passed to 'builtins.dirOf'", copy_to_store=False)
    pos = p.rfind("/")
    if pos < 0:
        return make_string(".", ctx)
    if pos == 0:
        return make_string("/", ctx)
    return make_string(p[:pos], ctx)


# -- regular expressions ---------------------------------------------------------------------

class InvalidRegex(Exception):
    pass


_CLASSES = {
    "alpha": b"A-Za-z", "digit": b"0-9", "alnum": b"0-9A-Za-z", "upper": b"A-Z", "lower": b"a-z",
    "space": b" \t\n\r\f\v", "blank": b" \t", "xdigit": b"0-9A-Fa-f", "cntrl": b"\x00-\x1f\x7f",
    "print": b"\x20-\x7e", "graph": b"\x21-\x7e",
    "punct": b"!-/:-@[-`{-~", "w": b"0-9A-Za-z_", "d": b"0-9", "s": b" \t\n\r\f\v",
}


def _class_set(spec: bytes) -> set[int]:
    out: set[int] = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == 0x2D:
            out.update(range(spec[i], spec[i + 2] + 1))
            i += 3
        else:
            out.add(spec[i])
            i += 1
    return out


_CLASS_SETS = {k: _class_set(v) for k, v in _CLASSES.items()}
_ERE_SPECIAL_ESCAPES = set(b".[\\()*+?{|^$")


def _lit(b: int) -> str:
    c = chr(b)
    return c if c.isascii() and c.isalnum() else "\\x%02x" % b


def _set_to_py(bs: set[int]) -> str:
    if not bs:
        return "(?!)"
    if len(bs) == 256:
        return "[\\x00-\\xff]"
    items = sorted(bs)
    parts = []
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        parts.append("\\x%02x" % items[i] if i == j else "\\x%02x-\\x%02x" % (items[i], items[j]))
        i = j + 1
    return "[" + "".join(parts) + "]"


class _EreTranslator:
    """POSIX extended regular expressions, as libstdc++'s std::regex
    (flag `extended`) reads them, to a Python bytes pattern. Only the
    characters `.[\\()*+?{|^$` may be escaped; inside brackets a backslash is
    an ordinary character; quantifiers stack (`a**`, `a+?` = `(a+)?`);
    `^`/`$` are anchors anywhere (`$` only at the very end of the string).

    Every disjunction gets a number in the order met; `choices` maps some of
    them to the one alternative left enabled (the others become `(?!)...`,
    which keeps the group numbers): `Regex` uses that to find POSIX's longest
    match. `counts` and `repeated` tell how many alternatives each has and
    which sit under a quantifier."""

    def __init__(self, pat: bytes, choices: dict[int, int] | None = None, end_anchor: str = "\\Z"):
        self.p = pat
        self.end_anchor = end_anchor
        self.i = 0
        self.groups = 0
        self.choices = choices or {}
        self.counts: list[int] = []
        self.repeated: set[int] = set()

    def peek(self):
        return self.p[self.i] if self.i < len(self.p) else None

    def translate(self) -> list[str]:
        alts = self.disjunction()
        if self.i != len(self.p):
            raise InvalidRegex()
        return alts

    def disjunction(self) -> list[str]:
        idx = len(self.counts)
        self.counts.append(1)
        alts = [self.alternative()]
        while self.peek() == 0x7C:  # |
            self.i += 1
            alts.append(self.alternative())
        self.counts[idx] = len(alts)
        c = self.choices.get(idx)
        if c is not None and len(alts) > 1:
            alts = [a if j == c else f"(?!)(?:{a})" for j, a in enumerate(alts)]
        return alts

    def alternative(self) -> str:
        out = []
        while True:
            c = self.peek()
            if c is None or c == 0x7C or c == 0x29:  # end, |, )
                return "".join(out)
            if c == 0x5E:  # ^
                self.i += 1
                out.append("\\A")
                continue
            if c == 0x24:  # $
                self.i += 1
                out.append(self.end_anchor)
                continue
            first = len(self.counts)
            atom = self.atom()
            while True:
                q = self.quantifier()
                if q is None:
                    break
                atom = f"(?:{atom}){q}"
                self.repeated.update(range(first, len(self.counts)))
            out.append(atom)

    def atom(self) -> str:
        c = self.peek()
        if c in (0x2A, 0x2B, 0x3F, 0x7B):  # * + ? {
            raise InvalidRegex()
        self.i += 1
        if c == 0x2E:
            return "[\\x00-\\xff]"
        if c == 0x28:  # (
            self.groups += 1
            inner = "|".join(self.disjunction())
            if self.peek() != 0x29:
                raise InvalidRegex()
            self.i += 1
            return f"({inner})"
        if c == 0x5B:
            return self.bracket()
        if c == 0x5C:  # backslash
            d = self.peek()
            if d is None or d not in _ERE_SPECIAL_ESCAPES:
                raise InvalidRegex()
            self.i += 1
            return _lit(d)
        return _lit(c)

    def quantifier(self) -> str | None:
        c = self.peek()
        if c == 0x2A:
            self.i += 1
            return "*"
        if c == 0x2B:
            self.i += 1
            return "+"
        if c == 0x3F:
            self.i += 1
            return "?"
        if c == 0x7B:
            end = self.p.find(b"}", self.i)
            if end < 0:
                raise InvalidRegex()
            body = self.p[self.i + 1:end].decode("latin-1")
            m = re.fullmatch(r"([0-9]+)(,([0-9]*))?", body)
            if not m:
                raise InvalidRegex()
            lo = int(m.group(1))
            if m.group(2) is None:
                q = "{%d}" % lo
            elif m.group(3) == "":
                q = "{%d,}" % lo
            else:
                hi = int(m.group(3))
                if hi < lo:
                    raise InvalidRegex()
                q = "{%d,%d}" % (lo, hi)
            self.i = end + 1
            return q
        return None

    def bracket(self) -> str:
        p = self.p
        neg = False
        if self.peek() == 0x5E:
            neg = True
            self.i += 1
        chars: set[int] = set()
        first = True
        while True:
            if self.i >= len(p):
                raise InvalidRegex()
            c = p[self.i]
            if c == 0x5D and not first:  # ]
                self.i += 1
                break
            first = False
            if c == 0x5B and self.i + 1 < len(p) and p[self.i + 1] in b":=.":
                kind = p[self.i + 1]
                end = p.find(bytes([kind, 0x5D]), self.i + 2)
                if end < 0:
                    raise InvalidRegex()
                name = p[self.i + 2:end]
                self.i = end + 2
                if kind == 0x3A:  # [:class:]
                    cls = _CLASS_SETS.get(name.decode("latin-1"))
                    if cls is None:
                        raise InvalidRegex()
                    chars |= cls
                elif kind == 0x3D and len(name) == 1:  # [=x=]
                    chars.add(name[0])
                else:
                    raise InvalidRegex()
                if self.peek() == 0x2D and self.i + 1 < len(p) and p[self.i + 1] != 0x5D:
                    raise InvalidRegex()
                continue
            self.i += 1
            if self.peek() == 0x2D and self.i + 1 < len(p) and p[self.i + 1] != 0x5D:
                hi = p[self.i + 1]
                if hi == 0x5B and self.i + 2 < len(p) and p[self.i + 2] in b":=.":
                    raise InvalidRegex()
                self.i += 2
                if hi < c:
                    raise InvalidRegex()
                chars.update(range(c, hi + 1))
                if self.peek() == 0x2D and self.i + 1 < len(p) and p[self.i + 1] != 0x5D:
                    raise InvalidRegex()
                continue
            chars.add(c)
        if neg:
            chars = set(range(256)) - chars
        return _set_to_py(chars)


class Regex:
    """A compiled Nix regular expression.

    `match` needs the whole string to match, and then POSIX and Python agree
    (the first match in priority order). Searching (`split`) differs: POSIX
    takes the longest match at the leftmost position. So when the pattern
    has alternations, there is one pattern per combination of alternatives
    (`variants`): the longest of their matches gives the length, and the
    match is the first in priority order of the whole pattern that ends
    there (`fullmatch` up to that end; `inner` is the pattern with `$` never
    matching, for ends before the end of the string). An alternation under a
    quantifier (`(a|ab)*`) can choose differently in each round; there, and
    past `MAX_VARIANTS` combinations, ends up to `SCAN_WINDOW` bytes past
    Python's first match are tried instead, longest first.

    The translation is a pattern on bytes (Nix's regexes see bytes); its text
    uses only ASCII and `\\xNN` escapes, so the same text compiled as a `str`
    pattern (`text`) matches an ASCII string exactly as the bytes pattern
    matches its bytes: there the string is matched as it is, without
    encoding it and decoding what the groups captured."""

    MAX_VARIANTS = 64
    SCAN_WINDOW = 256

    def __init__(self, source: str):
        try:
            pat = to_bytes(source)
            tr = _EreTranslator(pat)
            self.whole_src = "|".join(tr.translate())
            self.variant_srcs = []
            self.inner_src = None
            points = [i for i, n in enumerate(tr.counts) if n > 1]
            total = 1
            for i in points:
                total *= tr.counts[i]
            if points and not (tr.repeated & set(points)) and total <= self.MAX_VARIANTS:
                for combo in itertools.product(*(range(tr.counts[i]) for i in points)):
                    t = _EreTranslator(pat, dict(zip(points, combo)))
                    self.variant_srcs.append("|".join(t.translate()))
            if points:
                t = _EreTranslator(pat, end_anchor="(?!)")
                self.inner_src = "|".join(t.translate())
            self.on_bytes = _Compiled(self, lambda src: src.encode("ascii"))
        except (InvalidRegex, re.error, RecursionError, OverflowError):
            raise E.EvalError(f"invalid regular expression '{source}'") from None
        self._text = None
        self.literal = _literal(pat)
        self.literal_text = None if self.literal is None or not self.literal.isascii() else self.literal.decode()

    def text(self) -> "_Compiled":
        """The same regex on `str` (for ASCII strings only)."""
        if self._text is None:
            self._text = _Compiled(self, str)
        return self._text


def _literal(pat: bytes) -> bytes | None:
    """The bytes a regex stands for when it is a plain non-empty string
    (ordinary characters, and specials escaped with a backslash, as
    lib.escapeRegex writes them); else None. Such a regex matches exactly
    its occurrences, leftmost first and never overlapping, which is what
    str.split finds."""
    out = bytearray()
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == 0x5C:   # backslash
            if i + 1 < n and pat[i + 1] in _ERE_SPECIAL_ESCAPES:
                out.append(pat[i + 1])
                i += 2
                continue
            return None
        if c in _ERE_SPECIAL_ESCAPES or c in b"}]":
            return None
        out.append(c)
        i += 1
    return bytes(out) if out else None


class _Compiled:
    """One Regex compiled for bytes or for text: the matching algorithms."""
    __slots__ = ("whole", "variants", "inner")

    def __init__(self, rx: Regex, kind):
        self.whole = re.compile(kind(rx.whole_src), re.DOTALL)
        self.variants = [re.compile(kind(v), re.DOTALL) for v in rx.variant_srcs]
        self.inner = None if rx.inner_src is None else re.compile(kind(rx.inner_src), re.DOTALL)

    def fullmatch(self, b):
        return self.whole.fullmatch(b)

    def longest_at(self, b, pos: int):
        """The POSIX match starting at `pos`: the longest, and of those the
        first in priority order (the way libstdc++ explores)."""
        m = self.whole.match(b, pos)
        if m is None or self.inner is None:
            return m
        n = len(b)
        if self.variants:
            end = max(e.end() for e in (r.match(b, pos) for r in self.variants) if e is not None)
            if end == m.end():
                return m
            return self._match_to(b, pos, end) or m
        top = m.end() + Regex.SCAN_WINDOW
        for e in range(min(top, n), m.end(), -1):
            longer = self._match_to(b, pos, e)
            if longer is not None:
                return longer
        return m

    def _match_to(self, b, pos: int, end: int):
        """The first match (in priority order) from `pos` that ends at `end`."""
        if end == len(b):
            return self.whole.fullmatch(b, pos)
        return self.inner.fullmatch(b, pos, end)

    def search(self, b, pos: int):
        m = self.whole.search(b, pos)
        if m is None or self.inner is None:
            return m
        return self.longest_at(b, m.start())

    def iterate(self, b):
        """Matches as std::regex_iterator finds them: after an empty match, a
        non-empty match at the same place, else search on one byte further."""
        m = self.search(b, 0)
        while m is not None:
            yield m
            start = m.end()
            if m.start() == start:
                if start == len(b):
                    return
                m2 = self.longest_at(b, start)
                if m2 is not None and m2.end() > start:
                    m = m2
                    continue
                start += 1
            m = self.search(b, start)


_REGEX_CACHE: dict[str, Regex] = {}


def get_regex(source: str) -> Regex:
    r = _REGEX_CACHE.get(source)
    if r is None:
        if len(_REGEX_CACHE) >= 1024:
            _REGEX_CACHE.clear()
        r = _REGEX_CACHE[source] = Regex(source)
    return r


def _groups(m) -> list:
    return [None if g is None else from_bytes(g) for g in m.groups()]


@builtin("match", 2)
def _match(ev, regex, s):
    """Match a whole string against a POSIX extended regular expression:
    `null` if it does not match, else the list of what the groups matched
    (`null` for a group that took no part):
    `builtins.match "(.*)\\\\.nix" "default.nix"` is `[ "default" ]`."""
    src = force_string_no_ctx(regex, "while evaluating the first argument passed to builtins.match")
    rx = _REGEX_CACHE.get(src) or get_regex(src)
    v = force_string(s, None, "while evaluating the second argument passed to builtins.match")
    if v.isascii():
        m = rx.text().whole.fullmatch(v)
        return None if m is None else list(m.groups())
    m = rx.on_bytes.fullmatch(to_bytes(v))
    return None if m is None else _groups(m)


@builtin("split", 2)
def _split(ev, regex, s):
    """Split a string at the matches of a POSIX extended regular expression:
    the pieces between matches alternate with lists of what each match's
    groups captured: `builtins.split "(,)" "a,b"` is `[ "a" [ "," ] "b" ]`."""
    # (forcing inlined: lib.splitString calls this once per string)
    if type(regex) is Thunk:
        if regex.code is None:
            regex = regex.value
        else:
            try:
                regex = regex.force()
            except E.EvalError as exc:
                raise exc.add_frame(_SPLIT_REGEX_MESSAGE)
    src = regex if type(regex) is str else force_string_no_ctx(regex, _SPLIT_REGEX_MESSAGE)
    rx = _REGEX_CACHE.get(src) or get_regex(src)
    if type(s) is Thunk:
        if s.code is None:
            s = s.value
        else:
            try:
                s = s.force()
            except E.EvalError as exc:
                raise exc.add_frame(_SPLIT_STRING_MESSAGE)
    v = s if type(s) is str else force_string(s, None, _SPLIT_STRING_MESSAGE)
    lit = rx.literal_text
    if lit is not None and v.isascii():
        # a plain string (lib.splitString's escaped separator): str.split, and
        # an empty list of groups after each piece but the last
        pieces = str(v).split(lit)
        if len(pieces) == 1:
            return [v]              # no match: the string itself, its context kept
        out: list = []
        add = out.append
        for piece in pieces:
            add(piece)
            add([])
        out.pop()
        return out
    if v.isascii():
        out = split_with(rx.text(), str(v), str, _text_groups)
    else:
        out = split_with(rx.on_bytes, to_bytes(v), from_bytes, _groups)
    return [v] if out is None else out


_SPLIT_REGEX_MESSAGE = "while evaluating the first argument passed to builtins.split"
_SPLIT_STRING_MESSAGE = "while evaluating the second argument passed to builtins.split"


def _text_groups(m) -> list:
    return list(m.groups())


def split_with(c: _Compiled, subject, piece, groups) -> list | None:
    """`split` of `subject` (text or bytes) on the compiled regex `c`: the
    pieces (`piece` makes each a Nix string) between the matches' `groups`;
    None when nothing matches."""
    out: list = []
    prev = 0
    for m in c.iterate(subject):
        out.append(piece(subject[prev:m.start()]))
        out.append(groups(m))
        prev = m.end()
    if not out:
        return None
    out.append(piece(subject[prev:]))
    return out
