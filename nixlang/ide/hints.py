"""The hint of an error: which beginner trap it is, read from the program and
from the facts the error carries, never from text.

An error says what kind of mistake it is (`NixError.kind`, with its facts in
`.data`: the types involved, the name missing, the function called, the
tokens a syntax error expected and the repairs recovery made). Where it
happened is its own position or, failing that, its innermost trace frame's.
The program there is parsed again with recovery and resolved (`analyze`),
so a hint can ask what the expression at that place is: a variable bound to
a plain function argument, a set literal that is not `rec`, a `let` whose
bindings run into its body, a `.0` read as the number 0.0, a binding whose
value uses itself. Each trap below is one such question; the first that
answers gives the hint, and an error no trap recognises gets the usual cause
of its code (`errors.friendly.HINTS`).

`render` is the friendly front's whole rendering (`pynix eval`, the REPL):
Nix's text, then the code, the hint and, for an undefined name, "did you
mean" among the names in scope there (`names`: what the caller adds, such
as the builtins and the REPL's bindings).
"""
from __future__ import annotations

import os
import re

from .. import errors as E
from ..errors.friendly import HINTS, render_friendly, similar
from ..syntax import ast as A
from .analysis import LET, REC, Analysis, analyze
from .static import node_path, scopes_at, static_attrs


# -- the place of an error ----------------------------------------------------------------------

class Place:
    """An error, the position it is about, and the analysis of the source
    there (made on first use; `an` when the caller has it already)."""

    def __init__(self, err: E.NixError, an: Analysis | None = None):
        self.err = err
        self.positions = _positions(err)
        self.source, self.span = self.positions[0] if self.positions else (None, None)
        self._analyses: dict = {}
        if an is not None:
            self._analyses[an.text] = an

    @property
    def data(self) -> dict:
        return getattr(self.err, "data", None) or {}

    def analysis(self, source=None) -> Analysis | None:
        source = source or self.source
        if source is None:
            return None
        an = self._analyses.get(source.text)
        if an is None:
            origin = source.origin
            an = analyze(source.text, origin if os.path.isabs(origin) else None)
            self._analyses[source.text] = an
        return an

    @property
    def an(self) -> Analysis | None:
        return self.analysis()

    def path(self, source=None, offset: int | None = None) -> list:
        """The expressions around the position, outermost first."""
        an = self.analysis(source)
        if an is None or an.ast is None:
            return []
        return node_path(an, self.span.start if offset is None else offset)

    def node(self, source=None, offset: int | None = None):
        path = self.path(source, offset)
        return path[-1] if path else None

    def at(self, kind, source=None, offset: int | None = None):
        """The innermost expression of type `kind` that starts at the position."""
        off = self.span.start if offset is None else offset
        for n in reversed(self.path(source, off)):
            if type(n) is kind and n.span.start == off:
                return n
        return None

    def text(self, start: int, end: int, source=None) -> str:
        """The source between two offsets, on one line, cut when long."""
        src = source or self.source
        return _short(src.text[start:end])

    def where(self, offset: int, source=None) -> str:
        line, col = (source or self.source).line_col(offset)
        return f"line {line}, column {col}"


