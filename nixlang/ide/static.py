"""What can be known without evaluating: scopes at an offset, the attributes of
sets written in the source, what a name is, and the builtins' documentation.

- `scopes_at(an, offset)`: the static scopes around an offset, innermost
  first (let, rec, lambda, with), exactly the ones the resolver uses;
- `static_attrs(an, node)`: the attributes of the set `node` evaluates to,
  when the source says so: a set literal, a variable bound to one, a
  selection from one, `a // b`, a `let ... in` / `with ...;` body, a call of
  a function whose body is one, `import ./file.nix` (followed into the file),
  and `builtins`. Returns `{name: Member}` or None when unknown;
- `binding_info(an, binding)`: the kind of a binding and where it is;
- `builtin_doc(name)`: the hover text of a builtin (its docstring).
"""
from __future__ import annotations

import inspect
import os
from dataclasses import dataclass

from ..resolve.globals import GLOBAL_NAMES
from ..syntax import ast as A
from ..syntax.symbols import BUILTIN_NAMES
from .analysis import LET, REC, Analysis
from .markdown import code

MAX_DEPTH = 24
WALK_BUDGET = 20000     # sets looked at in one question (`a // a // a ...` must not explode)


# -- scopes at an offset -----------------------------------------------------------------------

@dataclass(slots=True)
class Frame:
    kind: str              # "let", "rec", "lambda", "with"
    node: A.Node           # Let, Attrs, Lambda or With
    names: dict            # name -> binding (AttrDef / Formal / Lambda); empty for with


def _contains(span, offset: int, text: str | None = None) -> bool:
    """`offset` is inside `span`, or (with `text`) only whitespace after it: a
    cursor after `in ` / `= ` where recovery put an empty expression."""
    if span.start <= offset <= span.end:
        return True
    return text is not None and span.end < offset and offset - span.end <= 200 and \
        text[span.end:offset].isspace()


def scopes_at(an: Analysis, offset: int) -> list[Frame]:
    """Static scopes enclosing `offset`, innermost first."""
    frames: list[Frame] = []
    node = an.ast
    if node is None:
        return frames
    text = an.text
    guard = 0
    while node is not None and guard < 100000:
        guard += 1
        t = type(node)
        nxt = None
        if t is A.Let:
            frames.append(Frame("let", node, {k: d for k, d in node.attrs.attrs.items()}))
            nxt = child_at(node.attrs, offset, text) or (node.body if _contains(node.body.span, offset, text)
                                                          else None)
        elif t is A.Attrs:
            if node.rec and _contains(node.span, offset):
                frames.append(Frame("rec", node, dict(node.attrs)))
            nxt = child_at(node, offset, text)
        elif t is A.Lambda:
            names = {}
            if node.arg is not None:
                names[node.arg] = node
            for f in node.formals or ():
                names.setdefault(f.name, f)
            frames.append(Frame("lambda", node, names))
            nxt = pick([f.default for f in node.formals or () if f.default is not None] + [node.body], offset,
                        text)
        elif t is A.With:
            if _contains(node.body.span, offset, text) and offset > node.env.span.end:
                frames.append(Frame("with", node, {}))
                nxt = node.body
            else:
                nxt = node.env if _contains(node.env.span, offset) else None
        else:
            nxt = pick(A.children(node), offset, text)
        node = nxt
    frames.reverse()
    return frames


def pick(children, offset: int, text: str | None = None):
    """The child around `offset`: the smallest containing it, else one that
    ends just before it (only whitespace between)."""
    best = None
    for c in children:
        if c is not None and _contains(c.span, offset):
            if best is None or (c.span.end - c.span.start) <= (best.span.end - best.span.start):
                best = c
    if best is None and text is not None:
        for c in children:
            if c is not None and _contains(c.span, offset, text):
                best = c
    return best


