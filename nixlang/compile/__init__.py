"""Compiling the resolved AST into Python closures.

Each AST node is turned, once, into a Python function `code(env) -> value`
that computes the node's value in weak head normal form. Evaluation then
never walks the tree again: it calls these closures. Variables were resolved
statically (nixlang.resolve) to (level, index), so a variable is a fixed
number of `env.up` steps and one list index; only names provided by `with`
are looked up by string at run time, in the `with` scopes that enclose them,
innermost first.

Laziness: `lazy(node)` gives a function that returns what to store without
evaluating: a constant or lambda directly, an existing variable's thunk (so
it is shared, never copied), or a new `Thunk` for anything else.

Environments mirror the resolver's scopes one to one: the base environment
of builtins, then one frame per `let`, `rec { }`, lambda and `with`. A frame
is a plain list `[up, slot0, slot1, ...]` (`runtime.values.Env`): cheaper to
build and to index than an object, and frames are built on every call.

Speed: the closures are specialised for common shapes (a variable at level
0 or 1, a call with one argument, `n - 1`, `a + b`, `"${x}"`, `if`), and an
operand whose value is needed at once is evaluated directly (`strict`)
instead of through a thunk nothing else can see. Whenever such a fast path
meets anything unusual (an error, an unexpected type) it hands the values it
already has to the generic code, in the same order, so the result, the
error and its trace frames are exactly those of the generic code (see
`_raising`).
"""
from __future__ import annotations

from .. import errors as E
from ..source import Source, Span
from ..syntax import ast as A
from ..syntax.printer import show
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.printer import print_value_short
from ..runtime.values import (UNSET, Attrs, Closure, CtxStr, Env, Path, PrimOp, PrimOpApp, Thunk,
                              force, show_type)

INT_MIN, INT_MAX = ops.INT_MIN, ops.INT_MAX
_DERIVATION_INTERNAL = "«nix-internal»/derivation-internal.nix"


class LambdaCode:
    """A compiled lambda: what `Closure.lam` points to."""
    __slots__ = ("node", "name", "arg", "formals", "ellipsis", "body", "nslots", "source", "ev", "inner")

    def __init__(self, node, arg, formals, ellipsis, body, nslots, source, ev):
        self.node = node
        self.inner = None           # the LambdaCode of the body when it is a lambda itself (`a: b: ...`)
        self.name = None
        self.arg = arg              # slot 0 holds the whole argument when set
        self.formals = formals      # list of (name, slot, lazy default code or None) or None
        self.ellipsis = ellipsis
        self.body = body
        self.nslots = nslots
        self.source = source
        self.ev = ev


def call_function(ev, f, arg, source: Source | None = None, span: Span | None = None):
    """Apply the (forced) function value `f` to one argument (value or thunk)."""
    t = type(f)
    if t is Closure:
        lam = f.lam
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
            if lam.formals is None:
                env = [f.env, arg]
            else:
                try:
                    env = _bind_formals(lam, f.env, arg, source, span)
                except E.EvalError as e:
                    if span is not None:
                        e.add_frame("from call site", source, span)
                    raise
            try:
                return lam.body(env)
            except E.EvalError as e:
                e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    if t is PrimOp:
        if f.arity == 1:
            return _call_primop(ev, f, (arg,), source, span)
        return PrimOpApp(f, (arg,))
    if t is PrimOpApp:
        args = f.args + (arg,)
        if len(args) == f.primop.arity:
            return _call_primop(ev, f.primop, args, source, span)
        return PrimOpApp(f.primop, args)
    if t is Attrs and "__functor" in f.d:
        functor = force(f.d["__functor"])
        return call_function(ev, force(call_function(ev, functor, f, source, span)), arg, source, span)
    raise E.TypeError_(f"attempt to call something which is not a function but {show_type(f)}: "
                       f"{print_value_short(f)}", source, span)


def call2(ev, f, a, b, source: Source | None = None, span: Span | None = None):
    """`f a b`: apply the (forced) function `f` to two arguments in turn, as
    `force(call_function(ev, force(call_function(ev, f, a, ...)), b, ...))`
    does, with lambdas `x: ...` inline. For `a: b: body` the closure of the
    inner lambda is not even built: the outer call only builds it (it cannot
    fail, and both calls check the same call depth). Gives a forced value."""
    if type(f) is Closure:
        lam = f.lam
        inner = lam.inner
        if inner is not None and lam.formals is None and inner.formals is None:
            ev.depth += 1
            try:
                if ev.depth > ev.max_call_depth:
                    raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                try:
                    return inner.body([[f.env, a], b])
                except E.EvalError as e:
                    e.add_frame(f"while calling {_calling(inner)}", inner.source, inner.node.span)
                    if span is not None:
                        e.add_frame("from call site", source, span)
                    raise
            finally:
                ev.depth -= 1
        if lam.formals is None:
            ev.depth += 1
            try:
                if ev.depth > ev.max_call_depth:
                    raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                try:
                    g = lam.body([f.env, a])
                except E.EvalError as e:
                    e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                    if span is not None:
                        e.add_frame("from call site", source, span)
                    raise
            finally:
                ev.depth -= 1
        else:
            g = force(call_function(ev, f, a, source, span))
    else:
        g = force(call_function(ev, f, a, source, span))
    if type(g) is Closure and g.lam.formals is None:
        lam = g.lam
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
            try:
                return lam.body([g.env, b])
            except E.EvalError as e:
                e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    return force(call_function(ev, g, b, source, span))


