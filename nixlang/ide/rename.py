"""Rename a name and every use of it in one document, or say why not.

`prepare_rename(an, offset)` checks that the name under the cursor can be
renamed and returns its range; `rename(an, offset, new_name)` returns the
text edits. Both raise `RenameError` with a message for the user instead.

What can be renamed: `let` bindings, attributes of `rec` sets, formal
arguments (`{ a, b }:`) and plain function arguments (`x:`, `args@`), from
the definition or from any use. Uses include `inherit x;` (rewritten to
`x = new;`, so the attribute keeps its name), `args.a` / `inherit (args) a`
for a formal of an `args@{ ... }` function, and `s.a` / `inherit (s) a`
for a `rec` attribute when `s` is that set; for a formal, also the sets
passed at the calls of the function this file shows (`f { a = 1; }`).
Renaming a formal of the file's own function also renames it in the sets
the workspace's other files pass to it (`import ./this.nix { a = 1; }`, see
`callers`); a `callPackage`-style caller (which reads the formals by name)
or a set shared by several files refuses the rename. Renaming a `rec`
attribute changes what the set holds: other files are not updated.

Refused: builtins, names a `with` provides, undefined names, attributes of
plain sets (their uses cannot all be found), definitions split over several
attribute paths, sets or argument sets used in ways a rename cannot follow
(`args` passed on whole, `${...}` names, a call with a set it cannot see),
a new name that is not an identifier or is a keyword, and any rename after
which some name would refer to something else (captured by another binding,
or capturing one) or the file would get a new error. That last check is not
a list of rules: the renamed text is parsed and resolved again, and every
variable must still mean what it meant.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from ..syntax import ast as A
from ..syntax.lexer import KEYWORDS, Lexer
from .analysis import (ARG, DEF, FORMAL, INHERIT, INHERIT_FROM, LET, PATH, REC, SELECT, VAR, Analysis,
                       analyze)
from .navigation import select_member
from .static import static_attrs


@dataclass(frozen=True)
class TextEdit:
    start: int
    end: int
    new_text: str
    path: str | None = None     # another file (a caller's argument set); None: this document


@dataclass(frozen=True)
class RenameTarget:
    """What `prepare_rename` found: the range of the name under the cursor."""
    start: int
    end: int
    name: str


class RenameError(Exception):
    """A rename that cannot (or must not) be done; `message` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*\Z")


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and name not in KEYWORDS