def child_at(attrs: A.Attrs, offset: int, text: str | None = None):
    """The value (or inherit source) of `attrs` around `offset`; sets made by
    desugaring `a.b = ...` have only the span of `a`, so they are entered
    whenever one of their values contains the offset."""
    for near in ((None, text) if text is not None else (None,)):
        for src in attrs.inherit_from:
            if _contains(src.span, offset, near):
                return src
        for d in attrs.attrs.values():
            v = d.value
            if d.kind != A.PLAIN:
                continue
            if type(v) is A.Attrs and not v.rec and v.span == d.name_span:
                hit = child_at(v, offset, near)
                if hit is not None:
                    return hit
            elif _contains(v.span, offset, near):
                return v
        for dyn in attrs.dynamic:
            for c in (dyn.name, dyn.value):
                if _contains(c.span, offset, near):
                    return c
                if type(c) is A.Attrs and not c.rec:
                    hit = child_at(c, offset, near)
                    if hit is not None:
                        return hit
    return None


def child_toward(node, offset: int):
    """The child of `node` whose span holds `offset`, or None: one step down
    toward the innermost expression at `offset` (a `let`'s bindings, then
    its body; a set's attributes; any other node's children)."""
    t = type(node)
    if t is A.Attrs:
        return child_at(node, offset)
    if t is A.Let:
        return child_at(node.attrs, offset) or (node.body if _contains(node.body.span, offset) else None)
    return pick(A.children(node), offset)


def node_path(an: Analysis, offset: int) -> list:
    """The expressions whose spans hold `offset`, outermost first."""
    node = an.ast
    if node is None or not _contains(node.span, offset):
        return []
    out = [node]
    while True:
        nxt = child_toward(node, offset)
        if nxt is None or nxt is node:
            return out
        out.append(nxt)
        node = nxt


def innermost_node(an: Analysis, offset: int):
    """The smallest expression whose span contains `offset` (for context checks)."""
    path = node_path(an, offset)
    return path[-1] if path else None


# -- statically known attribute sets --------------------------------------------------------

@dataclass(slots=True)
class Member:
    name: str
    an: Analysis | None            # the analysis holding the definition
    attr: A.AttrDef | None         # its definition, None for builtins
    builtin: str | None = None     # for members of `builtins`


class Seen:
    """The walk of one question: what was visited (against cycles), how deep,
    and what the functions being followed were called with: `bound` maps
    id(Lambda) -> (analysis, argument expression)."""
    __slots__ = ("ids", "depth", "bound", "budget")

    def __init__(self):
        self.ids: set = set()       # (node, analysis) pairs being walked (a cycle ends there)
        self.depth = 0
        self.bound: dict = {}
        self.budget = WALK_BUDGET


def static_attrs(an: Analysis, node, seen: Seen | None = None) -> dict | None:
    """{name: Member} for the set `node` evaluates to, when the source shows it."""
    seen = seen or Seen()
    key = (id(node), id(an))
    if node is None or seen.depth > MAX_DEPTH or key in seen.ids or seen.budget <= 0:
        return None
    seen.ids.add(key)
    seen.depth += 1
    seen.budget -= 1
    try:
        return _static(an, node, seen)
    except RecursionError:
        return None
    finally:
        seen.depth -= 1
        seen.ids.discard(key)


def _static(an: Analysis, node, seen) -> dict | None:
    t = type(node)
    if t is A.Attrs:
        return {k: Member(k, an, d) for k, d in node.attrs.items()}
    if t is A.Var:
        if node.from_with:
            for w in an.var_withs.get(id(node), ()):
                env = static_attrs(an, w.env, seen)
                if env and node.name in env:
                    m = env[node.name]
                    return member_attrs(m, seen)
            return None
        b = node.binding
        if b is None:
            if node.name in ("builtins",) and node.level >= 0:
                return builtins_members()
            return None
        if type(b) is A.AttrDef:
            return member_attrs(Member(node.name, an, b), seen)
        if type(b) is A.Formal:
            return formal_attrs(an, b, seen)
        if type(b) is A.Lambda:
            return argument_attrs(an, b, seen)
        return None
    if t is A.Select:
        cur = static_attrs(an, node.expr, seen)
        for name in node.path:
            if cur is None or name.name is None or name.name not in cur:
                return static_attrs(an, node.default, seen) if node.default is not None else None
            cur = member_attrs(cur[name.name], seen)
        return cur
    if t is A.Let:
        return static_attrs(an, node.body, seen)
    if t is A.With:
        return static_attrs(an, node.body, seen)
    if t is A.Assert:
        return static_attrs(an, node.body, seen)
    if t is A.BinOp and node.op == "//":
        lhs = static_attrs(an, node.lhs, seen)
        rhs = static_attrs(an, node.rhs, seen)
        if lhs is None and rhs is None:
            return None
        out = dict(lhs or {})
        out.update(rhs or {})
        return out
    if t is A.Call:
        fn = node.fn
        if type(fn) is A.Var and fn.name == "import" and fn.binding is None and not fn.from_with and node.args:
            p_an, p_node = deref(an, node.args[0], seen)
            other = import_target(p_an, p_node)
            if other is None:
                return None
            val = static_attrs(other, other.ast, seen)
            if val is None and type(other.ast) is A.Lambda and len(node.args) > 1:
                return _apply(other, other.ast, an, node.args[1:], seen)
            return val
        from .callers import callee_name
        name = callee_name(fn)
        if name in FIXPOINTS and node.args and type(node.args[-1]) is A.Lambda:
            return static_attrs(an, node.args[-1].body, seen)     # `fix (self: { ... })`: the set
        if name == "mapAttrs" and len(node.args) == 2:
            return static_attrs(an, node.args[1], seen)   # the same names (defined where the set has them)
        f = static_lambda(an, fn, seen)
        if f is not None:
            return _apply(f[0], f[1], an, node.args, seen)
        return None
    return None


