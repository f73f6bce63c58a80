"""Calling functions: lambdas, builtins (primops) and functors.

`call_function` is Nix's EvalState::callFunction: bind the argument (a
lambda's formals are checked against the attrset given), run the body, and
add the trace frames Nix adds ("while calling 'f'", "from call site") to an
error on the way out. Every call counts towards `max-call-depth`. `call2`
and `caller` are the same work specialised for the shapes builtins use most
(two arguments in turn, one function called many times); the compiler's
call sites inline the most common case themselves.
"""
from __future__ import annotations

from .. import errors as E
from ..codecache import compile_cached
from ..source import Source, Span
from ..syntax.printer import identifier
from .errors import best_matches, type_error
from .printer import print_value_short
from .values import UNSET, Attrs, Closure, PrimOp, PrimOpApp, Thunk, force, show_type


class LambdaCode:
    """A compiled lambda: what `Closure.lam` points to."""
    __slots__ = ("node", "name", "arg", "formals", "ellipsis", "body", "nslots", "source", "ev", "inner", "_pos",
                 "probe", "binder")

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
        self._pos = None
        # `x: ...` whose body forces x before anything else (compile.functions,
        # argument_probe): (memo, builtin) a caller checks (`memo` holds the
        # builtin the body's first operation calls, once found), True once
        # that holds (probe_holds), or None
        self.probe = None
        # bind_formals' work written out for these formals (make_binder),
        # made at the BINDER_AFTER-th call; until then the calls left
        self.binder = BINDER_AFTER

    def position(self):
        """(source, span) of the lambda, made once (a node's span is a new
        object on each read): where builtins that call it report it."""
        pos = self._pos
        if pos is None:
            pos = self._pos = (self.source, self.node.span)
        return pos


def probe_holds(lam: LambdaCode) -> bool:
    """Whether the probe (memo, builtin) of `lam` holds: its memo found the
    builtin. A memo, once filled, never changes (a slot of the base
    environment), so the answer is kept: the probe becomes True, or None
    when the memo found something else."""
    memo, prim = lam.probe
    if not memo:
        return False
    lam.probe = True if memo[0] is prim else None
    return memo[0] is prim


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
                    env = bind_formals(lam, f.env, arg, source, span)
                except E.EvalError as e:
                    if span is not None:
                        e.add_frame("from call site", source, span)
                    raise
            try:
                return lam.body(env)
            except E.EvalError as e:
                e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    if t is PrimOp:
        if f.arity == 1:
            return call_primop(ev, f, (arg,), source, span)
        return PrimOpApp(f, (arg,))
    if t is PrimOpApp:
        args = f.args + (arg,)
        if len(args) == f.primop.arity:
            return call_primop(ev, f.primop, args, source, span)
        return PrimOpApp(f.primop, args)
    if t is Attrs and "__functor" in f.d:
        functor = force(f.d["__functor"])
        return call_function(ev, force(call_function(ev, functor, f, source, span)), arg, source, span)
    raise E.TypeError_(f"attempt to call something which is not a function but {show_type(f)}: "
                       f"{print_value_short(f)}", source, span).tagged("not-a-function", found=show_type(f))


def call2(ev, f, a, b, source: Source | None = None, span: Span | None = None):
    """`f a b`: apply the (forced) function `f` to two arguments in turn, as
    `force(call_function(ev, force(call_function(ev, f, a, ...)), b, ...))`
    does, with lambdas `x: ...` inline. For `a: b: body` the closure of the
    inner lambda is not even built: the outer call only builds it (it cannot
    fail, and both calls check the same call depth). A builtin given its
    last two arguments is called at once, and one given two of more just
    collects them (no partial application in between). Gives a forced
    value."""
    t = type(f)
    if t is PrimOp:
        if f.arity == 2:
            r = call_primop(ev, f, (a, b), source, span)
            return r.force() if type(r) is Thunk else r
        if f.arity > 2:
            return PrimOpApp(f, (a, b))
    elif t is PrimOpApp:
        # a builtin given some arguments already (`replaceStrings list` ...)
        args = f.args + (a, b)
        p = f.primop
        if len(args) == p.arity:
            r = call_primop(ev, p, args, source, span)
            return r.force() if type(r) is Thunk else r
        if len(args) < p.arity:
            return PrimOpApp(p, args)
    if t is Closure:
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
                    e.add_frame(f"while calling {calling(inner)}", inner.source, inner.node.span)
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
                    e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                    if span is not None:
                        e.add_frame("from call site", source, span)
                    raise
            finally:
                ev.depth -= 1
        else:
            g = call_function(ev, f, a, source, span)
            if type(g) is Thunk:
                g = g.force()
    else:
        g = call_function(ev, f, a, source, span)
        if type(g) is Thunk:
            g = g.force()
    if type(g) is Closure and g.lam.formals is None:
        lam = g.lam
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
            try:
                return lam.body([g.env, b])
            except E.EvalError as e:
                e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    r = call_function(ev, g, b, source, span)
    return r.force() if type(r) is Thunk else r


