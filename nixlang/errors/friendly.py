"""The pynix way of showing an error (`pynix eval`, the REPL): Nix's own text
first, so it can be searched for (only the caret under the error's own
excerpt grows into an underline of the whole span); then the stable pynix
code with its title and a one-line hint, "did you mean" for an undefined
name, and where to read more.

The hints are short on purpose: the long explanation of each code belongs
to `pynix explain CODE`. One code covers several beginner traps (E201 is
any wrong type), so a hint may depend on the message and on the source
text around the error: a set given to a function that takes a plain
argument, a function with `{ ... }` arguments called with a number, a
missing `;`, strings where paths are needed, `x = x + 1`, a `with` whose
attribute loses against a `let`, and so on (`_TRAPS`). This module sits in
the lowest layer (it imports no parser), so the traps read the source text
with small regular expressions; each is a guess worded as one ("probably",
"if you meant"), never a claim about the program.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import NixError, edit_distance, render_nix, render_nix_eval

# one line per code: the usual cause, in a beginner's words
HINTS: dict[str, str] = {
    "E001": "the parser met something it did not expect here; look just before the marked spot "
            "for a missing ';', ')', ']' or '}'",
    "E002": "this number does not fit a 64-bit integer or is not a valid number",
    "E003": "a path literal may not end in '/'; drop the slash or write it as a string",
    "E004": "this syntax belongs to an experimental feature; enable it with "
            "--extra-experimental-features",
    "E005": "URL literals are disabled here; write the URL as a string",
    "E006": "Nix strings cannot contain NUL bytes",
    "E010": "an attrset defines the same attribute twice; remove or rename one of them",
    "E011": "a function's formals list the same argument twice",
    "E012": "attribute names computed with ${...} are not allowed in let or inherit",
    "E013": "the name is not bound by any let, function argument, with or builtin in scope; "
            "check its spelling or bring it into scope",
    "E014": "the expression is nested too deeply to parse; split it into smaller pieces",
    "E015": "a lint setting turned this literal into an error; use a string or a ./relative path",
    "E090": "the file could not be read; check the path",
    "E200": "evaluation failed; read the trace from the top to see what was being computed",
    "E201": "a value of one type was used where another was needed; the trace shows where it came from",
    "E202": "the attrset has no such attribute; use `x.a or default` or `x ? a` when it may be absent",
    "E203": "a value depends on itself; look for an attribute defined in terms of itself (often in rec "
            "or a fixed point)",
    "E204": "the code called `throw` on purpose; its message says why",
    "E205": "the code called `abort`; its message says why (tryEval cannot catch this one)",
    "E206": "an `assert` condition was false",
    "E207": "integer division by zero",
    "E208": "the result does not fit a 64-bit signed integer",
    "E209": "a function was called with arguments it does not accept; compare the call with its formals",
    "E210": "the evaluation recursed too deeply; look for unbounded recursion",
    "E211": "a builtin was given an option it does not know (a hash algorithm name, say); use one of "
            "the names the message lists",
    "E212": "the hash is cut short, misspelt or of the wrong length; copy the whole hash again",
    "E213": "the URL or flake reference is not in a form Nix accepts; compare it with `github:OWNER/REPO`, "
            "`path:./dir` or `git+https://...`",
    "E214": "the evaluation needed more memory than pynix allows itself (three quarters of this machine's "
            "memory, or PYNIX_MAX_MEMORY): look for a value that grows without end, such as a string or "
            "list doubled in a recursion, or a file that never ends like /dev/zero; if the evaluation "
            "really needs more, set PYNIX_MAX_MEMORY=8G (say)",
    "E220": "the fetcher could not get the source, or got content with another hash; for a new source, "
            "use the hash after `got:`",
    "E299": "this part of Nix is not implemented in pynix yet",
}

_IDENT = r"[A-Za-z_][A-Za-z0-9_'-]*"
_IDENT_RE = re.compile(_IDENT)
_KEYWORDS = frozenset(("assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"))


# -- reading the source around the error ---------------------------------------------------------

def _place(err: NixError):
    """(source, span) of the error, or of its innermost trace frame that has one."""
    if err.source is not None and err.span is not None:
        return err.source, err.span
    for f in getattr(err, "frames", None) or ():
        if f.source is not None and f.span is not None:
            return f.source, f.span
    return None, None


def _word_at(err: NixError) -> str | None:
    """The identifier the error points at, if it points at one."""
    source, span = _place(err)
    if source is None:
        return None
    m = _IDENT_RE.match(source.text, span.start)
    if m is None or m.group(0) in _KEYWORDS:
        return None
    if span.start > 0 and re.match(r"[A-Za-z0-9_'.-]", source.text[span.start - 1]):
        return None
    return m.group(0)


def _name(n: str) -> str:
    return r"(?<![A-Za-z0-9_'.-])" + re.escape(n) + r"(?![A-Za-z0-9_'-])"


def _uses(text: str, n: str, tail: str = ""):
    """The matches of name `n` (a whole identifier, not after a `.`) followed by
    the regex `tail`. The literal name leads the pattern so the search is fast on
    long files; the character before it is checked here."""
    for m in re.finditer(re.escape(n) + r"(?![A-Za-z0-9_'-])" + tail, text):
        if m.start() == 0 or not re.match(r"[A-Za-z0-9_'.-]", text[m.start() - 1]):
            yield m


def _is_plain_argument(text: str, n: str) -> bool:
    """Whether `n: ...` (a function taking one plain argument called `n`) occurs in `text`."""
    return next(_uses(text, n, r"\s*:(?![A-Za-z0-9_/.:-])"), None) is not None


@lru_cache(maxsize=4)
def _pattern_names(text: str) -> tuple[frozenset, frozenset]:
    """Names bound by function patterns `{ a, b ? 1 }:` and by `inherit` in `text` (one scan, cached:
    the traps ask about several names of the same text)."""
    formals: set[str] = set()
    for m in re.finditer(r"\{([^{}]*)\}\s*(?:@\s*" + _IDENT + r"\s*)?:", text):
        formals.update(re.findall(r"(?:^|,)\s*(" + _IDENT + r")\s*(?=\?|,|$)", m.group(1)))
    inherited: set[str] = set()
    for m in re.finditer(r"\binherit\b(?:\s*\([^()]*\))?([^;]*);", text):
        inherited.update(_IDENT_RE.findall(m.group(1)))
    return frozenset(formals), frozenset(inherited)


def _definitions(text: str, n: str) -> int:
    """How often `n` is bound in `text`: `n = ...`, `n: ...`, `inherit ... n`, or a formal `{ n, ... }`."""
    formals, inherited = _pattern_names(text)
    count = sum(1 for _ in _uses(text, n, r"\s*=(?!=)"))
    count += 1 if _is_plain_argument(text, n) else 0
    return count + (n in formals) + (n in inherited)


def bound_names(text: str) -> set[str]:
    """Names the text seems to bind: `let`/attribute names, plain and formal arguments, inherits."""
    out = set(re.findall(r"(?<![A-Za-z0-9_'.-])(" + _IDENT + r")\s*(?:=(?!=)|:(?![A-Za-z0-9_/.:-]))", text))
    formals, inherited = _pattern_names(text)
    return (out | formals | inherited) - _KEYWORDS


def _with_before(err: NixError) -> str | None:
    """The set of the nearest `with SET;` before the error, if there is one."""
    source, span = _place(err)
    if source is None:
        return None
    found = None
    for m in re.finditer(r"\bwith\s+([^;]{1,60});", source.text[:span.start]):
        found = " ".join(m.group(1).split())
    return found


def _line_of(err: NixError) -> str:
    source, span = _place(err)
    if source is None:
        return ""
    line, _ = source.line_col(span.start)
    return source.line_text(line) or ""


# -- "did you mean" --------------------------------------------------------------------------

def similar(name: str, candidates, limit: int = 3) -> list[str]:
    """The candidates closest to `name` (edit distance, case-insensitive), best first."""
    budget = max(1, min(3, len(name) // 3))
    scored = []
    for c in set(candidates):
        if c == name or c.startswith("__") or c in _KEYWORDS:
            continue
        d = edit_distance(name.lower(), c.lower(), budget)
        if d <= budget:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored[:limit]]


def did_you_mean(err: NixError, names=()) -> list[str]:
    """For an undefined variable: similar names bound in the source, or among `names`
    (what the caller knows is in scope: builtins, REPL bindings)."""
    if err.code != "E013" or "'" not in err.message:
        return []
    wanted = err.message.split("'")[1]
    source, _ = _place(err)
    candidates = set(names)
    if source is not None:
        candidates |= bound_names(source.text)
    return similar(wanted, candidates)


# -- the traps -------------------------------------------------------------------------------

def _missing_semicolon(err: NixError) -> str | None:
    if "expecting ';'" not in err.message or err.source is None or err.span is None:
        return None
    text, i = err.source.text, err.span.start
    if re.match(r"syntax error, unexpected ','", err.message):
        return ("bindings in an attribute set or `let` end with `;`, not `,` (commas separate the "
                "arguments of a function pattern `{ a, b }:`)")
    j = i
    while j > 0 and text[j - 1].isspace():
        j -= 1
    if text.startswith("=", i):
        # `a = 1 b = 2;`: the parser read `1 b` as a call; the `;` belongs before `b`
        k = j
        while k > 0 and re.match(r"[A-Za-z0-9_'.\"-]", text[k - 1]):
            k -= 1
        if k < j:
            j = k
            while j > 0 and text[j - 1].isspace():
                j -= 1
    if j == 0:
        return None
    line, col = err.source.line_col(j)
    before = text[max(0, j - 20):j].split("\n")[-1].strip()
    return (f"every binding `name = value;` ends with `;`, even the last one before `}}` or `in`: "
            f"the `;` is probably missing at line {line}, column {col}, after `{before}`")


def _comma_in_list(err: NixError) -> str | None:
    if not err.message.startswith("syntax error, unexpected ','") or "expecting" in err.message:
        return None
    return "list elements are separated by spaces, not commas: write `[ 1 2 3 ]`"


def _colon_in_set(err: NixError) -> str | None:
    if not err.message.startswith("syntax error, unexpected ':'") or "expecting '.' or '='" not in err.message:
        return None
    return "attributes are written `name = value;`, not `name: value,` as in JSON"


def _set_to_plain_argument(err: NixError) -> str | None:
    if err.code != "E201" or not re.search(r"\ba set\b", err.message):
        return None
    n = _word_at(err)
    source, _ = _place(err)
    if n is None or not _is_plain_argument(source.text, n):
        return None
    return (f"`{n}` looks like a plain argument (`{n}: ...`) that was given an attribute set: a function "
            f"written `{n}: ...` takes its argument whole and does not unpack a set; call it with the "
            f"value itself, select from the set (`{n}.attr`), or write it with named arguments "
            f"`{{ a, b }}: ...`")


def _plain_value_to_named_arguments(err: NixError) -> str | None:
    m = re.match(r"expected a set but found (?!a function)(.+?):", err.message)
    if err.code != "E201" or m is None or err.source is None or err.span is None:
        return None
    rest = err.source.text[err.span.start:err.span.start + 2000]
    if not re.match(r"(?:" + _IDENT + r"\s*@\s*)?\{[^{}]*\}\s*(?:@\s*" + _IDENT + r"\s*)?:", rest):
        return None
    return (f"this function takes named arguments (`{{ ... }}: ...`), so it must be called with an "
            f"attribute set, e.g. `f {{ a = 1; }}`, not with {m.group(1)}")


def _with_shadowed(err: NixError) -> str | None:
    if err.code not in ("E200", "E201", "E202"):
        return None
    with_set = _with_before(err)
    if with_set is None:
        return None
    source, _ = _place(err)
    candidates = [_word_at(err)] + _IDENT_RE.findall(_line_of(err))
    for n in candidates:
        if n and n not in _KEYWORDS and _definitions(source.text, n) >= 2:
            return (f"`{n}` is bound twice: by a let or function argument, and (it seems) in `{with_set}`. "
                    f"`with` never shadows let bindings or function arguments, so `{n}` here is the "
                    f"let/argument one; write `{with_set}.{n}` for the other, or rename one")
    return None


def _undefined_under_with(err: NixError) -> str | None:
    if err.code != "E013":
        return None
    with_set = _with_before(err)
    if with_set is None:
        return None
    n = err.message.split("'")[1] if "'" in err.message else "the name"
    return (f"`{n}` is not bound by a let or argument, and `{with_set}` does not have it either: check "
            f"the spelling and that the set has it (`{with_set} ? {n}`); note that `with` never "
            f"shadows let bindings or function arguments, so those always win over it")


def _self_reference(err: NixError) -> str | None:
    if err.code != "E203":
        return None
    source, _ = _place(err)
    if source is None:
        return None
    for n in dict.fromkeys([_word_at(err)] + _IDENT_RE.findall(_line_of(err))):
        if not n or n in _KEYWORDS:
            continue
        m = next((m for m in _uses(source.text, n, r"\s*=(?!=)([^;]*);")
                  if re.search(_name(n), m.group(1))), None)
        if m:
            return (f"`{n} = {' '.join(m.group(1).split())}` refers to itself: Nix has no assignment, and "
                    f"inside a let or rec set a binding is in scope in its own definition, so the `{n}` on "
                    f"the right is the value being defined; use a new name for the new value (`{n}2 = ...`), "
                    f"or `inherit {n};` to take it from outside")
    if re.search(r"\brec\b", source.text):
        return ("the attributes of a `rec` set (or a let) refer to each other in a circle; follow the names "
                "from the marked one and give one of them a value that does not need the others")
    return None


def _regex_trap(code: str, pattern: str, hint: str):
    rx = re.compile(pattern)

    def trap(err: NixError) -> str | None:
        return hint if err.code == code and rx.search(err.message) else None
    return trap


_TRAPS = [
    _missing_semicolon, _comma_in_list, _colon_in_set,
    _undefined_under_with, _with_shadowed,
    _set_to_plain_argument, _plain_value_to_named_arguments, _self_reference,
    _regex_trap("E201", r"^attempt to call something which is not a function but a set",
                "a set is not a function: did you mean to select an attribute (`s.f x`) or is `__functor` "
                "missing?"),
    _regex_trap("E201", r"^attempt to call something which is not a function but",
                "two values side by side are a function call (`a b` calls `a` with `b`): look for a "
                "missing operator (`+`, `++`) or `;`; in a list, put calls in parentheses: `[ (f x) ]`"),
    _regex_trap("E201", r"^expected a set but found a function",
                "this function takes arguments first: call it (`f { ... }`) before selecting from its result"),
    _regex_trap("E201", r"^expected a Boolean but found",
                "Nix has no truthy values: `if`, `assert`, `&&` and `||` need true or false; compare "
                "explicitly (`x != null`, `n > 0`, `xs != [ ]`)"),
    _regex_trap("E201", r"^cannot coerce a set to a string",
                "an attrset cannot be put in a string unless it has `outPath` or `__toString`; select the "
                "attribute you meant"),
    _regex_trap("E201", r"^cannot coerce a function to a string",
                "a function cannot be put in a string; did you forget to call it?"),
    _regex_trap("E201", r"^cannot coerce a list to a string",
                "a list is not put in a string by itself: join it with `builtins.concatStringsSep \" \" xs` "
                "(or `toString xs`)"),
    _regex_trap("E201", r"^cannot coerce (an integer|a float|a Boolean|null) to a string",
                "Nix never turns a number, Boolean or null into a string by itself: use `toString x` "
                "(`\"${toString n}\"`); note `toString true` is \"1\" and `toString null` is \"\""),
    _regex_trap("E200", r"^cannot add an? (string|path) to an? (integer|float)",
                "`+` adds two numbers or joins two strings, never a number and a string: convert with "
                "`toString n`"),
    _regex_trap("E200", r"doesn't represent an absolute path",
                "a path is needed here, and a string only counts as one when it is absolute: write a path "
                "literal such as `./foo.nix` (found relative to this file), not the string \"foo.nix\""),
    _regex_trap("E200", r"^path '.*' does not exist",
                "a path literal names a real file: used in a string (`\"${./foo}\"`, `\"text\" + ./foo`) or "
                "imported, it is copied to the store first, so it must exist; `./foo + \"bar\"` is `./foobar` "
                "(write `./foo + \"/bar\"`); if you only need text, use a string"),
    _regex_trap("E200", r"^cannot compare a function with",
                "functions cannot be ordered or compared (`==` on functions is always false); compare what "
                "they return, or a name you keep beside them"),
    _regex_trap("E200", r"^'builtins\.(head|tail)' called on an empty list",
                "the list is empty; test it first: `if xs == [ ] then fallback else builtins.head xs`"),
    _regex_trap("E200", r"called with index -?\d+ on a list of size",
                "lists count from 0: the last element of `xs` is at `builtins.length xs - 1`"),
    _regex_trap("E209", r"called without required argument",
                "pass every formal that has no default (`{ a, b ? 1 }` needs `a`)"),
    _regex_trap("E209", r"called with unexpected argument",
                "the function does not take that argument; add `...` to its formals to allow extra ones"),
]


def trap_for(err: NixError) -> str:
    """The hint of the specific beginner trap `err` looks like, or ""."""
    for trap in _TRAPS:
        try:
            hint = trap(err)
        except Exception:     # a guess that fails is no hint; never an error about an error
            hint = None
        if hint:
            return hint
    return ""


def hint_for(err: NixError) -> str:
    return trap_for(err) or HINTS.get(err.code, "")


# -- rendering -------------------------------------------------------------------------------

def _underline(text: str, err: NixError) -> str:
    """Grow the caret under the error's own excerpt into an underline of its span."""
    if err.source is None or err.span is None or err.span.end <= err.span.start:
        return text
    line, col = err.source.line_col(err.span.start)
    end_line, end_col = err.source.line_col(err.span.end)
    if end_line != line:     # to the end of the first line
        end_col = len((err.source.line_text(line) or "").rstrip(" \t\r").encode("utf-8", "surrogateescape")) + 1
    width = max(1, end_col - col)
    caret = f"{' ' * 13}|{' ' * col}^"
    i = text.rfind("\n" + caret + "\n")
    if i < 0 or width == 1:
        return text
    i += 1
    return text[:i] + caret + "~" * (width - 1) + text[i + len(caret):]


def render_friendly(err: NixError, show_trace: bool = False, names=()) -> str:
    """Nix's rendering of `err` (its span underlined), then the pynix code with
    a hint, "did you mean" for an undefined name (among the names the source
    binds and `names`), and a pointer to `pynix explain`."""
    text = render_nix_eval(err, show_trace) if getattr(err, "frames", None) is not None else render_nix(err)
    try:
        text = _underline(text, err)
    except Exception:
        pass
    lines = [text.rstrip("\n"), ""]
    hint = hint_for(err)
    lines.append(f"  [{err.code}] {err.title}" + (f": {hint}" if hint else ""))
    try:
        sugg = did_you_mean(err, names)
    except Exception:
        sugg = []
    if sugg:
        lines.append("  did you mean " + (f"'{sugg[0]}'" if len(sugg) == 1 else
                                          "one of " + ", ".join(f"'{s}'" for s in sugg)) + "?")
    lines.append(f"  more: pynix explain {err.code}")
    return "\n".join(lines) + "\n"