def _apply(lam_an: Analysis, lam, an: Analysis, args, seen) -> dict | None:
    """The attributes of `lam` (of `lam_an`) called with `args` (of `an`):
    each argument is bound for the walk of the body."""
    body = lam
    for arg in args:
        if type(body) is not A.Lambda:
            return None
        seen.bound[id(body)] = (an, arg)
        body = body.body
    return static_attrs(lam_an, body, seen)


def deref(an: Analysis, node, seen) -> tuple:
    """(analysis, expression) a variable stands for when the walk knows it: a
    function argument bound by a call being followed, or a plain `let`."""
    for _ in range(MAX_DEPTH):
        if type(node) is not A.Var:
            break
        b = node.binding
        if type(b) is A.Lambda and id(b) in seen.bound:
            an, node = seen.bound[id(b)]
        elif type(b) is A.AttrDef and b.kind == A.PLAIN:
            node = b.value
        else:
            break
    return an, node


# fixed-point combinators: `fix (self: { ... })`, `makeExtensible (self: ...)`,
# `makeScope newScope (self: ...)` call their function with its own result
FIXPOINTS = frozenset({"fix", "fix'", "makeExtensible", "makeExtensibleWithCustomName", "makeScope",
                       "makeScopeWithSplicing", "makeScopeWithSplicing'"})


def argument_attrs(an: Analysis, lam, seen) -> dict | None:
    """The attributes of the argument `x` of `x: ...` when known: bound by a
    call being followed; the result of the function itself when it is given
    to a fixed-point combinator (lib.fix, makeExtensible; nixpkgs lib's
    `makeExtensible'` is recognised by its `let self = f self ...` body);
    what the callers of the file give when `lam` is the file's function."""
    hit = seen.bound.get(id(lam))
    if hit is not None:
        return static_attrs(hit[0], hit[1], seen)
    from .callers import call_arguments, callee_name, parent_of
    call = parent_of(an, lam)
    if type(call) is A.Call and any(a is lam for a in call.args):
        if callee_name(call.fn) in FIXPOINTS or _is_fixpoint(an, call.fn, seen):
            return static_attrs(an, lam.body, seen)
        return None
    if lam is an.ast:
        for c_an, arg, _call in call_arguments(an):
            if not isinstance(arg, str):
                got = static_attrs(c_an, arg, seen)
                if got is not None:
                    return got
    return None


def _is_fixpoint(an: Analysis, fn, seen) -> bool:
    """`fn` is statically `f: let x = f x ...; in ...` (f called with a
    binding whose value holds the call)."""
    found = static_lambda(an, fn, seen)
    if found is None:
        return False
    f_an, lam = found
    if lam.arg is None:
        return False
    body = lam.body
    while type(body) is A.Let:
        for d in body.attrs.attrs.values():
            if d.kind != A.PLAIN:
                continue
            stack, budget = [d.value], 200
            while stack and budget:
                budget -= 1
                n = stack.pop()
                if type(n) is A.Call and type(n.fn) is A.Var and n.fn.binding is lam and any(
                        type(a) is A.Var and a.binding is d for a in n.args):
                    return True
                stack.extend(A.children(n))
        body = body.body
    return False