def calln(ev, f, args: tuple, source: Source | None = None, span: Span | None = None):
    """`f a0 a1 a2 ...` (three or more arguments): applying them in turn, as
    `force(call_function(ev, f, a, ...))` for each does, but a builtin
    given (at least) all its arguments is called at once, without the
    partial applications in between (`substring 0 0 s`), and the first two
    arguments of anything else go through call2. Gives a forced value.
    A lambda `a: b: c: ...` (no formals) is entered at its innermost body
    taking arguments directly, with the frames `[[[env, a], b], c]`: the
    closures in between cannot fail and nothing else sees them (call2 does
    the same for two)."""
    t = type(f)
    if t is Closure:
        lam = f.lam
        inner = lam.inner
        if inner is not None and lam.formals is None and inner.formals is None:
            last = inner.inner
            if last is not None and last.formals is None:
                env = [[[f.env, args[0]], args[1]], args[2]]
                k = 3
                nxt = last.inner
                while nxt is not None and nxt.formals is None and k < len(args):
                    env = [env, args[k]]
                    last = nxt
                    nxt = nxt.inner
                    k += 1
                ev.depth += 1
                try:
                    if ev.depth > ev.max_call_depth:
                        raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                    try:
                        f = last.body(env)
                    except E.EvalError as e:
                        raise lambda_frames(e, last, source, span)
                finally:
                    ev.depth -= 1
                if type(f) is Thunk:
                    f = f.force()
                for a in args[k:]:
                    f = call_function(ev, f, a, source, span)
                    if type(f) is Thunk:
                        f = f.force()
                return f
    if t is PrimOp and f.arity <= len(args):
        k = f.arity
        f = call_primop(ev, f, args[:k], source, span)
        if type(f) is Thunk:
            f = f.force()
    else:
        k = 2
        f = call2(ev, f, args[0], args[1], source, span)
    for a in args[k:]:
        f = call_function(ev, f, a, source, span)
        if type(f) is Thunk:
            f = f.force()
    return f


def caller(ev, f, source: Source | None = None, span: Span | None = None):
    """`x -> force(call_function(ev, f, x, source, span))` for one function
    value `f` called many times (genList, map): for a lambda `x: ...`,
    call_function's work inline."""
    if type(f) is not Closure or f.lam.formals is not None:
        if type(f) is PrimOp and f.arity == 1:
            # a builtin of one argument (`filter isString`): call_primop's
            # work inline, as it is most of the work of each call
            fn = f.fn

            def call_builtin(x):
                ev.depth += 1
                try:
                    if ev.depth > ev.max_call_depth:
                        raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                    r = fn(ev, x)
                except E.EvalError as e:
                    raise primop_failed(e, f, source, span)
                except RecursionError as e:
                    raise primop_failed(e, f, source, span) from None
                finally:
                    ev.depth -= 1
                return r.force() if type(r) is Thunk else r
            return call_builtin
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
                e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                if span is not None:
                    e.add_frame("from call site", source, span)
                raise
        finally:
            ev.depth -= 1
    return call_lambda


def curried_lambda(f):
    """(the inner lambda, the outer lambda's environment) when `f` is a
    lambda `a: b: body` without formals, whose body can be entered with the
    frames `[[env, a], b]` (see call2); else None."""
    if type(f) is Closure:
        lam = f.lam
        inner = lam.inner
        if inner is not None and lam.formals is None and inner.formals is None:
            return inner, f.env
    return None


def lambda_frames(e, lam, source, span):
    """The frames call_function adds to an error leaving the body of `lam`."""
    e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
    if span is not None:
        e.add_frame("from call site", source, span)
    return e


def caller2(ev, f, source: Source | None = None, span: Span | None = None):
    """`(a, b) -> call2(ev, f, a, b, source, span)` for one function value
    `f` called many times: for a lambda `a: b: ...`, call2's work inline,
    without even the closure of the inner lambda."""
    parts = curried_lambda(f)
    if parts is None:
        return lambda a, b: call2(ev, f, a, b, source, span)
    inner, up = parts

    def call_lambda2(a, b):
        ev.depth += 1
        try:
            if ev.depth > ev.max_call_depth:
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
            try:
                return inner.body([[up, a], b])
            except E.EvalError as e:
                raise lambda_frames(e, inner, source, span)
        finally:
            ev.depth -= 1
    return call_lambda2


def call_primop(ev, p, args, source, span):
    # a builtin call counts towards max-call-depth like any call (callFunction)
    ev.depth += 1
    try:
        if ev.depth > ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
        return p.fn(ev, *args)
    except E.EvalError as e:
        raise primop_failed(e, p, source, span)
    except RecursionError as e:
        raise primop_failed(e, p, source, span) from None
    finally:
        ev.depth -= 1