def caller(ev, f, source: Source | None = None, span: Span | None = None):
    """`x -> force(call_function(ev, f, x, source, span))` for one function
    value `f` called many times (genList, map): for a lambda `x: ...`,
    call_function's work inline."""
    if type(f) is not Closure or f.lam.formals is not None:
        return lambda x: force(call_function(ev, f, x, source, span))
    lam, up = f.lam, f.env

    def call_lambda(x):
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
            try:
                return lam.body([up, x])
            except E.EvalError as e:
                e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    return call_lambda


def _call_primop(ev, p, args, source, span):
    # a builtin call counts towards max-call-depth like any call (callFunction)
    ev.depth += 1
    try:
        if ev.depth > ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
        return p.fn(ev, *args)
    except E.EvalError as e:
        if getattr(p.fn, "add_trace", True):
            e.add_frame(f"while calling the '{p.name}' builtin", source, span)
        raise
    except RecursionError:
        raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span) from None
    finally:
        ev.depth -= 1


def _calling(lam) -> str:
    return f"'{lam.name}'" if lam.name else "anonymous lambda"


def _fname(lam) -> str:
    return f"function '{lam.name or 'anonymous lambda'}'"


def _suggest(name: str, candidates: list[str]) -> list[str]:
    """Nix's Suggestions: names within a small edit distance, closest first."""
    limit = max(1, len(name) // 2) if len(name) > 2 else 2
    scored = sorted((E.edit_distance(name, c, limit), c) for c in candidates)
    return [c for d, c in scored if d <= limit]


def _bind_formals(lam: LambdaCode, up, arg, source, span):
    a = force(arg)
    if type(a) is not Attrs:
        raise type_error("a set", a, lam.source, lam.node.span)
    env = [UNSET] * (lam.nslots + 1)
    env[0] = up
    if lam.arg is not None:
        env[1] = arg
    d = a.d
    used = 0
    for name, slot, default in lam.formals:
        v = d.get(name)
        if v is None and name not in d:
            if default is None:
                raise E.CallError(f"{_fname(lam)} called without required argument '{name}'",
                                  lam.source, lam.node.span)
            env[slot + 1] = default(env)
        else:
            env[slot + 1] = v
            used += 1
    if not lam.ellipsis and used != len(d):
        names = {n for n, _, _ in lam.formals}
        for k in sorted(d):
            if k not in names:
                err = E.CallError(f"{_fname(lam)} called with unexpected argument '{k}'",
                                  lam.source, lam.node.span)
                err.suggestions = _suggest(k, sorted(names))
                raise err
    return env


def node_pos(n: A.Node) -> Span:
    """Where Nix places an expression in traces: operators at the operator."""
    op = getattr(n, "op_span", None)
    if op is not None:
        return op
    return n.span


def _framed(code, message: str, source, span):
    """`code`, with `message` added as a trace frame to any error it raises."""
    def framed(env):
        try:
            return code(env)
        except E.EvalError as e:
            raise e.add_frame(message, source, span)
    return framed


class Compiler:
    def __init__(self, ev, source: Source):
        self.ev = ev
        self.source = source
        self._lambda_names: dict[int, str] = {}   # Nix names a lambda after the attribute it defines
        self._compiled: dict[int, object] = {}    # id(node) -> code: each node is compiled once
        self._lambda_codes: dict[int, LambdaCode] = {}

    # -- laziness ------------------------------------------------------------------
    def lazy(self, n: A.Node):
        t = type(n)
        if t in (A.Int, A.Float, A.Str, A.Path):
            v = self.constant(n)
            return lambda env: v
        if t is A.Var and not n.from_with:
            # share the variable's own thunk; a slot of the frame being built
            # (`let x = y; y = ...;`) is not filled yet: read it later
            code = self.compile(n)
            span = n.span
            level, i = n.level, n.index + 1
            if level == 0:
                def var_lazy0(env):
                    v = env[i]
                    return v if v is not UNSET else Thunk(code, env, span)
                return var_lazy0
            if level == 1:
                def var_lazy1(env):
                    v = env[0][i]
                    return v if v is not UNSET else Thunk(code, env, span)
                return var_lazy1
            raw = self.var_raw(n)

            def var_lazy(env):
                v = raw(env)
                return v if v is not UNSET else Thunk(code, env, span)
            return var_lazy
        code = self.compile(n)
        span = n.span
        return lambda env: Thunk(code, env, span)

    def strict(self, n: A.Node):
        """Code giving `force(lazy(n)(env))`, the value of an operand needed at
        once, without the thunk `lazy` would build when nothing else can see
        that thunk. A variable is forced as `force` does it (its own thunk,
        no position added to an infinite recursion, as through `lazy`)."""
        if type(n) is not A.Var or n.from_with:
            return self.compile(n)
        code = self.compile(n)
        level, i = n.level, n.index + 1
        if level == 0:
            def strict_var0(env):
                v = env[i]
                if type(v) is Thunk:
                    return v.value if v.code is None else v.force()
                return v if v is not UNSET else code(env)
            return strict_var0
        if level == 1:
            def strict_var1(env):
                v = env[0][i]
                if type(v) is Thunk:
                    return v.value if v.code is None else v.force()
                return v if v is not UNSET else code(env)
            return strict_var1
        raw = self.var_raw(n)

        def strict_var(env):
            v = raw(env)
            if type(v) is Thunk:
                return v.value if v.code is None else v.force()
            return v if v is not UNSET else code(env)
        return strict_var

    def constant(self, n):
        t = type(n)
        if t is A.Path:
            return Path(n.value)
        return n.value

    # -- the compiler proper -----------------------------------------------------------
    def compile(self, n: A.Node):
        """The code of node `n`; compiled once, however many times it is asked
        for (fast paths ask for an operand's code more than once)."""
        code = self._compiled.get(id(n))
        if code is None:
            code = self._compiled[id(n)] = getattr(self, "c_" + type(n).__name__)(n)
        return code

    def c_Int(self, n):
        v = n.value
        return lambda env: v

    c_Float = c_Str = c_Int

    def c_Path(self, n):
        v = Path(n.value)
        return lambda env: v

    def var_raw(self, n: A.Var):
        """The stored value of a statically bound variable (maybe a thunk).
        A slot of the base environment (builtins; `up` is None) never
        changes, so once found it is remembered."""
        level, i = n.level, n.index + 1
        if level == 0:
            return lambda env: env[i]
        if level == 1:
            return lambda env: env[0][i]
        memo = []

        def get(env):
            if memo:
                return memo[0]
            for _ in range(level):
                env = env[0]
            v = env[i]
            if env[0] is None and v is not UNSET:
                memo.append(v)
            return v
        get.memo = memo
        return get

    def c_Var(self, n: A.Var):
        if not n.from_with:
            source, span = self.source, n.span
            level, i = n.level, n.index + 1
            if level == 0:
                def var0(env):
                    v = env[i]
                    if type(v) is Thunk:
                        if v.code is None:
                            return v.value
                        try:
                            return v.force()
                        except E.InfiniteRecursionError as e:
                            e.at(source, span)
                            raise
                    return v
                return var0
            if level == 1:
                def var1(env):
                    v = env[0][i]
                    if type(v) is Thunk:
                        if v.code is None:
                            return v.value
                        try:
                            return v.force()
                        except E.InfiniteRecursionError as e:
                            e.at(source, span)
                            raise
                    return v
                return var1
            raw = self.var_raw(n)
            memo = raw.memo

            def var(env):
                v = memo[0] if memo else raw(env)
                if type(v) is Thunk:
                    if v.code is None:
                        return v.value
                    try:
                        return v.force()
                    except E.InfiniteRecursionError as e:
                        e.at(source, span)
                        raise
                return v
            return var
        levels = n.with_levels
        name = n.name
        source, span = self.source, n.span

        def with_var(env):
            depth = 0
            e = env
            for lv in levels:
                while depth < lv:
                    e = e[0]
                    depth += 1
                attrs = force(e[1])
                if type(attrs) is not Attrs:
                    raise type_error("a set", attrs, source, span)
                if name in attrs.d:
                    return force(attrs.d[name])
            raise E.UndefinedVariable(f"undefined variable '{name}'", source, span)
        return with_var

    def c_CurPos(self, n):
        line, col = self.source.line_col(n.span.start)
        origin = self.source.origin
        def curpos(env):
            return Attrs({"file": origin, "line": line, "column": col})
        return curpos

    def c_Missing(self, n):
        source, span = self.source, n.span
        def missing(env):
            raise E.EvalError("syntax error: missing expression", source, span)
        return missing

    # -- attribute access ---------------------------------------------------------------------
    def _names(self, path: list[A.AttrName]):
        """Per attrpath element: a static name, or code computing a dynamic one
        (with the position of its expression, for errors)."""
        out = []
        for an in path:
            if an.name is not None:
                out.append((an.name, None))
            else:
                code = self.compile(an.expr)
                out.append((None, (code, node_pos(an.expr))))
        return out

    def _name_value(self, code, env, source, span) -> str:
        v = code(env)
        if type(v) not in (str, CtxStr):
            raise type_error("a string", v, source, span).add_frame(
                "while evaluating an attribute name", source, span)
        if type(v) is CtxStr and v.context:
            raise E.EvalError(f"the string '{v}' is not allowed to refer to a store path (such as "
                              f"'{sorted(v.context)[0]}')", source, span)
        return str(v)

    def c_Select(self, n: A.Select):
        if type(n.expr) is A.InheritFrom:
            raise AssertionError("inherit-from selects are built with their attrset")
        base = self.compile(n.expr)
        names = self._names(n.path)
        default = self.compile(n.default) if n.default is not None else None
        source, span = self.source, n.span
        name_value = self._name_value
        path_text = _attr_path_text(n.path)

        if default is not None:
            def select_or(env):
                try:
                    v = base(env)
                except E.EvalError as e:
                    raise e.add_frame("while selecting an attribute", source, span)
                for name, code in names:
                    if code is not None:
                        name = name_value(code[0], env, source, code[1])
                    if type(v) is not Attrs:
                        return default(env)
                    w = v.d.get(name)
                    if w is None and name not in v.d:
                        return default(env)
                    v = force(w)
                return v
            return select_or

        def select(env):
            # ExprSelect::eval: the base is evaluated "while selecting an
            # attribute"; an error while walking the path or forcing the
            # value found is "while evaluating the attribute 'a.b'" here,
            # and "from the definition of 'a'" at the last attribute found.
            try:
                v = base(env)
            except E.EvalError as e:
                raise e.add_frame("while selecting an attribute", source, span)
            found = None
            try:
                first = True
                for name, code in names:
                    if code is not None:
                        name = name_value(code[0], env, source, code[1])
                    if type(v) is not Attrs:
                        err = type_error("a set", v, source, span)
                        raise err if first else err.add_frame("while selecting an attribute", source, span)
                    w = v.d.get(name)
                    if w is None and name not in v.d:
                        raise _missing_attr(name, v, None, None)
                    found = (v, name)
                    first = False
                    v = force(w)
                return v
            except E.EvalError as e:
                if found is not None:
                    where = attr_position(found[0].pos, found[1])
                    if where is not None:
                        if where[0].origin == _DERIVATION_INTERNAL:
                            raise   # Nix keeps its own wrapper out of traces
                        e.add_frame(f"from the definition of '{found[1]}'", *where)
                raise e.add_frame(f"while evaluating the attribute '{path_text}'", source, span)
        return select

    def c_HasAttr(self, n: A.HasAttr):
        base = _framed(self.compile(n.expr), "in the argument of '?'", self.source, node_pos(n.expr))
        names = self._names(n.path)
        source, span = self.source, n.span
        name_value = self._name_value

        def has(env):
            v = base(env)
            for i, (name, code) in enumerate(names):
                if code is not None:
                    name = name_value(code[0], env, source, code[1])
                if type(v) is not Attrs or name not in v.d:
                    return False
                if i + 1 < len(names):
                    v = force(v.d[name])
            return True
        return has

    # -- attrsets, let, with ---------------------------------------------------------------------
    def _attr_builders(self, attrs: A.Attrs, inner_level_shift: bool):
        """(name, make(env_values, env_outer, srcs) -> value or thunk) for each attribute."""
        out = []
        for name, d in attrs.attrs.items():
            # ExprLambda::setName: a lambda bound to an attribute takes its
            # name, and so do the lambdas of its curried body (`f = a: b: ...`)
            lam = d.value
            while type(lam) is A.Lambda:
                self._lambda_names[id(lam)] = name
                lam = lam.body
            if d.kind == A.INHERITED_FROM:
                idx = d.value.expr.index
                out.append((name, d, ("from", idx, name)))
            elif d.kind == A.INHERITED:
                out.append((name, d, ("outer", self.lazy(d.value))))
            elif attrs.rec and "__overrides" in attrs.attrs and type(d.value) is A.Var:
                # `__overrides` replaces slots after the attributes are made, so
                # an attribute that is just another one's name must look it up
                # when forced instead of sharing that attribute's thunk now
                code, span = self.compile(d.value), d.value.span
                out.append((name, d, ("inner", lambda env, code=code, span=span: Thunk(code, env, span))))
            else:
                out.append((name, d, ("inner", self.lazy(d.value))))
        return out

    def c_Attrs(self, n: A.Attrs):
        source = self.source
        srcs = [self.lazy(s) for s in n.inherit_from]
        items = self._attr_builders(n, n.rec)
        dyn = [(self.compile(d.name), self.lazy(d.value), d.span) for d in n.dynamic]
        name_value = self._name_value
        rec = n.rec
        slot_of = {name: i + 1 for i, name in enumerate(n.slots)} if rec else None
        nslots = len(n.slots) if rec else 0
        poses = {name: d.span for name, d in n.attrs.items()}
        if not rec and not srcs and not dyn and all(how[0] in ("inner", "outer") for _, _, how in items):
            # the common `{ a = ...; inherit b; }`: values made in the enclosing
            # frame; positions are shared by every set this code builds
            makers = [(name, how[1]) for name, _, how in items]
            shared_pos = _Positions(source, poses)

            def build_plain(env):
                return Attrs({name: mk(env) for name, mk in makers}, shared_pos)
            return build_plain

        def build(env):
            if rec:
                inner = vals = [UNSET] * (nslots + 1)
                vals[0] = env
            else:
                inner = env
            src_vals = [mk(inner) for mk in srcs]
            d = {}
            for name, adef, how in items:
                kind = how[0]
                if kind == "inner":
                    v = how[1](inner)
                elif kind == "outer":
                    v = how[1](env)
                else:
                    v = _lazy_select(src_vals[how[1]], how[2], source, adef.span)
                d[name] = v
                if rec:
                    vals[slot_of[name]] = v
            if rec and "__overrides" in d:
                over = force(d["__overrides"])
                if type(over) is not Attrs:
                    raise type_error("a set", over).add_frame("while evaluating the `__overrides` attribute")
                for k, v in over.d.items():
                    d[k] = v
                    if k in slot_of:
                        vals[slot_of[k]] = v
            pos = dict(poses)
            for name_code, value_code, span in dyn:
                nv = force(name_code(inner))
                if nv is None:
                    continue
                if type(nv) not in (str, CtxStr):
                    raise type_error("a string", nv, source, span)
                key = str(nv)
                if key in d:
                    raise E.EvalError(f"dynamic attribute '{key}' already defined at "
                                      f"{source.location(pos[key].start)}", source, span)
                d[key] = value_code(inner)
                pos[key] = span
            return Attrs(d, _Positions(source, pos))
        return build

    def c_Let(self, n: A.Let):
        attrs = n.attrs
        srcs = [self.lazy(s) for s in attrs.inherit_from]
        items = self._attr_builders(attrs, True)
        slot_of = {name: i + 1 for i, name in enumerate(attrs.slots)}
        nslots = len(attrs.slots)
        body = self.compile(n.body)
        source = self.source
        plan = [(slot_of[name], adef, how) for name, adef, how in items]
        if not srcs and all(how[0] == "inner" for _, _, how in plan):
            # only `name = value;` bindings: fill the frame in order
            simple = [(slot, how[1]) for slot, _, how in plan]

            def let_simple(env):
                inner = [UNSET] * (nslots + 1)
                inner[0] = env
                for slot, mk in simple:
                    inner[slot] = mk(inner)
                return body(inner)
            return let_simple

        def let(env):
            inner = vals = [UNSET] * (nslots + 1)
            vals[0] = env
            src_vals = [mk(inner) for mk in srcs]
            for slot, adef, how in plan:
                kind = how[0]
                if kind == "inner":
                    vals[slot] = how[1](inner)
                elif kind == "outer":
                    vals[slot] = how[1](env)
                else:
                    vals[slot] = _lazy_select(src_vals[how[1]], how[2], source, adef.span)
            return body(inner)
        return let

    def c_With(self, n: A.With):
        attrs = self.lazy(n.env)
        body = self.compile(n.body)
        return lambda env: body([env, attrs(env)])

    def c_List(self, n: A.List):
        elems = [self.lazy(e) for e in n.elems]
        if not elems:
            return lambda env: []
        if len(elems) == 1:
            e0, = elems
            return lambda env: [e0(env)]
        if len(elems) == 2:
            e0, e1 = elems
            return lambda env: [e0(env), e1(env)]
        return lambda env: [e(env) for e in elems]

    # -- functions -------------------------------------------------------------------------
    def c_Lambda(self, n: A.Lambda):
        slot = 0
        formals = None
        if n.arg is not None:
            slot = 1
        if n.formals is not None:
            formals = []
            for f in n.formals:
                formals.append([f.name, slot, None])
                slot += 1
        lam = LambdaCode(n, n.arg, formals, n.ellipsis, None, slot, self.source, self.ev)
        self._lambda_codes[id(n)] = lam
        lam.name = self._lambda_names.get(id(n))
        if formals is not None:
            for entry, f in zip(formals, n.formals):
                if f.default is not None:
                    # lazy, as Nix's maybeThunk: a default that is a variable
                    # already bound shares that variable's thunk
                    entry[2] = self.lazy(f.default)
            lam.formals = [tuple(e) for e in formals]
        lam.body = self.compile(n.body)
        if type(n.body) is A.Lambda:
            lam.inner = self._lambda_codes.get(id(n.body))
        return lambda env: Closure(lam, env)

    def c_Call(self, n: A.Call):
        fn_node = n.fn
        if (type(fn_node) is A.Var and not fn_node.from_with and len(n.args) == 2
                and fn_node.name in _ARITH_PRIMOPS):
            fast = self._arith_call(n)
            if fast is not None:
                return fast
        return self._call(n)

    def _call(self, n: A.Call):
        fn = self.compile(n.fn)
        args = [self.lazy(a) for a in n.args]
        ev = self.ev
        source, span = self.source, node_pos(n)
        if len(args) == 1 and _makes_thunk(n.args[0]):
            # `f (n - 1)`: the argument's thunk made here
            acode, aspan = self.compile(n.args[0]), n.args[0].span

            def call1_thunk(env):
                f = fn(env)
                arg = Thunk(acode, env, aspan)
                if type(f) is Closure:
                    lam = f.lam
                    if lam.formals is None:
                        ev.depth += 1
                        try:
                            if ev.depth > ev.max_call_depth:
                                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                            try:
                                return lam.body([f.env, arg])
                            except E.EvalError as e:
                                e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                                e.add_frame("from call site", source, span)
                                raise
                        finally:
                            ev.depth -= 1
                return force(call_function(ev, f, arg, source, span))
            return call1_thunk
        if len(args) == 1:
            a0, = args

            def call1(env):
                # call_function, with its most common case (a lambda `x: ...`) inline
                f = fn(env)
                arg = a0(env)
                if type(f) is Closure:
                    lam = f.lam
                    if lam.formals is None:
                        ev.depth += 1
                        try:
                            if ev.depth > ev.max_call_depth:
                                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                            try:
                                return lam.body([f.env, arg])
                            except E.EvalError as e:
                                e.add_frame(f"while calling {_calling(lam)}", lam.source, lam.node.span)
                                e.add_frame("from call site", source, span)
                                raise
                        finally:
                            ev.depth -= 1
                return force(call_function(ev, f, arg, source, span))
            return call1
        if len(args) == 2:
            a0, a1 = args

            def call2_(env):
                return call2(ev, fn(env), a0(env), a1(env), source, span)
            return call2_

        def call(env):
            f = fn(env)
            for a in args:
                f = force(call_function(ev, f, a(env), source, span))
            return f
        return call

    def _arith_call(self, n: A.Call):
        """`a - b`, `a * b`, `a / b`, `a < b` (calls of __sub, __mul, __div,
        __lessThan): on two integers, computed here; anything else (another
        type, an error, overflow, a `__sub` that is not the builtin) goes to
        the builtin exactly as the generic call would."""
        fn_node = n.fn
        which = _ARITH_PRIMOPS[fn_node.name]
        builtins = getattr(self.ev, "builtins", None)
        prim = builtins.d.get(which) if builtins is not None else None
        if type(prim) is not PrimOp or prim.arity != 2:
            return None
        raw = self.var_raw(fn_node)
        memo = getattr(raw, "memo", None)   # the builtin, once found in the base environment
        generic = self._call(n)
        x_node, y_node = n.args
        sx, sy = self.strict(x_node), self.strict(y_node)
        ly = self.lazy(y_node)
        ev = self.ev
        source, span = self.source, node_pos(n)

        def slow(x, y):
            return force(_call_primop(ev, prim, (x, y), source, span))

        # Like _call_primop, the operands are evaluated one call deeper (the
        # builtin's call counts towards max-call-depth); when that call would
        # be one too many, the generic path raises the error as Nix does.
        if which == "lessThan" and type(y_node) is A.Int:
            # `n < 2`
            yv = y_node.value

            def less_than_const(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                err = None
                ev.depth += 1
                try:
                    x = sx(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), yv)
                tx = type(x)
                if tx is int or tx is float:
                    return x < yv
                return slow(x, yv)
            return less_than_const
        if which == "lessThan":
            # lessThan forces both operands before it looks at their types
            def less_than(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                x = err = None
                ev.depth += 1
                try:
                    x = _NOTHING
                    x = sx(env)
                    y = sy(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
                tx, ty = type(x), type(y)
                if (tx is int or tx is float) and (ty is int or ty is float):
                    return x < y
                return slow(x, y)
            return less_than

        # sub, mul, div check the first operand before they force the second
        def arith(env):
            if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                return generic(env)
            x = y = err = None
            ev.depth += 1
            try:
                x = _NOTHING
                x = sx(env)
                y = _NOTHING
                if type(x) is int:
                    y = sy(env)
            except Exception as e:
                err = e
            finally:
                ev.depth -= 1
            if err is not None:
                return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
            if y is _NOTHING:   # the first operand is not an integer
                return slow(x, ly(env))
            if type(y) is int:
                if which == "sub":
                    r = x - y
                elif which == "mul":
                    r = x * y
                elif y == 0 or (y == -1 and x == INT_MIN):
                    return slow(x, y)
                else:
                    q = abs(x) // abs(y)
                    r = q if (x >= 0) == (y >= 0) else -q
                if INT_MIN <= r <= INT_MAX:
                    return r
            return slow(x, y)

        if which == "sub" and type(y_node) is A.Int:
            # the most common one, `n - 1`
            yv = y_node.value

            def sub_const(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                err = None
                ev.depth += 1
                try:
                    x = sx(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), yv)
                if type(x) is int:
                    r = x - yv
                    if INT_MIN <= r <= INT_MAX:
                        return r
                return slow(x, yv)
            return sub_const
        if which == "sub":
            # without the dispatch on `which`
            def sub(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                x = y = err = None
                ev.depth += 1
                try:
                    x = _NOTHING
                    x = sx(env)
                    y = _NOTHING
                    if type(x) is int:
                        y = sy(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
                if y is _NOTHING:
                    return slow(x, ly(env))
                if type(y) is int:
                    r = x - y
                    if INT_MIN <= r <= INT_MAX:
                        return r
                return slow(x, y)
            return sub
        return arith

    # -- control ----------------------------------------------------------------------------
    def _bool(self, n: A.Node):
        code = self.compile(n)
        source, span = self.source, n.span

        def b(env):
            v = code(env)
            if type(v) is not bool:
                raise type_error("a Boolean", v, source, span)
            return v
        return b

    def c_If(self, n: A.If):
        cond, then, else_ = self.compile(n.cond), self.compile(n.then), self.compile(n.else_)
        source, span = self.source, n.cond.span

        def if_(env):
            c = cond(env)
            if c is True:
                return then(env)
            if c is False:
                return else_(env)
            raise type_error("a Boolean", c, source, span)
        return if_

    def c_Assert(self, n: A.Assert):
        body = self.compile(n.body)
        text = show(n.cond)
        source, span = self.source, n.span
        frame = f"while evaluating the condition of the assertion '{text}'"
        if type(n.cond) is A.BinOp and n.cond.op == "==":
            # Nix 2.36 explains a failed `assert a == b` (assertEqValues)
            lhs, rhs = self.compile(n.cond.lhs), self.compile(n.cond.rhs)
            op_span = n.cond.op_span

            def assert_eq(env):
                try:
                    ops.assert_equal(lhs(env), rhs(env), source, op_span, attr_position_of)
                except E.EvalError as e:
                    raise e.add_frame(frame, source, span)
                return body(env)
            return assert_eq

        cond = self._bool(n.cond)

        def assert_(env):
            try:
                ok = cond(env)
            except E.EvalError as e:
                raise e.add_frame(frame, source, span)
            if not ok:
                raise E.AssertionFailed(f"assertion '{text}' failed", source, span)
            return body(env)
        return assert_

    def c_Not(self, n: A.Not):
        code = self.compile(n.expr)
        source, span, pos = self.source, n.expr.span, node_pos(n.expr)

        def not_(env):
            try:
                v = code(env)
                if type(v) is not bool:
                    raise type_error("a Boolean", v, source, span)
            except E.EvalError as e:
                raise e.add_frame("in the argument of '!'", source, pos)
            return not v
        return not_

    def c_BinOp(self, n: A.BinOp):
        op = n.op
        source, span = self.source, n.op_span or n.span
        src = self.source
        if op in ("&&", "||", "->"):
            a = _bool_framed(self.compile(n.lhs), f"in the left operand of '{op}'", src, n.lhs.span,
                             node_pos(n.lhs))
            b = _bool_framed(self.compile(n.rhs), f"in the right operand of '{op}'", src, n.rhs.span,
                             node_pos(n.rhs))
            if op == "&&":
                return lambda env: a(env) and b(env)
            if op == "||":
                return lambda env: a(env) or b(env)
            return lambda env: (not a(env)) or b(env)
        if op in ("==", "!="):
            ca, cb = self.compile(n.lhs), self.compile(n.rhs)
            lmsg, rmsg = f"in the left operand of '{op}'", f"in the right operand of '{op}'"
            lpos, rpos = node_pos(n.lhs), node_pos(n.rhs)
            equal = ops.equal

            def eq(env):
                try:
                    x = ca(env)
                except E.EvalError as e:
                    raise e.add_frame(lmsg, src, lpos)
                try:
                    y = cb(env)
                except E.EvalError as e:
                    raise e.add_frame(rmsg, src, rpos)
                t = type(x)
                if t is type(y) and (t is int or t is str):
                    return x == y
                return equal(x, y)
            if op == "==":
                return eq
            return lambda env: not eq(env)
        a = _framed(self.compile(n.lhs), f"in the left operand of '{op}'", src, node_pos(n.lhs))
        b = _framed(self.compile(n.rhs), f"in the right operand of '{op}'", src, node_pos(n.rhs))
        if op == "//":
            def update(env):
                x, y = a(env), b(env)
                if type(x) is not Attrs:
                    raise type_error("a set", x, source, span)
                if type(y) is not Attrs:
                    raise type_error("a set", y, source, span)
                if not y.d:
                    return x
                if not x.d:
                    return y
                d = dict(x.d)
                d.update(y.d)
                return Attrs(d, _merge_pos(x.pos, y.pos))
            return update
        if op == "++":
            def concat(env):
                x, y = a(env), b(env)
                for v in (x, y):
                    if type(v) is not list:
                        raise type_error("a list", v).add_frame(
                            "while evaluating one of the elements to concatenate", source, span)
                return x + y if x and y else (y if not x else x)
            return concat
        raise AssertionError(op)

    def c_ConcatStrings(self, n: A.ConcatStrings):
        parts = [self.lazy(p) for p in n.parts]
        if not n.force_string and n.op_span is not None:
            # `a + b`: an error in an operand is "in an operand of '+'"
            parts = [_lazy_framed(code, "in an operand of '+'", self.source, node_pos(p))
                     for code, p in zip(parts, n.parts)]
        force_string = n.force_string
        ev = self.ev
        source, span = self.source, n.op_span or n.span
        positions = [Span(p, p) for p in (n.part_pos or [q.span.start for q in n.parts])]
        concat_strings = ops.concat_strings

        def call(f, a, s=None, sp=None):
            return call_function(ev, f, a, s or source, sp or span)

        def concat(env):
            return concat_strings([p(env) for p in parts], force_string, ev.copy_path_to_store, call,
                                  source, positions)

        def finish(vals):
            return concat_strings(vals, force_string, ev.copy_path_to_store, call, source, positions)

        stricts = [self.strict(p) for p in n.parts]
        if force_string:
            # "...${x}...": plain strings are joined here; at the first other
            # value (or error) the generic code takes over with what is known
            pairs = list(enumerate(stricts))

            def interpolate(env):
                out = []
                for k, sp in pairs:
                    try:
                        v = sp(env)
                    except Exception as e:
                        return finish(out + [_raising(e)] + [p(env) for p in parts[k + 1:]])
                    if type(v) is str:
                        out.append(v)
                    else:
                        return finish(out + [v] + [p(env) for p in parts[k + 1:]])
                return "".join(out)
            return interpolate
        if n.op_span is None or len(parts) != 2:
            return concat
        # `a + b` on two integers or two plain strings
        sx, sy = stricts
        lx, ly = parts
        framed_x = _frame_value_fn("in an operand of '+'", source, node_pos(n.parts[0]))
        framed_y = _frame_value_fn("in an operand of '+'", source, node_pos(n.parts[1]))

        def plus(env):
            try:
                x = sx(env)
            except Exception as e:
                return finish([framed_x(_raising(e)), ly(env)])
            tx = type(x)
            if tx is not int and tx is not str:
                return finish([x, ly(env)])
            try:
                y = sy(env)
            except Exception as e:
                return finish([x, framed_y(_raising(e))])
            ty = type(y)
            if tx is ty:
                r = x + y
                if tx is str or INT_MIN <= r <= INT_MAX:
                    return r
            return finish([x, y])
        return plus


class _Positions:
    """Attribute positions of an attrset, resolved to (file, line, column) on demand."""
    __slots__ = ("source", "spans")

    def __init__(self, source, spans):
        self.source = source
        self.spans = spans


def _merge_pos(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _MergedPositions(a, b)


class _MergedPositions:
    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first = first
        self.second = second


def attr_position(pos, name):
    """(source, span) where attribute `name` was defined, or None."""
    while pos is not None:
        if isinstance(pos, _MergedPositions):
            hit = attr_position(pos.second, name)
            if hit is not None:
                return hit
            pos = pos.first
            continue
        span = pos.spans.get(name)
        return (pos.source, span) if span is not None else None
    return None


def _lazy_framed(lazy_code, message, source, span):
    """A lazy operand whose evaluation errors get a trace frame."""
    framed = _frame_value_fn(message, source, span)
    return lambda env: framed(lazy_code(env))


def _frame_value_fn(message, source, span):
    """value -> the value, or for a thunk not evaluated yet, a thunk that
    forces it and adds a trace frame to its errors."""
    def framed(v):
        if type(v) is not Thunk or v.code is None:
            return v

        def run(_env, thunk=v):
            try:
                return thunk.force()
            except E.EvalError as e:
                raise e.add_frame(message, source, span)
        return Thunk(run, None, span)
    return framed


def _raising(exc):
    """A stand-in for an operand whose evaluation raised `exc`: a thunk that
    raises it when forced. A fast path that evaluated an operand directly
    hands this to the generic code, which then meets the error where and as
    it would have met it forcing the operand's own thunk (a fresh thunk,
    which nothing else could see)."""
    def code(_env):
        raise exc
    return Thunk(code, None)


def _bool_framed(code, message, source, span, pos):
    """`code`, which must give a Boolean (else a type error at `span`), with
    `message` added as a trace frame to any error."""
    def b(env):
        try:
            v = code(env)
            if type(v) is not bool:
                raise type_error("a Boolean", v, source, span)
        except E.EvalError as e:
            raise e.add_frame(message, source, pos)
        return v
    return b


_ARITH_PRIMOPS = {"__sub": "sub", "__mul": "mul", "__div": "div", "__lessThan": "lessThan"}
_NOTHING = object()   # "not evaluated (yet)", in fast paths


def _makes_thunk(n: A.Node) -> bool:
    """Whether `Compiler.lazy(n)` makes a new thunk (not a constant, a
    lambda or a variable's own value)."""
    t = type(n)
    return t not in (A.Int, A.Float, A.Str, A.Path, A.Lambda) and not (t is A.Var and not n.from_with)


def _attr_path_text(path) -> str:
    """An attrpath as Nix shows it in traces (showAttrPath): names as they
    are, dynamic ones as "${expr}"."""
    parts = []
    for an in path:
        if an.name is not None:
            parts.append(an.name)
        else:
            parts.append('"${' + show(an.expr) + '}"')
    return ".".join(parts)


def value_position(v):
    """(source, span) Nix gives a value in errors about it (Value::determinePos):
    for a pending function application, the function's; else unknown."""
    if type(v) is Thunk and v.code is not None:
        pos = getattr(v.code, "pos", None)
        if pos is not None:
            return pos
    return None, None


def attr_position_of(attrs: Attrs, name):
    return attr_position(attrs.pos, name)


def attr_where(attrs: Attrs, name):
    """(source, span) where attribute `name` of `attrs` was defined, or
    (None, None): the form trace frames take."""
    hit = attr_position(attrs.pos, name) if attrs.pos is not None else None
    return hit if hit is not None else (None, None)


def _lazy_select(src, name, source, span):
    def sel(_env):
        a = force(src)
        if type(a) is not Attrs:
            raise type_error("a set", a, source, span)
        if name not in a.d:
            raise _missing_attr(name, a, source, span)
        return force(a.d[name])
    return Thunk(sel, None, span)


def _missing_attr(name, attrs: Attrs, source, span):
    msg = f"attribute '{name}' missing"
    err = E.MissingAttr(msg, source, span)
    close = best_matches(name, attrs.d)
    if close:
        err.suggestions = close
    return err


def best_matches(query: str, candidates, limit: int = 5, max_distance: int = 2) -> list[str]:
    """Suggestions::bestMatches(...).trim(): the candidates within Levenshtein
    distance 2 of `query`, closest first (ties by name), at most 5."""
    scored = []
    for c in candidates:
        d = E.edit_distance(query, c, max_distance)
        if d <= max_distance:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored[:limit]]