def lambda_of_formal(an: Analysis, f):
    for lam in an.lambdas:
        if lam.formals and any(x is f for x in lam.formals):
            return lam
    return None


def formal_values(an: Analysis, f, seen=None) -> list:
    """Members giving the formal `f` its value: from a call being followed,
    else from the callers of the file when `f` is a formal of the file's
    function (the `{ }` of `import ./x.nix { ... }`; for `callPackage`, the
    `{ }` beside the path, then the set the call is written in)."""
    seen = seen or Seen()
    lam = lambda_of_formal(an, f)
    if lam is None:
        return []
    hit = seen.bound.get(id(lam))
    given = [hit] if hit is not None else []
    if hit is None and lam is an.ast:
        from .callers import CALL_PACKAGE, call_arguments
        for c_an, arg, call in call_arguments(an):
            if arg == CALL_PACKAGE:
                rest = [a for a in call.args if type(a) is A.Attrs]
                given.extend((c_an, a) for a in rest)
                holder = _set_holding(c_an, call)
                if holder is not None:
                    given.append((c_an, holder))
            else:
                given.append((c_an, arg))
    out = []
    for g_an, node in given:
        attrs = static_attrs(g_an, node, seen)
        if attrs and f.name in attrs:
            out.append(attrs[f.name])
    return out


def _set_holding(an: Analysis, call):
    """The set literal (or `let`) whose attribute value is `call`, for
    `callPackage`'s package set written around it."""
    path = node_path(an, call.span.start)
    for i in range(len(path) - 1, -1, -1):
        n = path[i]
        if type(n) is A.Attrs:
            return n
        if type(n) is A.Let:
            return n.attrs
    return None


def formal_attrs(an: Analysis, f, seen) -> dict | None:
    """The attributes of the formal `f`: what callers give, its default, or
    for `lib`, the nixpkgs lib found for the workspace (`default_lib`)."""
    for m in formal_values(an, f, seen):
        got = member_attrs(m, seen)
        if got is not None:
            return got
    if f.default is not None:
        got = static_attrs(an, f.default, seen)
        if got is not None:
            return got
    if f.name == "lib":
        return default_lib(an)
    return None


def default_lib(an: Analysis) -> dict | None:
    """nixpkgs' lib for a `lib` nobody in the workspace gives: the lib of the
    nixpkgs found for the workspace, else a `lib/default.nix` of a workspace folder."""
    ws = an.workspace
    if ws is None:
        return None
    for f in lib_files(ws):
        if an.path and os.path.normpath(an.path) == f:
            continue
        lib_an = ws.load(f)
        if lib_an is not None and lib_an.ast is not None:
            got = static_attrs(lib_an, lib_body(lib_an.ast))
            if got:
                return got
    return None


def lib_body(node):
    """The set of a lib file: `{ }: ...` (a lib imported as `import ./lib { }`) is looked into."""
    while type(node) is A.Lambda and node.arg is None and all(g.default is not None for g in node.formals or ()):
        node = node.body
    return node


def lib_files(ws) -> list[str]:
    """The lib/default.nix files a `lib` nobody gives may be, best first: a
    workspace folder that is a nixpkgs checkout, the nixpkgs found, then the
    workspace folders' own lib."""
    from .nixpkgs import is_nixpkgs
    out = [os.path.join(root, "lib", "default.nix") for root in ws.roots
           if is_nixpkgs(root) and os.path.isfile(os.path.join(root, "default.nix"))]
    if ws.nixpkgs:
        out.append(os.path.join(ws.nixpkgs, "lib", "default.nix"))
    for root in ws.roots:
        out.append(os.path.join(root, "lib", "default.nix"))
        if os.path.basename(root) == "lib":
            out.append(os.path.join(root, "default.nix"))
    return list(dict.fromkeys(os.path.normpath(p) for p in out if os.path.isfile(p)))