def apply_edits(text: str, edits) -> str:
    """`text` with non-overlapping `edits` applied."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos:e.start])
        out.append(e.new_text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


# -- tokens ----------------------------------------------------------------------------------

def tokens(an: Analysis) -> list:
    """The document's tokens (comments left out), lexed again: the tree keeps
    no punctuation, and the quick fixes need it. Lexed once an analysis
    (a file with many duplicate attributes asks for each)."""
    got = an.__dict__.get("_tokens")
    if got is not None:
        return got
    lexer = Lexer(an.source, pipe_operators=True, url_literals=True, collect_comments=True)
    try:
        got = [t for t in lexer.tokens()]
    except Exception:       # the lexer reports errors as tokens; this is a last resort
        got = []
    an.__dict__["_tokens"] = got
    return got


def token_index(toks: list, offset: int) -> int:
    """Index of the token starting at `offset`, else of the first one after it."""
    starts = [t.start_pos for t in toks]
    return bisect.bisect_left(starts, offset)


@dataclass
class InheritStatement:
    start: int              # the `inherit` keyword
    end: int                # after its `;`
    names: list             # (start, end) of each name written
    source: object = None   # the `(expr)` of `inherit (expr) ...`, if any


def inherit_statement(an: Analysis, toks: list, name_start: int, source=None) -> InheritStatement | None:
    """The `inherit ...;` statement that writes a name at `name_start`."""
    i = token_index(toks, name_start)
    if i >= len(toks) or toks[i].start_pos != name_start:
        return None
    j = i - 1
    while j >= 0 and toks[j].type not in ("INHERIT", "RPAR", "SEMI", "LBRACE", "RBRACE"):
        j -= 1
    if j < 0:
        return None
    if toks[j].type == "RPAR":
        if source is None:
            return None
        k = token_index(toks, source.span.start) - 1
        while k >= 0 and toks[k].type != "INHERIT":
            k -= 1
        if k < 0:
            return None
        start, names_from = toks[k].start_pos, j + 1
    elif toks[j].type == "INHERIT":
        start, names_from = toks[j].start_pos, j + 1
    else:
        return None
    names = []
    k = names_from
    while k < len(toks) and toks[k].type != "SEMI":
        t = toks[k]
        if t.type == "DQUOTE":
            e = k + 1
            while e < len(toks) and toks[e].type != "DQUOTE":
                e += 1
            if e >= len(toks):
                return None
            names.append((t.start_pos, toks[e].end_pos))
            k = e + 1
            continue
        if t.type in ("ID", "OR_KW"):
            names.append((t.start_pos, t.end_pos))
        else:
            return None
        k += 1
    if k >= len(toks):
        return None
    return InheritStatement(start, toks[k].end_pos, names, source)


def split_inherit(st: InheritStatement, name_start: int, replacement: str) -> list:
    """Edits taking the name at `name_start` out of `st` and defining it by
    `replacement` (`lhs = rhs;`) instead."""
    if len(st.names) == 1:
        return [TextEdit(st.start, st.end, replacement)]
    i = [s for s, _ in st.names].index(name_start)
    s, e = st.names[i]
    prev_end = st.names[i - 1][1] if i > 0 else None
    if prev_end is None:      # the first name: cut it and the blanks after it
        nxt = st.names[1][0]
        cut = TextEdit(s, nxt, "")
    else:
        cut = TextEdit(prev_end, e, "")
    return [cut, TextEdit(st.end, st.end, " " + replacement)]


# -- what is renamed -------------------------------------------------------------------------

@dataclass
class _Plan:
    binding: object         # AttrDef / Formal / Lambda
    name: str
    start: int              # the range prepareRename shows
    end: int


def _binding_name(an: Analysis, b) -> str:
    t = type(b)
    if t is A.Formal:
        return b.name
    if t is A.Lambda:
        return b.arg or ""
    owner = an.owner.get(id(b))
    return owner.path[-1] if owner else ""


_PLAIN_SET = ("'{name}' is an attribute of a plain (non-rec) set: renaming it changes what the set "
              "contains, and pynix cannot find every place that reads it (`x.{name}`, `inherit (x) {name}`, "
              "other files). Rename it by hand.")


def _desugared(d) -> bool:
    v = d.value
    return d.kind == A.PLAIN and type(v) is A.Attrs and not v.rec and v.span == d.name_span


def _leaves(d) -> int:
    n, stack = 0, [d]
    while stack:
        x = stack.pop()
        if _desugared(x):
            stack.extend(x.value.attrs.values())
            n += len(x.value.dynamic)
        else:
            n += 1
    return n


def _check_binding(an: Analysis, b, name: str) -> None:
    if type(b) is A.AttrDef:
        owner = an.owner.get(id(b))
        if owner is None:
            raise RenameError(f"pynix cannot tell where '{name}' is defined.")
        if owner.where not in (LET, REC):
            raise RenameError(_PLAIN_SET.format(name=name))
        if len(owner.path) != 1:
            raise RenameError(_PLAIN_SET.format(name=name))
        if _desugared(b) and _leaves(b) > 1:
            raise RenameError(f"'{name}' is defined in several parts (`{name}.x = ...; {name}.y = ...;`); "
                              f"rename each part by hand.")
        if owner.where == REC:
            if "__overrides" in owner.container.attrs:
                raise RenameError("this set has an `__overrides` attribute, which replaces attributes by "
                                  "name; pynix does not rename in such sets.")
            if any(s is owner.container for s in an.legacy_lets) and name == "body":
                raise RenameError("`body` is the result of a legacy `let { ... }`; it cannot be renamed.")
            if owner.container.dynamic:
                raise RenameError(f"this set also has attributes with computed names (`${{...}} = ...`); "
                                  f"one of them could clash with the new name of '{name}'.")
        if b.kind == A.INHERITED_FROM:
            src = owner.container.inherit_from[b.value.expr.index]
            if not _simple_source(src):
                raise RenameError(f"'{name}' comes from `inherit (...) {name};` with a complex source; write "
                                  f"`{name} = (...).{name};` first, then rename it.")
    elif type(b) is A.Lambda and b.arg is None:
        raise RenameError("there is no name here to rename.")
    if type(b) is A.Formal:
        _check_args_uses(an, b, name)
    if any(v.synthetic for v in an.references_to(b)):
        raise RenameError(f"'{name}' is also used by an operator or a `<...>` path (pynix writes them "
                          f"as calls of '{name}'); renaming it would change what they do.")


def _simple_source(src) -> bool:
    """`x` or `x.a.b` (static names): safe to write twice."""
    while type(src) is A.Select and src.default is None and all(p.name is not None for p in src.path):
        src = src.expr
    return type(src) is A.Var and not src.synthetic


def _plan(an: Analysis, offset: int, definition: bool = False) -> _Plan:
    from .flakes import is_flake_lock
    if is_flake_lock(an):
        raise RenameError("flake.lock is written by Nix; it has no names to rename.")
    if an.ast is None:
        raise RenameError("the file could not be read (syntax errors); fix them first.")
    o = an.occurrence_at(offset)
    if o is None:
        raise RenameError("there is no name here to rename.")
    k = o.kind
    b = None
    if k == INHERIT and definition:
        b = o.node
    elif k == VAR:
        v = o.node
        b = v.binding
        if b is None:
            if v.from_with:
                raise RenameError(f"'{v.name}' comes from a `with`: its definition is in the `with` set, "
                                  f"which a rename cannot change. Rename it where that set is defined.")
            if v.level >= 0:
                raise RenameError(f"'{v.name}' is a builtin; builtins cannot be renamed.")
            raise RenameError(f"'{v.name}' is not defined anywhere, so there is nothing to rename.")
    elif k == INHERIT:
        var = o.node.value
        b = var.binding if type(var) is A.Var else None
        if b is None:
            what = ("comes from a `with`" if getattr(var, "from_with", False) else
                    "is a builtin" if getattr(var, "level", -1) >= 0 else "is not defined")
            raise RenameError(f"`inherit {getattr(var, 'name', '')};` copies a name that {what}; "
                              f"there is no definition in this file to rename.")
    elif k in (DEF, INHERIT_FROM, FORMAL, ARG):
        b = o.node
    elif k == SELECT:
        b = _select_binding(an, o)
    elif k == PATH:
        raise RenameError("this is a path, not a name; rename the file instead.")
    if b is None:
        raise RenameError("there is no name here to rename.")
    name = _binding_name(an, b)
    _check_binding(an, b, name)
    return _Plan(b, name, o.start, o.end)


def _select_binding(an: Analysis, o):
    sel, i = o.extra
    e = sel.expr
    if i == 0 and type(e) is A.Var and type(e.binding) is A.Lambda and e.binding.formals is not None:
        lam = e.binding
        f = next((f for f in lam.formals or () if f.name == o.node.name), None)
        if f is not None:
            return f
        raise RenameError(f"'{o.node.name}' is not one of the named arguments of this function.")
    m = select_member(an, sel, i)
    if m is not None and m.builtin is not None:
        raise RenameError(f"'{m.builtin}' is a builtin; builtins cannot be renamed.")
    if m is None or m.attr is None:
        raise RenameError(f"pynix cannot tell which set `.{o.node.name}` is taken from, so it cannot "
                          f"rename its definition.")
    if m.an is not an:
        raise RenameError(f"'{o.node.name}' is defined in another file; open that file to rename it.")
    return m.attr


def prepare_rename(an: Analysis, offset: int) -> RenameTarget:
    """The name under the cursor, if it can be renamed; raises `RenameError` otherwise."""
    p = _plan(an, offset)
    return RenameTarget(p.start, p.end, p.name)


# -- the edits -------------------------------------------------------------------------------

def rename(an: Analysis, offset: int, new_name: str, definition: bool = False) -> list[TextEdit]:
    """Edits renaming the name under the cursor to `new_name` everywhere in
    the document; raises `RenameError` when that is not possible or would
    change the meaning of the file. On `inherit x;` the cursor means the
    variable `x` it copies, unless `definition` (then: the binding it makes)."""
    p = _plan(an, offset, definition)
    old = p.name
    if not IDENTIFIER.match(new_name or ""):
        raise RenameError(f"'{new_name}' is not a valid Nix name: use letters, digits, `_`, `'` and `-`, "
                          f"starting with a letter or `_`.")
    if new_name in KEYWORDS:
        raise RenameError(f"'{new_name}' is a Nix keyword and cannot be used as a name.")
    if new_name == old:
        return []
    b = p.binding
    rw = _Rewriter(an, old)
    edits: list[TextEdit] = []
    inherited_by = {}              # id(Var) -> the INHERITED AttrDef whose value it is
    for d in an.bindings.values():
        if type(d) is A.AttrDef and d.kind == A.INHERITED:
            inherited_by[id(d.value)] = d

    # the definition
    t = type(b)
    if t is A.Formal:
        edits.append(TextEdit(b.span.start, b.span.end, new_name))
    elif t is A.Lambda:
        edits.append(TextEdit(b.arg_span.start, b.arg_span.end, new_name))
    elif b.kind == A.PLAIN:
        ns = b.name_span or b.span
        edits.append(TextEdit(ns.start, ns.end, new_name))
    elif b.kind == A.INHERITED:                 # `inherit old;` -> `new = old;`
        edits.extend(rw.inherit(b, new_name, None))
    else:                                       # `inherit (src) old;` -> `new = src.old;`
        edits.extend(rw.inherit_from(b, an.owner[id(b)].container, new_name, None))

    # the variables that use it (`inherit old;` -> `old = new;`)
    for v in an.references_to(b):
        d = inherited_by.get(id(v))
        if d is None:
            edits.append(TextEdit(v.span.start, v.span.end, new_name))
        else:
            edits.extend(rw.inherit(d, None, new_name))

    # calls in this file of the function whose formal it is: the argument sets follow
    if t is A.Formal:
        edits.extend(_call_site_edits(an, b, old, new_name, rw))

    # attribute selections, and `inherit (x) old;` -> `old = x.new;`
    for occ in an.occurrences:
        if occ.kind == SELECT and occ.node.name == old:
            if _reads(an, b, occ):
                edits.append(TextEdit(occ.start, occ.end, new_name))
        elif occ.kind == INHERIT_FROM and occ.node is not b and _inherit_reads(an, b, occ, old):
            edits.extend(rw.inherit_from(occ.node, an.owner[id(occ.node)].container, None, new_name))

    edits = _merge(edits)
    _verify(an, edits, b, old, new_name, rw.extra_vars)
    if t is A.Formal and an.workspace is not None and an.path:
        edits.extend(_caller_edits(an, b, old, new_name))
    return edits


class _Rewriter:
    """Rewrites a name of an `inherit` statement as a plain definition."""

    def __init__(self, an: Analysis, old: str):
        self.an = an
        self.old = old
        self.toks = tokens(an)
        self.extra_vars: list = []     # variables the edits write a second time (an inherit's source)

    def statement(self, name_start: int, source=None) -> InheritStatement:
        st = inherit_statement(self.an, self.toks, name_start, source)
        if st is None:
            raise RenameError(f"pynix could not read an `inherit` statement that uses '{self.old}'; "
                              f"rename by hand.")
        return st

    def inherit(self, d, lhs: str | None, rhs: str | None) -> list:
        """`inherit x;` -> `lhs = rhs;` (None: keep `x` on that side)."""
        an = self.an
        ns = d.name_span or d.span
        var = d.value
        if type(var) is not A.Var or not is_identifier(var.name):
            raise RenameError(f"`inherit {an.text[ns.start:ns.end]};` on line {an.line_of(ns.start)} cannot be "
                              f"rewritten; rename by hand.")
        text = f"{lhs or an.text[ns.start:ns.end]} = {rhs or var.name};"
        return split_inherit(self.statement(ns.start), ns.start, text)

    def inherit_from(self, d, container: A.Attrs, lhs: str | None, attr: str | None) -> list:
        """`inherit (src) x;` -> `lhs = src.attr;` (None: keep `x` on that side)."""
        an = self.an
        ns = d.name_span or d.span
        src = container.inherit_from[d.value.expr.index]
        if not _simple_source(src):
            raise RenameError(f"`inherit (...) {self.old};` on line {an.line_of(ns.start)} reads '{self.old}' "
                              f"from a complex expression; write `{self.old} = (...).{self.old};` first.")
        st = self.statement(ns.start, src)
        name = an.text[ns.start:ns.end]
        edits = split_inherit(st, ns.start, f"{lhs or name} = {an.text[src.span.start:src.span.end]}.{attr or name};")
        if len(st.names) > 1:
            self.extra_vars.append(src)
        return edits


def _call_site_edits(an: Analysis, f: A.Formal, old: str, new: str, rw: _Rewriter) -> list:
    """`({ old }: ...) { old = 1; }` -> `({ new }: ...) { new = 1; }`: the sets passed,
    at the calls of this function that the file shows (other files are not seen)."""
    lam = next((l for l in an.lambdas if any(g is f for g in l.formals or ())), None)
    if lam is None:
        return []
    edits = []
    for call, arg in _calls_of(an, lam):
        edits.extend(_argument_set_edits(an, call, arg, old, new, rw, f"on line {an.line_of(call.span.start)}"))
    return edits


def _argument_set_edits(an: Analysis, call, arg, old: str, new: str, rw: _Rewriter, where: str) -> list:
    """The edits renaming `old` in the set `arg` passed by `call` (`where` says where, for messages)."""
    if type(arg) is not A.Attrs:
        raise RenameError(f"the function is called {where} with a set pynix cannot see into; that "
                          f"call would still pass '{old}'. Rename by hand.")
    d = arg.attrs.get(old)
    if d is None:
        if arg.dynamic:
            raise RenameError(f"the set passed {where} has computed names (`${{...}}`), which "
                              f"may give '{old}'; rename by hand.")
        return []
    if arg.rec and an.references_to(d):
        raise RenameError(f"'{old}' in the `rec` set passed {where} is also used inside that set; "
                          f"rename by hand.")
    if d.kind == A.PLAIN:
        if _desugared(d) and _leaves(d) > 1:
            raise RenameError(f"'{old}' in the set passed {where} is written in several parts; "
                              f"rename by hand.")
        ns = d.name_span or d.span
        return [TextEdit(ns.start, ns.end, new)]
    if d.kind == A.INHERITED:
        return rw.inherit(d, new, None)
    return rw.inherit_from(d, arg, new, None)


def _caller_edits(an: Analysis, f: A.Formal, old: str, new: str) -> list:
    """For a formal of the file's own function: the argument sets the other
    files of the workspace pass (`import ./this.nix { old = ...; }`), renamed
    with it. Refused when a caller gives the argument in a way a rename
    cannot follow: `callPackage` (it fills arguments from a package set, by
    name), a set shared by several files (`callLibs = file: import file { ... }`),
    or a set it cannot see into."""
    from .callers import CALL_PACKAGE, call_arguments
    if an.ast is None or not any(g is f for g in getattr(an.ast, "formals", None) or ()):
        return []
    edits = []
    for c_an, arg, call in call_arguments(an):
        where = f"in {c_an.path} line {c_an.line_of(call.span.start)}"
        if isinstance(arg, str) and arg == CALL_PACKAGE:
            raise RenameError(f"this file is called {where} by `callPackage`, which fills '{old}' from a "
                              f"package set by its name; rename by hand.")
        if not any(a is arg for a in call.args):
            raise RenameError(f"this file is called {where} through a function that passes the same set to "
                              f"other files; rename by hand.")
        for e in _argument_set_edits(c_an, call, arg, old, new, _Rewriter(c_an, old), where):
            edits.append(TextEdit(e.start, e.end, e.new_text, c_an.path))
    return edits


def _calls_of(an: Analysis, lam: A.Lambda):
    """(Call, the argument `lam` receives) for each call the file shows of `lam`
    (written directly, or through a name bound to it; curried calls too)."""
    from .static import Seen, static_lambda
    stack, out = [an.ast], []
    while stack:
        n = stack.pop()
        if type(n) is A.Call:
            fn = static_lambda(an, n.fn, Seen())
            cur = fn[1] if fn is not None and fn[0] is an else None
            for a in n.args:
                if type(cur) is not A.Lambda:
                    break
                if cur is lam:
                    out.append((n, a))
                    break
                cur = cur.body
        stack.extend(A.children(n))
    return out


def _reads(an: Analysis, b, occ) -> bool:
    """Does the selection `occ` read the binding `b` (a rec attribute, or a formal through `args@`)?"""
    sel, i = occ.extra
    if type(b) is A.Formal:
        e = sel.expr
        return i == 0 and type(e) is A.Var and type(e.binding) is A.Lambda and \
            any(f is b for f in e.binding.formals or ())
    if type(b) is A.AttrDef:
        m = select_member(an, sel, i)
        return m is not None and m.an is an and m.attr is b
    return False


def _inherit_reads(an: Analysis, b, occ, old: str) -> bool:
    d = occ.node
    if _binding_name(an, d) != old:
        return False
    owner = an.owner.get(id(d))
    if owner is None:
        return False
    src = owner.container.inherit_from[d.value.expr.index]
    if type(b) is A.Formal:
        return type(src) is A.Var and type(src.binding) is A.Lambda and \
            any(f is b for f in src.binding.formals or ())
    if type(b) is A.AttrDef:
        env = static_attrs(an, src)
        return bool(env) and old in env and env[old].an is an and env[old].attr is b
    return False


def _check_args_uses(an: Analysis, f: A.Formal, old: str) -> None:
    """For `args@{ old, ... }`: every use of `args` must be one the rename can follow."""
    lam = next((l for l in an.lambdas if any(g is f for g in l.formals or ())), None)
    if lam is None or lam.arg is None:
        return
    allowed = set()
    for occ in an.occurrences:
        if occ.kind == SELECT:
            sel, i = occ.extra
            if i == 0 and type(sel.expr) is A.Var and sel.expr.binding is lam:
                allowed.add(id(sel.expr))
    for s in an.selects:
        e = s.expr
        if type(e) is A.Var and e.binding is lam and s.path and s.path[0].name is None:
            raise RenameError(f"'{lam.arg}' is read with a computed name (`{lam.arg}.${{...}}`), which may "
                              f"mean '{old}'; pynix cannot rename that.")
    for d in an.bindings.values():
        if type(d) is A.AttrDef and d.kind == A.INHERITED_FROM:
            owner = an.owner.get(id(d))
            if owner is not None:
                src = owner.container.inherit_from[d.value.expr.index]
                if type(src) is A.Var and src.binding is lam:
                    allowed.add(id(src))
    for v in an.references_to(lam):
        if id(v) not in allowed:
            raise RenameError(f"'{lam.arg}' (all the arguments, including '{old}') is used as a whole on line "
                              f"{an.line_of(v.span.start)}; what reads '{old}' from it cannot be renamed. "
                              f"Rename by hand.")


def _merge(edits: list[TextEdit]) -> list[TextEdit]:
    """Sort, drop exact duplicates, and refuse overlaps (never produce a broken edit)."""
    out: list[TextEdit] = []
    for e in sorted(set(edits), key=lambda e: (e.start, e.end, e.new_text)):
        if out and e.start < out[-1].end:
            raise RenameError("the rename needs overlapping changes here; rename by hand.")
        out.append(e)
    return out


# -- the check: every variable still means the same ------------------------------------------

def _shift(edits: list[TextEdit]):
    ends = [e.end for e in edits]
    deltas = [0]
    for e in edits:
        deltas.append(deltas[-1] + len(e.new_text) - (e.end - e.start))

    def mapped(o: int) -> int:
        return o + deltas[bisect.bisect_right(ends, o)]
    return mapped


def _all_vars(root) -> list:
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        if type(n) is A.Var:
            out.append(n)
        elif type(n) is A.Attrs:
            stack.extend(A.children(n))
            stack.extend(d.value for d in n.attrs.values() if d.kind == A.INHERITED_FROM)
        else:
            stack.extend(A.children(n))
    return out


class _Scopes:
    """Names a binding by (kind, where its scope starts, name): stable across a rename."""

    def __init__(self, an: Analysis):
        self.an = an
        self.let_of = {id(l.attrs): l for l in an.lets}
        self.lam_of = {}
        for lam in an.lambdas:
            for f in lam.formals or ():
                self.lam_of[id(f)] = lam

    def key(self, b, mapped=lambda o: o, rename=None):
        t = type(b)
        if t is A.Formal:
            lam = self.lam_of.get(id(b))
            start = lam.span.start if lam is not None else -1
            name = b.name
        elif t is A.Lambda:
            start, name = b.span.start, b.arg
        elif t is A.AttrDef:
            owner = self.an.owner.get(id(b))
            if owner is None:
                return ("?", id(b))
            node = self.let_of.get(id(owner.container), owner.container)
            start, name = node.span.start, owner.path[-1]
        else:
            return ("?", id(b))
        if rename is not None and b is rename[0]:
            name = rename[1]
        return (t.__name__ if t is not A.AttrDef else "attr", mapped(start), name)

    def var_key(self, v, mapped=lambda o: o, rename=None):
        name = v.name
        if v.binding is not None:
            if rename is not None and v.binding is rename[0]:
                name = rename[1]
            return name, self.key(v.binding, mapped, rename)
        if v.from_with:
            return name, ("with",)
        if v.level >= 0:
            return name, ("builtin",)
        return name, ("undefined",)

    def describe(self, v) -> str:
        b = v.binding
        an = self.an
        if b is None:
            return ("a name from a `with`" if v.from_with else "the builtin" if v.level >= 0 else
                    "nothing (undefined)")
        t = type(b)
        if t is A.Formal:
            return f"the formal argument '{b.name}' on line {an.line_of(b.span.start)}"
        if t is A.Lambda:
            return f"the function argument '{b.arg}' on line {an.line_of(b.span.start)}"
        owner = an.owner.get(id(b))
        what = {LET: "the let binding", REC: "the rec attribute"}.get(owner.where if owner else "", "the attribute")
        ns = b.name_span or b.span
        return f"{what} '{owner.path[-1] if owner else v.name}' on line {an.line_of(ns.start)}"


def _verify(an: Analysis, edits: list[TextEdit], b, old: str, new: str, extra_vars: list) -> None:
    new_text = apply_edits(an.text, edits)
    after = analyze(new_text, an.path, None)
    if after.ast is None:
        raise RenameError(f"renaming '{old}' to '{new}' would make the file unreadable.")
    # new errors (a duplicate definition, most often)
    # (undefined names are left to the check of the variables below)
    before_codes = Counter(e.code for e in an.parse_diagnostics)
    for e in after.parse_diagnostics:
        if e.code == "E013":
            continue
        if before_codes[e.code] > 0:
            before_codes[e.code] -= 1
            continue
        line = after.line_of(e.span.start) if e.span else 1
        if e.code in ("E010", "E011"):
            raise RenameError(f"'{new}' is already defined next to '{old}' (line {line}); two definitions "
                              f"of one name in the same place are an error.")
        raise RenameError(f"renaming '{old}' to '{new}' would cause an error on line {line}: "
                          f"{e.message.splitlines()[0]}")
    old_scopes, new_scopes = _Scopes(an), _Scopes(after)
    mapped = _shift(edits)
    expected = Counter(old_scopes.var_key(v, mapped, (b, new)) for v in _all_vars(an.ast))
    for src in extra_vars:
        expected.update(old_scopes.var_key(v, mapped, (b, new)) for v in _all_vars(src))
    got_vars = _all_vars(after.ast)
    got = Counter(new_scopes.var_key(v) for v in got_vars)
    if got == expected:
        return
    wrong = got - expected
    for v in sorted(got_vars, key=lambda v: v.span.start):
        k = new_scopes.var_key(v)
        if wrong.get(k):
            raise RenameError(f"renaming '{old}' to '{new}' would change the meaning of the file: "
                              f"'{v.name}' on line {after.line_of(v.span.start)} would then refer to "
                              f"{new_scopes.describe(v)}.")
    raise RenameError(f"renaming '{old}' to '{new}' would change the meaning of the file.")


__all__ = ["TextEdit", "RenameTarget", "RenameError", "prepare_rename", "rename", "apply_edits",
           "is_identifier", "tokens", "inherit_statement", "split_inherit", "InheritStatement"]