def primop_failed(e, p, source, span):
    """What call_primop raises when the builtin `p` raised `e` (an EvalError
    or a RecursionError)."""
    if isinstance(e, RecursionError):
        return E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
    if getattr(p.fn, "add_trace", True):
        e.add_frame(f"while calling the '{p.name}' builtin", source, span)
    return e


def calling(lam) -> str:
    return f"'{lam.name}'" if lam.name else "anonymous lambda"


def fname(lam) -> str:
    return f"function '{lam.name or 'anonymous lambda'}'"


def bind_formals(lam: LambdaCode, up, arg, source, span):
    a = arg.force() if type(arg) is Thunk else arg
    if type(a) is not Attrs:
        raise type_error("a set", a, lam.source, lam.node.span)
    b = lam.binder
    if type(b) is not int:
        env = b(up, arg, a.d)
        if env is not None:
            return env
        # a missing or unexpected argument: the error made below
    elif b > 1:
        lam.binder = b - 1
    else:
        lam.binder = make_binder(lam)
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
                raise E.CallError(f"{fname(lam)} called without required argument '{identifier(name)}'",
                                  lam.source, lam.node.span).tagged(
                    "missing-argument", name=name, function=lam.node, formals=[n for n, _, _ in lam.formals])
            env[slot + 1] = default(env)
        else:
            env[slot + 1] = v
            used += 1
    if not lam.ellipsis and used != len(d):
        names = {n for n, _, _ in lam.formals}
        for k in sorted(d):
            if k not in names:
                # the name prints as a symbol does (printIdentifier): `"b c"` quoted
                err = E.CallError(f"{fname(lam)} called with unexpected argument '{identifier(k)}'",
                                  lam.source, lam.node.span).tagged(
                    "unexpected-argument", name=k, function=lam.node, formals=sorted(names))
                err.suggestions = best_matches(k, names)
                raise err
    return env


# calls of a lambda with formals before its binder is written (most
# lambdas of a large file are called once: a binder would not pay)
BINDER_AFTER = 2


def make_binder(lam: LambdaCode):
    """bind_formals' work for the formals of `lam`, as a Python function
    (up, arg, d) -> frame written for them, each name a constant and each
    default's code a global (called in the same order as bind_formals
    calls them). It gives None where bind_formals raises (a name missing,
    one not expected), for bind_formals to make the error."""
    lines = ["def bind(up, arg, d):",
             f"    env = [up{', arg' if lam.arg is not None else ''}{', UNSET' * len(lam.formals)}]"]
    g = {"UNSET": UNSET, "NOTHING": _NOTHING}   # its globals
    required = sum(1 for _, _, default in lam.formals if default is None)
    if not lam.ellipsis:
        lines.append(f"    n = {required}")
    for k, (name, slot, default) in enumerate(lam.formals):
        lines.append(f"    x = d.get({name!r}, NOTHING)")
        if default is None:
            lines += ["    if x is NOTHING:", "        return None", f"    env[{slot + 1}] = x"]
        else:
            g[f"D{k}"] = default
            value = f"D{k}(env)"
            memo = getattr(default, "memo", None)
            if memo is not None:
                # a name of the base environment (`null`): its reader's memo
                # once filled, as the default's code reads it
                g[f"M{k}"] = memo
                value = f"M{k}[0] if M{k} else {value}"
            lines += ["    if x is NOTHING:", f"        env[{slot + 1}] = {value}", "    else:",
                      f"        env[{slot + 1}] = x"]
            if not lam.ellipsis:
                lines.append("        n += 1")
    if not lam.ellipsis:
        lines += ["    if n != len(d):", "        return None"]
    lines.append("    return env")
    exec(compile_cached("\n".join(lines), "<pynix formals>", "binder"), g)
    return g["bind"]


_NOTHING = object()


def apply_pending(env):
    """The code of a thunk of one pending call `f x` made on its own (`map`
    of a one-element list), without a `caller` made for it: its
    environment is the tuple (ev, f, x). Called from where f is defined, as
    the shared code of a longer list's thunks is (builtins.lists._apply_code)."""
    ev, f, x = env
    source, span = f.lam.position() if type(f) is Closure else (None, None)
    r = call_function(ev, f, x, source, span)
    return r.force() if type(r) is Thunk else r


def value_position(v):
    """(source, span) Nix gives a value in errors about it (Value::determinePos):
    for a pending function application, the function's; else unknown."""
    if type(v) is Thunk and v.code is apply_pending:
        f = v.value[1]   # the environment of a thunk not forced yet
        return f.lam.position() if type(f) is Closure else (None, None)
    if type(v) is Thunk and v.code is not None:
        pos = getattr(v.code, "pos", None)
        if pos is not None:
            return pos
    return None, None