def static_lambda(an: Analysis, node, seen):
    """(analysis, Lambda) when `node` is statically a function written in the source."""
    for _ in range(MAX_DEPTH):
        t = type(node)
        if t is A.Lambda:
            return an, node
        if t is A.Var and type(node.binding) is A.AttrDef and node.binding.kind == A.PLAIN:
            node = node.binding.value
            continue
        if t is A.Var and type(node.binding) is A.Lambda and id(node.binding) in seen.bound:
            an, node = seen.bound[id(node.binding)]
            continue
        if t is A.Call and len(node.args) == 1 and type(node.fn) is A.Var and node.fn.name == "import" \
                and node.fn.binding is None and not node.fn.from_with:
            p_an, p_node = deref(an, node.args[0], seen)         # `import ./f.nix` of a file that is a function
            other = import_target(p_an, p_node)
            if other is None or other.ast is None:
                return None
            an, node = other, other.ast
            continue
        if t is A.Var and type(node.binding) is A.AttrDef and node.binding.kind == A.INHERITED_FROM:
            m = resolve_member(Member(node.name, an, node.binding), seen)
            if m.attr is None or m.attr.kind != A.PLAIN:
                return None
            an, node = m.an, m.attr.value
            continue
        if t is A.Select:
            cur = static_attrs(an, node.expr, seen)
            m = None
            for name in node.path:
                if cur is None or name.name not in cur:
                    return None
                m = cur[name.name]
                cur = member_attrs(m, seen)
            if m is None or m.attr is None or m.attr.kind != A.PLAIN:
                return None
            an, node = m.an, m.attr.value
            continue
        return None
    return None


def member_attrs(m: Member, seen=None) -> dict | None:
    """The attributes of a member's value, when statically known."""
    seen = seen or Seen()
    if m.builtin is not None:
        return builtins_members() if m.builtin == "builtins" else None
    d = m.attr
    if d is None:
        return None
    if d.kind == A.INHERITED_FROM:
        owner = m.an.owner.get(id(d))
        if owner is None:
            return None
        src = owner.container.inherit_from[d.value.expr.index]
        outer = static_attrs(m.an, src, seen)
        if outer and m.name in outer:
            return member_attrs(outer[m.name], seen)
        return None
    return static_attrs(m.an, d.value, seen)


def resolve_member(m: Member, seen=None) -> Member:
    """Follow `inherit (src) name;` to the definition in `src` when it is known."""
    for _ in range(MAX_DEPTH):
        d = m.attr
        if d is not None and d.kind == A.INHERITED and type(d.value) is A.Var:
            b = d.value.binding         # `inherit x;`: the `x` of the enclosing scope
            if type(b) is not A.AttrDef:
                return m
            m = Member(m.name, m.an, b)
            continue
        if d is None or d.kind != A.INHERITED_FROM:
            return m
        owner = m.an.owner.get(id(d))
        if owner is None:
            return m
        src = owner.container.inherit_from[d.value.expr.index]
        outer = static_attrs(m.an, src, seen)
        if not outer or m.name not in outer:
            return m
        m = outer[m.name]
    return m


def import_target(an: Analysis, node) -> Analysis | None:
    """The analysis of the file a path literal names (for `import ./x.nix`)."""
    path = path_target(an, node)
    if path is None or an.workspace is None:
        return None
    return an.workspace.load(path)


def path_target(an: Analysis, node) -> str | None:
    """The file a path literal points to (a folder means its default.nix)."""
    if type(node) is not A.Path:
        return None
    p = node.value
    if not os.path.isabs(p):
        p = os.path.join(an.base_dir, p)
    p = os.path.normpath(p)
    if os.path.isdir(p) and os.path.isfile(os.path.join(p, "default.nix")):
        return os.path.join(p, "default.nix")
    return p


_builtins_cache: dict | None = None


def builtins_members() -> dict:
    global _builtins_cache
    if _builtins_cache is None:
        names = set(BUILTIN_NAMES) | set(_registry())
        _builtins_cache = {n: Member(n, None, None, n) for n in sorted(names)}
    return _builtins_cache


# -- what a name is --------------------------------------------------------------------------

@dataclass(slots=True)
class BindingInfo:
    kind: str                  # "let binding", "formal", "function argument", "attribute", "rec attribute"
    name: str
    span: object               # Span of the name at its definition
    node: object               # the binding
    path: tuple = ()


