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
of builtins, then one frame per `let`, `rec { }`, lambda and `with`.
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


class LambdaCode:
    """A compiled lambda: what `Closure.lam` points to."""
    __slots__ = ("node", "name", "arg", "formals", "ellipsis", "body", "nslots", "source", "ev")

    def __init__(self, node, arg, formals, ellipsis, body, nslots, source, ev):
        self.node = node
        self.name = None
        self.arg = arg              # slot 0 holds the whole argument when set
        self.formals = formals      # list of (name, slot, default_code or None) or None
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
                env = Env(f.env, [arg])
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


def _call_primop(ev, p, args, source, span):
    try:
        return p.fn(ev, *args)
    except E.EvalError as e:
        if getattr(p.fn, "add_trace", True):
            e.add_frame(f"while calling the '{p.name}' builtin", source, span)
        raise
    except RecursionError:
        raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span) from None


def _calling(lam) -> str:
    return f"'{lam.name}'" if lam.name else "anonymous lambda"


def _fname(lam) -> str:
    return f"function '{lam.name or 'anonymous lambda'}'"


def _suggest(name: str, candidates: list[str]) -> list[str]:
    """Nix's Suggestions: names within a small edit distance, closest first."""
    def dist(a, b):
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]
    scored = sorted((dist(name, c), c) for c in candidates)
    limit = max(1, len(name) // 2) if len(name) > 2 else 2
    return [c for d, c in scored if d <= limit]


def _bind_formals(lam: LambdaCode, up, arg, source, span):
    a = force(arg)
    if type(a) is not Attrs:
        raise type_error("a set", a, lam.source, lam.node.span)
    vals = [UNSET] * lam.nslots
    env = Env(up, vals)
    if lam.arg is not None:
        vals[0] = arg
    d = a.d
    used = 0
    for name, slot, default in lam.formals:
        v = d.get(name)
        if v is None and name not in d:
            if default is None:
                raise E.CallError(f"{_fname(lam)} called without required argument '{name}'",
                                  lam.source, lam.node.span)
            vals[slot] = Thunk(default, env)
        else:
            vals[slot] = v
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

    # -- laziness ------------------------------------------------------------------
    def lazy(self, n: A.Node):
        t = type(n)
        if t in (A.Int, A.Float, A.Str, A.Path):
            v = self.constant(n)
            return lambda env: v
        if t is A.Var and not n.from_with:
            # share the variable's own thunk; a slot of the frame being built
            # (`let x = y; y = ...;`) is not filled yet: read it later
            raw = self.var_raw(n)
            code = self.compile(n)

            def var_lazy(env):
                v = raw(env)
                return v if v is not UNSET else Thunk(code, env, n.span)
            return var_lazy
        code = self.compile(n)
        if t is A.Lambda:
            return code
        span = n.span
        return lambda env: Thunk(code, env, span)

    def constant(self, n):
        t = type(n)
        if t is A.Path:
            return Path(n.value)
        return n.value

    # -- the compiler proper -----------------------------------------------------------
    def compile(self, n: A.Node):
        method = getattr(self, "c_" + type(n).__name__)
        return method(n)

    def c_Int(self, n):
        v = n.value
        return lambda env: v

    c_Float = c_Str = c_Int

    def c_Path(self, n):
        v = Path(n.value)
        return lambda env: v

    def var_raw(self, n: A.Var):
        """The stored value of a statically bound variable (maybe a thunk)."""
        level, index = n.level, n.index
        if level == 0:
            return lambda env: env.vals[index]
        if level == 1:
            return lambda env: env.up.vals[index]
        if level == 2:
            return lambda env: env.up.up.vals[index]

        def get(env):
            for _ in range(level):
                env = env.up
            return env.vals[index]
        return get

    def c_Var(self, n: A.Var):
        if not n.from_with:
            raw = self.var_raw(n)
            source, span = self.source, n.span

            def var(env):
                v = raw(env)
                if type(v) is Thunk:
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
                    e = e.up
                    depth += 1
                attrs = force(e.vals[0])
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
        path_text = show(n) if False else None

        def select(env):
            try:
                v = base(env)
            except E.EvalError as e:
                raise e.add_frame("while selecting an attribute", source, span)
            for name, code in names:
                if code is not None:
                    name = name_value(code[0], env, source, code[1])
                if type(v) is not Attrs:
                    if default is not None:
                        return default(env)
                    raise type_error("a set", v, source, span)
                w = v.d.get(name)
                if w is None and name not in v.d:
                    if default is not None:
                        return default(env)
                    raise _missing_attr(name, v, source, span)
                v = force(w)
            return v
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
            if type(d.value) is A.Lambda:
                self._lambda_names[id(d.value)] = name
            if d.kind == A.INHERITED_FROM:
                idx = d.value.expr.index
                out.append((name, d, ("from", idx, name)))
            elif d.kind == A.INHERITED:
                out.append((name, d, ("outer", self.lazy(d.value))))
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
        slot_of = {name: i for i, name in enumerate(n.slots)} if rec else None
        nslots = len(n.slots) if rec else 0
        poses = {name: d.span for name, d in n.attrs.items()}

        def build(env):
            if rec:
                vals = [UNSET] * nslots
                inner = Env(env, vals)
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
                    raise type_error("a set", over, source, n.span)
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
        slot_of = {name: i for i, name in enumerate(attrs.slots)}
        nslots = len(attrs.slots)
        body = self.compile(n.body)
        source = self.source
        plan = [(slot_of[name], adef, how) for name, adef, how in items]

        def let(env):
            vals = [UNSET] * nslots
            inner = Env(env, vals)
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
        return lambda env: body(Env(env, [attrs(env)]))

    def c_List(self, n: A.List):
        elems = [self.lazy(e) for e in n.elems]
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
        lam.name = self._lambda_names.get(id(n))
        if formals is not None:
            for entry, f in zip(formals, n.formals):
                if f.default is not None:
                    entry[2] = self.compile(f.default)
            lam.formals = [tuple(e) for e in formals]
        lam.body = self.compile(n.body)
        return lambda env: Closure(lam, env)

    def c_Call(self, n: A.Call):
        fn = self.compile(n.fn)
        args = [self.lazy(a) for a in n.args]
        ev = self.ev
        source, span = self.source, node_pos(n)

        def call(env):
            f = fn(env)
            for a in args:
                f = force(call_function(ev, f, a(env), source, span))
            return f
        return call

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
        cond, then, else_ = self._bool(n.cond), self.compile(n.then), self.compile(n.else_)
        return lambda env: then(env) if cond(env) else else_(env)

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
        e = _framed(self._bool(n.expr), "in the argument of '!'", self.source, node_pos(n.expr))
        return lambda env: not e(env)

    def c_BinOp(self, n: A.BinOp):
        op = n.op
        source, span = self.source, n.op_span or n.span
        src = self.source
        if op in ("&&", "||", "->"):
            a = _framed(self._bool(n.lhs), f"in the left operand of '{op}'", src, node_pos(n.lhs))
            b = _framed(self._bool(n.rhs), f"in the right operand of '{op}'", src, node_pos(n.rhs))
            if op == "&&":
                return lambda env: a(env) and b(env)
            if op == "||":
                return lambda env: a(env) or b(env)
            return lambda env: (not a(env)) or b(env)
        a = _framed(self.compile(n.lhs), f"in the left operand of '{op}'", src, node_pos(n.lhs))
        b = _framed(self.compile(n.rhs), f"in the right operand of '{op}'", src, node_pos(n.rhs))
        if op == "==":
            return lambda env: ops.equal(a(env), b(env))
        if op == "!=":
            return lambda env: not ops.equal(a(env), b(env))
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

        def concat(env):
            return ops.concat_strings([p(env) for p in parts], force_string, ev.copy_path_to_store,
                                      lambda f, a, s=None, sp=None: call_function(
                                          ev, f, a, s or source, sp or span),
                                      source, positions)
        return concat


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
    def make(env):
        v = lazy_code(env)
        if type(v) is not Thunk or v.code is None:
            return v

        def run(_env, thunk=v):
            try:
                return thunk.force()
            except E.EvalError as e:
                raise e.add_frame(message, source, span)
        return Thunk(run, None, span)
    return make


def attr_position_of(attrs: Attrs, name):
    return attr_position(attrs.pos, name)


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
    from difflib import get_close_matches
    msg = f"attribute '{name}' missing"
    close = get_close_matches(name, list(attrs.d), n=10, cutoff=0.6) if attrs.d else []
    err = E.MissingAttr(msg, source, span)
    if close:
        err.suggestions = close
    return err