def _positions(err) -> list:
    """(source, span) of the error, then of each trace frame, innermost first."""
    out = []
    if err.source is not None and err.span is not None:
        out.append((err.source, err.span))
    for f in getattr(err, "frames", None) or ():
        if f.source is not None and f.span is not None:
            out.append((f.source, f.span))
    return out


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _walk(node):
    """Every expression under `node` (itself included), without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(A.children(n))


def _def_name(an: Analysis, d) -> str | None:
    owner = an.owner.get(id(d))
    return owner.path[-1] if owner and owner.path else None


def _defs_around(an: Analysis, path: list) -> list:
    """The attribute definitions whose values hold the innermost expression of
    `path`, innermost first."""
    out = []
    inner = path[-1] if path else None
    for n in path:
        attrs = n.attrs if type(n) is A.Let else n if type(n) is A.Attrs else None
        if attrs is None:
            continue
        for d in attrs.attrs.values():
            if d.kind == A.PLAIN and d.value.span.start <= inner.span.start and inner.span.end <= d.value.span.end:
                out.append(d)
    out.reverse()
    return out


# -- syntax errors --------------------------------------------------------------------------------

def _recovered(p: Place):
    """The recovering parser's diagnostic for this syntax error: it says what
    recovery inserted, and where."""
    an = p.an
    for d in an.parse_diagnostics if an is not None else ():
        if d.kind == "syntax" and d.span is not None and d.span.start == p.span.start:
            return d
    return None


class _Before:
    """The lexer's tokens that end at or before an offset, last first
    (`before[0]` is the nearest): a view, found by bisection."""

    def __init__(self, p: Place, offset: int):
        lexed = getattr(p.an.parsed, "lexed", None) if p.an is not None else None
        self.tokens = lexed.tokens if lexed is not None else []
        lo, hi = 0, len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.tokens[mid].end_pos <= offset:
                lo = mid + 1
            else:
                hi = mid
        self.n = lo

    def __len__(self):
        return self.n

    def __getitem__(self, k: int):
        if not 0 <= k < self.n:
            raise IndexError(k)
        return self.tokens[self.n - 1 - k]

    def after(self, offset: int):
        """The first token from here on that starts at or after `offset` (not the end of input)."""
        for t in self.tokens[self.n:self.n + 4]:
            if t.start_pos >= offset:
                return t if t.type != "$END" else None
        return None


def _syntax(p: Place) -> str | None:
    d = p.data
    unexpected, expected = d.get("unexpected"), d.get("expected") or []
    rec = _recovered(p)
    inserted = rec.data.get("inserted", []) if rec is not None else []
    if unexpected == "COMMA" and "SEMI" in expected:
        return ("bindings in an attribute set or `let` end with `;`, not `,` (commas separate the "
                "arguments of a function pattern `{ a, b }:`)")
    if unexpected == "COMMA" and any(type(n) is A.List for n in p.path()):
        return "list elements are separated by spaces, not commas: write `[ 1 2 3 ]`"
    holders = [n for n in p.path() if type(n) in (A.Attrs, A.Let)]
    if unexpected == "COLON" and "ASSIGN" in expected and holders and type(holders[-1]) is A.Attrs:
        return "attributes are written `name = value;`, not `name: value,` as in JSON"
    hint = _missing_in(p, expected, inserted)
    if hint:
        return hint
    if "SEMI" in expected:
        return _missing_semicolon(p, inserted)
    return None


def _missing_in(p: Place, expected, inserted) -> str | None:
    """`let x = 1; x + 1`: the parser takes the body for one more binding."""
    if not expected or not set(expected) <= {"DOT", "ASSIGN", "IN_KW", "INHERIT"}:
        return None
    lets = [n for n in p.path() if type(n) is A.Let]
    if not lets:
        return None
    let = lets[-1]
    at = next((off for toks, off in inserted if "IN_KW" in toks), None)
    if at is None and type(let.body) is not A.Missing:
        return None
    if at is None:
        # after the last `;` of the bindings, before the error
        before = _Before(p, p.span.start)
        semi = next((before[k] for k in range(len(before)) if before[k].type == "SEMI"), None)
        if semi is None or semi.start_pos < let.span.start:
            return None
        at = semi.end_pos
    nxt = _Before(p, at).after(at)
    before = ""
    if nxt is not None:
        at = nxt.start_pos
        line_end = p.source.text.find("\n", at)
        before = f", before `{p.text(at, line_end if line_end >= 0 else len(p.source.text))}`"
    return (f"a `let` is `let NAME = VALUE; ... in EXPRESSION`: the `in` before the expression is probably "
            f"missing at {p.where(at)}{before}")


def _missing_semicolon(p: Place, inserted) -> str | None:
    before = _Before(p, p.span.start)
    at = next((off for toks, off in inserted if "SEMI" in toks), None)
    if p.data.get("unexpected") == "ASSIGN" and len(before) and before[0].type == "ID":
        # `a = 1 b = 2;`: the parser read `1 b` as a call; the `=` shows that
        # `b` (or `b.c`) starts the next binding, so the `;` belongs before it
        k = 0
        while k + 2 < len(before) and before[k + 1].type == "DOT" and before[k + 2].type == "ID":
            k += 2
        if k + 1 < len(before):
            at = before[k + 1].end_pos
    if at is None:
        if not len(before):
            return None
        at = before[0].end_pos
    an = p.an
    defs = [b for b in an.bindings.values()
            if type(b) is A.AttrDef and b.kind == A.PLAIN and b.span.start < at
            and b.value.span.start < at <= b.value.span.end]
    if defs:
        what = p.text(max(d.span.start for d in defs), at)
    else:
        prev = _Before(p, at)
        if not len(prev):
            return None
        what = p.text(prev[0].start_pos, at)
    return (f"every binding `name = value;` ends with `;`, even the last one before `}}` or `in`: "
            f"the `;` is probably missing at {p.where(at)}, after `{what}`")


# -- names ----------------------------------------------------------------------------------------

def _var_here(p: Place, source=None, offset=None):
    n = p.node(source, offset)
    return n if type(n) is A.Var else None


def _vars_here(p: Place) -> list:
    """The variable at the position, or the variables an operator or call
    there is applied to (`n * 2` points at the `*`)."""
    path = p.path()
    if path and type(path[-1]) is A.Var and path[-1].synthetic:
        path.pop()                  # the `__mul` of `n * 2`: look at the call
    if not path:
        return []
    n = path[-1]
    if type(n) is A.Var:
        return [n]
    return [c for c in A.children(n) if type(c) is A.Var and not c.synthetic]


def _undefined(p: Place) -> str | None:
    name = p.data.get("name")
    if name is None:
        return None
    var = _var_here(p)
    withs = p.an.var_withs.get(id(var), ()) if var is not None and p.an is not None else ()
    if withs or "with_names" in p.data:
        sets = " or ".join(f"`{p.text(w.env.span.start, w.env.span.end)}`" for w in withs) or "the `with` set"
        first = p.text(withs[0].env.span.start, withs[0].env.span.end) if withs else "SET"
        return (f"`{name}` is not bound by a let or a function argument, and {sets} does not have it either: "
                f"check the spelling and that the set has it (`{first} ? {name}`); note that `with` never "
                f"shadows let bindings or function arguments, so those always win over it")
    for n in reversed(p.path()):
        if type(n) is A.Attrs and not n.rec and name in n.attrs:
            return (f"`{name}` is an attribute of the set around it ({p.where(n.span.start)}), but the "
                    f"attributes of a plain `{{ ... }}` cannot see each other: make it `rec {{ ... }}`, or "
                    f"bind `{name}` in a `let` around the set")
    return None


def did_you_mean(err: E.NixError, names=(), an: Analysis | None = None) -> list[str]:
    """For an undefined variable: the names in scope where it is used (let,
    rec, function arguments; and what the `with`s there had), or among
    `names` (what the caller knows is in scope: builtins, REPL bindings),
    closest first."""
    if err.code != "E013" or not (getattr(err, "data", None) or {}).get("name"):
        return []
    p = Place(err, an)
    candidates = set(names) | set(p.data.get("with_names", ()))
    if p.an is not None and p.an.ast is not None:
        for frame in scopes_at(p.an, p.span.start):
            candidates |= set(frame.names)
    return similar(p.data["name"], candidates)


def _shadowed_by_with(p: Place) -> str | None:
    """`let hello = 1; in with pkgs; hello`: the let wins over the `with`."""
    if p.an is None:
        return None
    for var in _vars_here(p):
        if var.binding is None or var.from_with or var.synthetic:
            continue
        for frame in scopes_at(p.an, var.span.start):
            if frame.kind != "with":
                if var.name in frame.names:
                    break
                continue
            env = frame.node.env
            known = static_attrs(p.an, env)
            if known is not None and var.name not in known:
                continue
            w = p.text(env.span.start, env.span.end)
            kind = "function argument" if type(var.binding) in (A.Formal, A.Lambda) else "let binding"
            has = f"and in `{w}`" if known is not None else f"and (it seems) in `{w}`"
            return (f"`{var.name}` is bound twice: by a {kind}, {has}. `with` never shadows let bindings "
                    f"or function arguments, so `{var.name}` here is the {kind}; write `{w}.{var.name}` "
                    f"for the other, or rename one")
    return None


# -- functions and calls ----------------------------------------------------------------------------

def _set_to_plain_argument(p: Place) -> str | None:
    if p.data.get("found") != "a set":
        return None
    var = next((v for v in _vars_here(p) if type(v.binding) is A.Lambda and v.binding.formals is None), None)
    if var is None:
        return None
    n = var.name
    return (f"`{n}` is a plain argument (`{n}: ...`) that was given an attribute set: a function written "
            f"`{n}: ...` takes its argument whole and does not unpack a set; call it with the value "
            f"itself, select from the set (`{n}.attr`), or write it with named arguments `{{ a, b }}: ...`")


def _plain_value_to_named_arguments(p: Place) -> str | None:
    d = p.data
    if d.get("expected") != "a set" or d.get("found") == "a function":
        return None
    lam = p.at(A.Lambda)
    if lam is None or lam.formals is None:
        return None
    return (f"this function takes named arguments (`{{ ... }}: ...`), so it must be called with an "
            f"attribute set, e.g. `f {{ a = 1; }}`, not with {d.get('found')}")


def _not_a_function(p: Place) -> str | None:
    found = p.data.get("found")
    call = p.at(A.Call)
    if call is not None:
        prev_end = call.fn.span.end
        for arg in call.args:
            if type(arg) is A.Float and arg.span.start == prev_end and p.source.text[arg.span.start] == ".":
                dotted = p.text(call.fn.span.start, arg.span.end)
                index = p.text(arg.span.start + 1, arg.span.end)
                base = p.text(call.fn.span.start, call.fn.span.end)
                if found == "a list":
                    return (f"`{dotted}` does not select an element: `.{index}` is read as the number "
                            f"0.{index}, so the list is called like a function; lists are indexed with "
                            f"`builtins.elemAt {base} {index}` (`builtins.head {base}` for the first)")
                if found == "a set":
                    return (f"`{dotted}` does not select an attribute: `.{index}` is read as the number "
                            f"0.{index}; an attribute named {index} is written `{base}.\"{index}\"`")
            prev_end = arg.span.end
    if found == "a set":
        return ("a set is not a function: did you mean to select an attribute (`s.f x`) or is `__functor` "
                "missing?")
    return ("two values side by side are a function call (`a b` calls `a` with `b`): look for a missing "
            "operator (`+`, `++`) or `;`; in a list, put calls in parentheses: `[ (f x) ]`")


def _missing_argument(p: Place) -> str | None:
    d = p.data
    name = d.get("name")
    if d.get("auto_call"):
        example = "'import <nixpkgs> { }'" if name == "pkgs" else "EXPR"
        return (f"the file is a function of {{ {', '.join(d.get('formals', ()))} }}: `pynix eval` calls it with "
                f"the arguments given on the command line, so give `{name}` one: `--arg {name} {example}` "
                f"(a Nix expression) or `--argstr {name} TEXT` (a string)")
    return (f"the function needs `{name}` (it has no default): pass it (`{{ {name} = ...; }}`) or give it "
            f"a default in the formals (`{name} ? ...`)")


def _unexpected_argument(p: Place) -> str | None:
    d = p.data
    formals = ", ".join(d.get("formals", ()))
    return (f"the function takes only {{ {formals} }}, not `{d.get('name')}`: remove it from the call, or "
            f"add `...` to the formals (`{{ {formals + ', ' if formals else ''}... }}`) to accept and "
            f"ignore other arguments")


# -- infinite recursion ---------------------------------------------------------------------------

def _recursion(p: Place) -> str | None:
    # the frames of the circle are the innermost ones; the outer ones may be
    # in many files, each of which would have to be parsed again
    for source, span in p.positions[:12]:
        an = p.analysis(source)
        if an is None or an.ast is None:
            continue
        var = _var_here(p, source, span.start)
        if var is not None and type(var.binding) is A.AttrDef:
            hint = _self_or_cycle(p, an, source, var.binding)
            if hint:
                return hint
        sel = p.at(A.Select, source, span.start)
        if sel is not None:
            hint = _fixed_point_select(p, an, source, sel)
            if hint:
                return hint
    return None


def _binding_refs(an: Analysis, d) -> list:
    """The let / rec bindings the value of `d` names directly."""
    out = []
    for n in _walk(d.value):
        if type(n) is A.Var and type(n.binding) is A.AttrDef and n.binding.kind == A.PLAIN:
            owner = an.owner.get(id(n.binding))
            if owner is not None and owner.where in (LET, REC) and n.binding not in out:
                out.append(n.binding)
    return out


def _self_or_cycle(p: Place, an: Analysis, source, start) -> str | None:
    owner = an.owner.get(id(start))
    if owner is None or owner.where not in (LET, REC) or start.kind != A.PLAIN:
        return None
    name = _def_name(an, start)

    def shown(d):
        return f"{_def_name(an, d)} = {p.text(d.value.span.start, d.value.span.end, source)}"

    if start in _binding_refs(an, start):
        outer = sum(1 for f in scopes_at(an, start.value.span.start) if name in f.names) > 1
        hidden = (f" (the `{name}` outside is hidden inside this {'let' if owner.where == LET else 'rec set'})"
                  if outer else "")
        return (f"`{shown(start)}` refers to itself: Nix has no assignment, and inside a let or rec set a "
                f"binding is in scope in its own definition, so the `{name}` on the right is the value being "
                f"defined{hidden}; use a new name for the new value (`{name}2 = ...`)")
    # a circle: follow the names from `start` until one leads back to it
    trail = {id(start): None}
    todo = [start]
    while todo:
        d = todo.pop(0)
        for nxt in _binding_refs(an, d):
            if nxt is start:
                chain = [d]
                while trail[id(chain[-1])] is not None:
                    chain.append(trail[id(chain[-1])])
                chain.reverse()
                steps = " → ".join(f"`{shown(x)}`" for x in chain)
                return (f"these bindings need each other's values in a circle: {steps} → back to "
                        f"`{name}`; give one of them a value that does not need the others")
            if id(nxt) not in trail:
                trail[id(nxt)] = d
                todo.append(nxt)
    return None


def _fixed_point_select(p: Place, an: Analysis, source, sel) -> str | None:
    """`message = final.message + "!"` in an overlay: the finished set's
    `message` is this very definition."""
    last = sel.path[-1].name if sel.path else None
    base = sel.expr
    if last is None or type(base) is not A.Var:
        return None
    path = node_path(an, sel.span.start)
    while path and path[-1] is not sel:
        path.pop()
    defs = _defs_around(an, path)
    if not defs or _def_name(an, defs[0]) != last:
        return None
    shown = p.text(sel.span.start, sel.span.end, source)
    lam = base.binding if type(base.binding) is A.Lambda else None
    other = None
    if lam is not None:
        if type(lam.body) is A.Lambda and lam.body.arg:
            other = lam.body.arg
        else:
            outer = [n for n in node_path(an, lam.span.start) if type(n) is A.Lambda and n.body is lam]
            other = outer[-1].arg if outer else None
    instead = (f"; to build on the value before this change, use `{other}.{last}`" if other else
               "; take the value from a set that does not depend on this definition")
    return (f"`{last}` is defined from `{shown}`, the same attribute of the finished set `{base.name}`, so it "
            f"needs its own value{instead}")


# -- values of the wrong kind -----------------------------------------------------------------------

_COERCE = {
    "a set": "an attrset cannot be put in a string unless it has `outPath` or `__toString`; select the "
             "attribute you meant",
    "a function": "a function cannot be put in a string; did you forget to call it?",
    "a list": "a list is not put in a string by itself: join it with `builtins.concatStringsSep \" \" xs` "
              "(or `toString xs`)",
}
_NUMBERISH = ("an integer", "a float", "a Boolean", "null")


def _coerce(p: Place) -> str | None:
    found = p.data.get("found")
    if found in _NUMBERISH:
        return ("Nix never turns a number, Boolean or null into a string by itself: use `toString x` "
                "(`\"${toString n}\"`); note `toString true` is \"1\" and `toString null` is \"\"")
    return _COERCE.get(found)


def _type(p: Place) -> str | None:
    d = p.data
    if d.get("expected") == "a set" and d.get("found") == "a function":
        return "this function takes arguments first: call it (`f { ... }`) before selecting from its result"
    if d.get("expected") == "a Boolean":
        return ("Nix has no truthy values: `if`, `assert`, `&&` and `||` need true or false; compare "
                "explicitly (`x != null`, `n > 0`, `xs != [ ]`)")
    return None


_PLUS_SET = "`+` does not combine sets: `a // b` is the set `a` with the attributes of `b` added or replaced"
_PLUS_LIST = "`+` does not join lists: `a ++ b` does"


def _add(p: Place) -> str | None:
    kinds = {p.data.get("adding"), p.data.get("to")}
    if kinds & {"a string", "a path"} and kinds & {"an integer", "a float"}:
        return "`+` adds two numbers or joins two strings, never a number and a string: convert with `toString n`"
    if "a set" in kinds:
        return _PLUS_SET
    if "a list" in kinds:
        return _PLUS_LIST
    return None


def _plus_of_collections(p: Place) -> str | None:
    """`{ a = 1; } + x`: `+` turned the set into a string (an operand of `+`
    that is not a number is a string or path)."""
    found = p.data.get("found")
    if found not in ("a set", "a list"):
        return None
    path = p.path()
    if any(type(n) is A.ConcatStrings and not n.force_string and n.op_span is not None
           and any(part.span.start == p.span.start for part in n.parts) for n in path):
        return _PLUS_SET if found == "a set" else _PLUS_LIST
    return None


def _not_absolute(p: Place) -> str | None:
    s = p.data.get("string", "")
    literal = s if s.startswith(("./", "../")) else "./" + s
    return (f"a path is needed here, and a string only counts as one when it is absolute: write a path "
            f"literal such as `{literal}` (found relative to this file), not the string \"{s}\"")


def _no_such_path(p: Place) -> str | None:
    missing = p.data.get("path", "")
    for source, span in p.positions[:4]:
        call = p.at(A.Call, source, span.start)
        if call is None or not call.args or type(call.args[0]) is not A.Path:
            continue
        fn = call.fn
        if not ((type(fn) is A.Var and fn.name == "import") or
                (type(fn) is A.Select and fn.path and fn.path[-1].name == "import")):
            continue
        lit = p.text(call.args[0].span.start, call.args[0].span.end, source)
        if lit.startswith(("/", "~")):
            return f"`{lit}` names {missing}, which does not exist; check the name"
        if os.path.isabs(source.origin):
            where = (f"the directory of the file it is written in, {source.base_dir}, not to where you run "
                     f"the command")
        else:
            where = f"the current directory, {source.base_dir}"
        return f"the file {missing} does not exist: `{lit}` is relative to {where}; check the name and the folder"
    return ("a path literal names a real file: used in a string (`\"${./foo}\"`, `\"text\" + ./foo`) or "
            "imported, it is copied to the store first, so it must exist; `./foo + \"bar\"` is `./foobar` "
            "(write `./foo + \"/bar\"`); if you only need text, use a string")


# where to get nixpkgs from; a release branch, so that what the learner gets stays put
NIXPKGS_BRANCH = "nixos-24.11"
NIXPKGS_TARBALL = f"https://github.com/NixOS/nixpkgs/archive/{NIXPKGS_BRANCH}.tar.gz"


def _not_in_search_path(p: Place) -> str | None:
    name = p.data.get("name", "")
    entries = p.data.get("entries") or []
    have = ("the search path is empty" if not entries else
            "the search path has " + ", ".join(f"{pre}={val}" if pre else val for pre, val in entries[:4]))
    if name == "nixpkgs" or name.startswith("nixpkgs/"):
        return _no_nixpkgs(name, entries, have)
    first = name.split("/")[0]
    return (f"`<{name}>` is looked up in the search path, and {have}: add `-I {first}=/some/path` or "
            f"`NIX_PATH={first}=/some/path`, or use a path relative to the file (`./...`)")


def _no_nixpkgs(name: str, entries, have: str) -> str:
    """`<nixpkgs>` (or `<nixpkgs/...>`) is not found: what the search path
    lacks, and how to get a nixpkgs (a folder: pynix does not download the
    tarball URLs Nix accepts in the search path)."""
    rest = name[len("nixpkgs/"):] if "/" in name else ""
    for prefix, value in entries:
        if prefix != "nixpkgs" or "://" in value:
            continue
        if not os.path.isdir(value):
            return (f"the search path has nixpkgs={value}, but {value} does not exist: point it at the folder "
                    f"of a nixpkgs checkout (the one with default.nix, lib/ and pkgs/)")
        if rest:
            return (f"the search path has nixpkgs={value}, but there is no {rest} in it: is {value} a whole "
                    f"nixpkgs (default.nix, lib/, pkgs/, nixos/)?")
    return (f"`<{name}>` is looked up in the search path, and {have}: point `nixpkgs` at a nixpkgs folder with "
            f"`-I nixpkgs=/path/to/nixpkgs` or `export NIX_PATH=nixpkgs=/path/to/nixpkgs`. To get one: "
            f"`git clone --depth 1 -b {NIXPKGS_BRANCH} https://github.com/NixOS/nixpkgs`; or `curl -LO "
            f"{NIXPKGS_TARBALL} && tar xf {NIXPKGS_BRANCH}.tar.gz`, which makes nixpkgs-{NIXPKGS_BRANCH}/ (Nix "
            f"also takes the URL itself, `-I nixpkgs={NIXPKGS_TARBALL}`; pynix does not download); or, with "
            f"Nix installed, a channel: `nix-channel --add https://nixos.org/channels/{NIXPKGS_BRANCH} nixpkgs "
            f"&& nix-channel --update`, found through ~/.nix-defexpr/channels when NIX_PATH is not set")


def _search_path_url(p: Place) -> str | None:
    url, prefix = p.data.get("url", ""), p.data.get("prefix")
    m = re.fullmatch(r"https://github\.com/[^/]+/([^/]+)/archive/(.+)\.tar\.gz", url)
    # GitHub's archive of REF unpacks to REPO-REF/
    folder = f"{m.group(1)}-{m.group(2).replace('/', '-')}" if m else None
    made = f", which makes {folder}/" if folder else ""
    entry = f"{prefix}=$PWD/{folder or 'FOLDER'}" if prefix else f"$PWD/{folder or 'FOLDER'}"
    return (f"Nix downloads a search path entry given as a URL, pynix does not: download and unpack it once "
            f"(`curl -LO {url} && tar xf {url.rstrip('/').rsplit('/', 1)[-1]}`{made}), then give the folder "
            f"instead of the URL: `-I {entry}`")


def _compare(p: Place) -> str | None:
    if "a function" in (p.data.get("left"), p.data.get("right")):
        return ("functions cannot be ordered or compared (`==` on functions is always false); compare what "
                "they return, or a name you keep beside them")
    return None


def _empty_list(p: Place) -> str | None:
    return (f"the list is empty; test it first: `if xs == [ ] then fallback else builtins.{p.data.get('builtin')} "
            f"xs`")


def _index(p: Place) -> str | None:
    return "lists count from 0: the last element of `xs` is at `builtins.length xs - 1`"


# kind -> traps, tried in order; the with-shadowing trap applies to any wrong value
def _offline(p: Place) -> str:
    # a network builtin where there is no network (the browser playground)
    return ("this needs the network, which is not used here: write the fetched content into the code "
            "(a string, a set), or run it with `pynix eval` in a terminal")


_TRAPS = {
    "offline": [_offline],
    "syntax": [_syntax],
    "undefined-variable": [_undefined],
    "type": [_set_to_plain_argument, _plain_value_to_named_arguments, _shadowed_by_with, _type],
    "coerce": [_set_to_plain_argument, _shadowed_by_with, _plus_of_collections, _coerce],
    "add": [_shadowed_by_with, _add],
    "not-a-function": [_not_a_function],
    "missing-argument": [_missing_argument],
    "unexpected-argument": [_unexpected_argument],
    "not-absolute": [_not_absolute],
    "no-such-path": [_no_such_path],
    "not-in-search-path": [_not_in_search_path],
    "search-path-url": [_search_path_url],
    "compare": [_compare],
    "empty-list": [_empty_list],
    "index": [_index],
    "missing-attr": [_shadowed_by_with],
}
_BY_CODE = {"E203": [_recursion]}


def trap_for(err: E.NixError, an: Analysis | None = None) -> str:
    """The hint of the specific beginner trap `err` is, or ""."""
    traps = _TRAPS.get(getattr(err, "kind", ""), []) + _BY_CODE.get(err.code, [])
    if not traps:
        return ""
    p = Place(err, an)
    for trap in traps:
        try:
            hint = trap(p)
        except Exception:     # a guess that fails is no hint; never an error about an error
            hint = None
        if hint:
            return hint
    return ""


def hint_for(err: E.NixError, an: Analysis | None = None) -> str:
    return trap_for(err, an) or HINTS.get(err.code, "")


def render(err: E.NixError, show_trace: bool = False, names=()) -> str:
    """The friendly rendering of `err`: Nix's text, the code, the hint, "did
    you mean" for an undefined name (among the names in scope there and
    `names`), and `pynix explain`."""
    try:
        suggestions = did_you_mean(err, names)
    except Exception:
        suggestions = []
    return render_friendly(err, show_trace, hint_for(err), suggestions)