def binding_info(an: Analysis, b) -> BindingInfo | None:
    t = type(b)
    if t is A.Formal:
        return BindingInfo("formal", b.name, b.span, b)
    if t is A.Lambda:
        return BindingInfo("function argument", b.arg or "", b.arg_span, b)
    if t is A.AttrDef:
        owner = an.owner.get(id(b))
        name = owner.path[-1] if owner else ""
        span = b.name_span or b.span
        if owner is None:
            return BindingInfo("attribute", name, span, b)
        kind = {LET: "let binding", REC: "rec attribute"}.get(owner.where, "attribute")
        if b.kind == A.INHERITED:
            kind += " (inherited)"
        elif b.kind == A.INHERITED_FROM:
            src = owner.container.inherit_from[b.value.expr.index].span
            text = an.text[src.start:src.end]
            kind += f" (inherited from {code(text)})" if len(text) <= 40 and "\n" not in text else \
                " (inherited from a set)"
        return BindingInfo(kind, name, span, b, owner.path)
    return None


# -- builtins -------------------------------------------------------------------------------

_EXTRA_DOCS = {
    "builtins": "The set of all builtin functions and constants (`builtins.map`, `builtins.toJSON`, ...).",
    "derivation": "Describe a build: `derivation { name; system; builder; ... }` returns a set with "
                  "`drvPath` and `outPath` (a store path) and the given attributes. The building itself "
                  "is done by Nix, not during evaluation.",
    "nixPath": "The search path of `<...>` lookups (from `-I` and `NIX_PATH`), as a list of "
               "`{ prefix; path; }` sets.",
    "fetchClosure": "Fetch a store path closure from a binary cache (experimental; not in pynix).",
    "fetchMercurial": "Fetch a Mercurial repository (not in pynix).",
    "getFlake": "Evaluate a flake given by a locked flake reference and return its outputs.",
    "outputOf": "The output path of a derivation output (dynamic derivations; experimental).",
}

_EXTRA_ARITY = {"derivation": 1, "fetchClosure": 1, "fetchMercurial": 1, "getFlake": 1, "outputOf": 2}

_registry_cache: dict | None = None


def _registry() -> dict:
    global _registry_cache
    if _registry_cache is None:
        try:
            from ..builtins import load_all
            _registry_cache = dict(load_all(complete=True))
        except Exception:   # docs are a nicety: never let them break a request
            _registry_cache = {}
    return _registry_cache


def warm_up() -> None:
    """Load the builtins' documentation now (the first hover would pay for it)."""
    _registry()
    builtins_members()


@dataclass(slots=True)
class BuiltinDoc:
    name: str
    arity: int | None          # None for constants
    doc: str
    value: str | None = None   # short text of a constant


def builtin_doc(name: str) -> BuiltinDoc | None:
    """Documentation of a builtin, by `builtins.NAME`, `__NAME` or a top-level name."""
    key = name[2:] if name.startswith("__") and name[2:] in BUILTIN_NAMES else name
    if key not in BUILTIN_NAMES and name not in GLOBAL_NAMES:
        return None
    reg = _registry()
    v = reg.get(key)
    if v is not None and hasattr(v, "arity") and hasattr(v, "fn"):      # a PrimOp
        return BuiltinDoc(key, v.arity, inspect.cleandoc(getattr(v, "doc", "") or ""))
    if key in _CONSTANT_DOCS or key in reg:
        return BuiltinDoc(key, None, _CONSTANT_DOCS.get(key, "A builtin constant."),
                          "null" if key == "null" else _constant_text(v))
    return BuiltinDoc(key, _EXTRA_ARITY.get(key), _EXTRA_DOCS.get(key, "A builtin."))


_CONSTANT_DOCS = {
    "true": "The Boolean true.", "false": "The Boolean false.", "null": "The null value.",
    "currentSystem": "The system type Nix runs on, e.g. `\"x86_64-linux\"` (not available in pure evaluation).",
    "currentTime": "The time evaluation started, in seconds since 1970 (not available in pure evaluation).",
    "langVersion": "The version of the Nix language (an integer).",
    "nixVersion": "The version of Nix, as a string.",
    "storeDir": "The store directory, usually `\"/nix/store\"`.",
}


def _constant_text(v) -> str | None:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v)
    if isinstance(v, str):
        return f'"{v}"'
    return None
