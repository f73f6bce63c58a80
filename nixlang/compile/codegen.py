"""Tier 2: Python source generated for the body of a hot function.

The closure compiler (tier 1) turns every AST node into a Python function,
so evaluating `if n < 2 then n else fib (n - 1) + fib (n - 2)` is a dozen
Python calls, each reading its operands through `env` lists. For a
function body that runs often, this module writes one Python function
instead, in which the node kinds below are inline statements: a variable
is an index into the frame (forced once, then kept in a local), `n - 1` on
integers is a subtraction, `a.b.c` walks dicts in place, a call of a lambda
`x: ...` binds its frame and enters the body directly. `compile()` turns
the text into code once per function, so only hot bodies are worth it
(compile.functions counts the calls; see `JIT_THRESHOLD`).

What makes this safe is that the generated code is a transcription of the
closures, not a second semantics:
- Environments are the same lists (`[up, slot1, ...]`), made at the same
  moments, so frames built by either tier are read by the other, and
  thunks and closures made here are ordinary ones.
- Every error path is the closure compiler's: the same trace frames from
  the same `except` clauses, and each fast path hands over to the same
  slow path (ConcatSite, ArithSite, `call_function`, `select_failed`,
  `with_lookup`) with the values in the same order.
- A node kind, or a shape, written here is rare in hot code (`assert` with
  `==`, dynamic attribute names, `rec` sets with `__overrides`, ...) is not
  transcribed: the generated code calls the node's tier-1 closure.
- The test suite runs the language suite and the differential tests with
  every function generated at its first call (`PYNIX_JIT=always`).

Laziness: a subexpression that must stay unevaluated becomes a thunk whose
code is another generated function of the same module (so it is compiled
with the body), given the current frame as its environment. A constant, a
variable (its own thunk or value) and a lambda (a closure) need no thunk.
"""
from __future__ import annotations

import contextlib
import os

from .. import errors as E
from ..syntax import ast as A
from ..syntax.printer import show
from ..runtime import ops
from ..runtime.calls import (bind_formals, call2, call_function, call_primop, calling, calln, lambda_frames,
                             primop_failed, probe_holds)
from ..runtime.errors import missing_attr, type_error
from ..runtime.bigsets import BIG, update as big_update
from ..runtime.positions import MergedPositions, Positions, attr_position_of, merge_pos
from ..runtime.values import (BLACKHOLE, UNSET, Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, _Blackhole, force,
                              force_failed, make_thunk)
from .attrsets import is_constant_list
from .codecache import compile_cached
from .frames import _NOTHING, _raising, node_pos
from .functions import _makes_thunk
from .selection import _attr_path_shown, _attr_path_text, attr_name, inherited_select, select_failed
from .variables import memo_of, with_lookup

# builtins whose calls codegen specialises (guessed_builtin): name ->
# (arity, index of the function argument or None, index of the argument the
# builtin forces first or None, whether it forces that one only after the
# function argument). The argument forced first must be forced before the
# builtin does anything else, adding a trace frame only to a type error
# (forceList, forceAttrs, forceValue: C++ Nix's order in primops.cc); the
# function argument must be forced (by _function) before the builtin keeps
# it, or never used.
STRICT_ARGUMENTS = {
    "map": (2, 0, 1, False), "filter": (2, 0, 1, False), "sort": (2, 0, 1, False),
    "concatMap": (2, 0, 1, True), "any": (2, 0, 1, True), "all": (2, 0, 1, True),
    "partition": (2, 0, 1, True), "groupBy": (2, 0, 1, True), "foldl'": (3, 0, 2, True),
    "length": (1, None, 0, False), "head": (1, None, 0, False), "tail": (1, None, 0, False),
    "attrNames": (1, None, 0, False), "attrValues": (1, None, 0, False),
    "listToAttrs": (1, None, 0, False), "concatLists": (1, None, 0, False),
    "typeOf": (1, None, 0, False), "isAttrs": (1, None, 0, False), "isList": (1, None, 0, False),
    "isString": (1, None, 0, False), "isInt": (1, None, 0, False), "isBool": (1, None, 0, False),
    "isFunction": (1, None, 0, False), "isNull": (1, None, 0, False), "toString": (1, None, 0, False),
    "removeAttrs": (2, None, 0, False), "mapAttrs": (2, None, 1, False), "intersectAttrs": (2, None, 0, False),
    "elem": (2, None, 1, False), "seq": (2, None, 0, False), "addErrorContext": (2, None, 1, False),
}

# builtins whose common case codegen writes inline, inside the call's depth
# step and error frames (strict_builtin_call): name -> lines computing
# `{t}` from the forced first argument `{x}` (and the other arguments
# `{a1}`, ... unforced), each ending in the builtin's own call `{call}` for
# whatever the line does not decide (a type error, an empty list), so every
# message and frame is the builtin's. A result left a thunk is forced after
# the call's frames, as call_primop's is, except where the builtin forces
# it itself (head, seq: "force {t}" marks the line forcing it in place).
INLINE_BUILTINS = {
    "length": ("{t} = len({x}) if type({x}) is list else {call}",),
    "isAttrs": ("{t} = type({x}) is Attrs",),
    "isList": ("{t} = type({x}) is list",),
    "isString": ("{t} = type({x}) is str or type({x}) is CtxStr",),
    "isInt": ("{t} = type({x}) is int",),
    "isBool": ("{t} = type({x}) is bool",),
    "isNull": ("{t} = {x} is None",),
    "isFunction": ("{t} = type({x}) is Closure or type({x}) is PrimOp or type({x}) is PrimOpApp",),
    "head": ("{t} = {x}[0] if type({x}) is list and {x} else {call}", "force {t}"),
    "seq": ("{t} = {a1}", "force {t}"),
    # (the value computed in place, its errors given the context by the
    # builtin itself: strict_builtin_call; the message made only then)
    "addErrorContext": ("{t} = {a1}",),
}

# functions whose body has more nodes than this stay closures (generating
# and compiling a huge body costs more than it can save)
MAX_NODES = 4000
# attrsets and lists with more members than this are built by their closure
MAX_MEMBERS = 64
# calls of more arguments than this leave a curried lambda to calln
MAX_CURRIED = 4

_RUNTIME = {
    "E": E, "Thunk": Thunk, "Closure": Closure, "Attrs": Attrs, "Path": Path, "UNSET": UNSET,
    "force": force, "call_function": call_function, "call2": call2, "calln": calln, "calling": calling,
    "bind_formals": bind_formals, "call_primop": call_primop, "primop_failed": primop_failed,
    "lambda_frames": lambda_frames, "probe_holds": probe_holds, "PrimOp": PrimOp, "PrimOpApp": PrimOpApp,
    "type_error": type_error, "missing_attr": missing_attr, "select_failed": select_failed,
    "with_lookup": with_lookup, "merge_pos": merge_pos, "BIG": BIG, "big_update": big_update, "equal": ops.equal,
    "assert_equal": ops.assert_equal, "attr_position_of": attr_position_of,
    "_raising": _raising, "attr_name": attr_name, "_attr_path_shown": _attr_path_shown,
    "NOTHING": _NOTHING,
    "INT_MIN": ops.INT_MIN, "INT_MAX": ops.INT_MAX,
    "EvalError": E.EvalError, "InfiniteRecursionError": E.InfiniteRecursionError,
    "StackOverflow": E.StackOverflow, "NEW": object.__new__, "CtxStr": CtxStr, "make_thunk": make_thunk,
    "MergedPositions": MergedPositions, "Blackhole": _Blackhole, "BLACKHOLE": BLACKHOLE, "force_failed": force_failed,
}
# the slots new_object fills, in the order of the class's __init__ arguments
_SLOTS = {"Thunk": ("code", "value"), "Closure": ("lam", "env"), "Attrs": ("d", "pos"),
          "MergedPositions": ("first", "second")}
# the classes of _SLOTS without an __init__ (runtime.values)
_BARE = ("Thunk", "Closure")


# Thunk.force written out, for a thunk `{t}` whose code is not None (its
# two locals are the same in every such block of a function: the blocks do
# not nest, and fewer locals make a smaller Python frame)
_FORCE_THUNK = """\
fc = {t}.code
if type(fc) is Blackhole: {t} = {t}.force()
else:
    {t}.code = BLACKHOLE
    try:
        fv = fc({t}.value)
    except EvalError as e:
        force_failed({t}, fc, e)
        raise
    except BaseException:
        {t}.code = fc
        raise
    {t}.value = fv; {t}.code = None; {t} = fv"""


class Unsupported(Exception):
    """The body cannot be generated; it stays a closure."""


class _Writer:
    """One generated Python function: its lines, temporaries, the Python
    locals holding the frames in scope (`frames[0]` is the parameter `env`)
    and the variables already forced into locals."""

    def __init__(self, name: str):
        self.name = name
        self.lines = [f"def {name}(env):"]
        self.depth = 1
        self.ntmp = 0
        self.frames = ["env"]
        self.forced: dict = {}
        self.counted = 0        # counted calls open (CodeGen.counted_call)

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def tmp(self, prefix: str = "t") -> str:
        self.ntmp += 1
        return f"{prefix}{self.ntmp}"

    def indent(self):
        return _Indent(self)

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Indent:
    def __init__(self, w: _Writer):
        self.w = w

    def __enter__(self):
        self.w.depth += 1

    def __exit__(self, *exc):
        self.w.depth -= 1


def _count_nodes(n, limit: int) -> int:
    count = 0
    stack = [n]
    while stack:
        x = stack.pop()
        count += 1
        if count > limit:
            break
        stack.extend(A.children(x))
        if type(x) is A.Attrs:
            stack.extend(d.value for d in x.attrs.values() if d.kind == A.INHERITED_FROM)
        elif type(x) is A.Let:
            stack.append(x.attrs)
    return count


class CodeGen:
    """Writes, compiles and returns the generated body of one lambda."""

    def __init__(self, compiler, lam_node: A.Lambda):
        self.c = compiler
        self.ev = compiler.ev
        self.source = compiler.source
        self.lam_node = lam_node
        self.g = dict(_RUNTIME)
        self.g["ev"] = compiler.ev
        self.g["SRC"] = compiler.source
        self.g["MAXD"] = compiler.ev.max_call_depth
        self.functions: list[_Writer] = []
        self.nconst = 0
        self._const_ids: dict = {}
        self.pure_off = False       # (arith: see pure_arith)

    # -- constants ---------------------------------------------------------------------------
    def const(self, value, prefix: str = "K") -> str:
        key = id(value)
        name = self._const_ids.get(key)
        if name is not None and self.g[name] is value:
            return name
        self.nconst += 1
        name = f"{prefix}{self.nconst}"
        self.g[name] = value
        self._const_ids[key] = name
        return name

    def fallback(self, n, w: _Writer, target: str) -> None:
        """The node's tier-1 closure, called on the current frame."""
        code = self.const(self.c.compile(n), "C")
        w.emit(f"{target} = {code}({w.frames[-1]})")

    # -- entry point -------------------------------------------------------------------------
    def generate(self):
        body = self.lam_node.body
        if _count_nodes(body, MAX_NODES) > MAX_NODES:
            raise Unsupported("body too large")
        w = _Writer("body")
        self.functions.append(w)
        r = self.value(body, w)
        w.emit(f"return {r}")
        text = "\n".join(f.source() for f in self.functions)
        origin = self.source.origin
        code = compile_cached(text, f"<pynix tier 2: {origin}:{self._line(self.lam_node)}>")
        exec(code, self.g)
        dump = os.environ.get("PYNIX_JIT_DUMP")
        if dump:
            with open(dump, "a", encoding="utf-8") as f:
                f.write(f"# {origin}:{self._line(self.lam_node)}\n{text}\n")
        return self.g["body"]

    def _line(self, n) -> int:
        return self.source.line_col(n.span.start)[0]

    # -- frames and variables ----------------------------------------------------------------
    def frame_expr(self, w: _Writer, level: int) -> str:
        """The Python expression of the frame `level` scopes up."""
        k = len(w.frames) - 1
        if level <= k:
            return w.frames[k - level]
        return w.frames[0] + "[0]" * (level - k)

    def is_global(self, n: A.Var, w: _Writer) -> bool:
        """A name of the base environment (a builtin, or a REPL binding) far
        enough up that tier 1 memoizes it."""
        return n.binding is None and n.level >= 2 and n.level > len(w.frames) - 1

    def global_reader(self, n: A.Var):
        raw = self.c.var_raw(n)
        return self.const(raw, "R"), self.const(memo_of(raw), "M")

    def push_frame(self, w: _Writer, name: str) -> None:
        w.frames.append(name)

    def pop_frame(self, w: _Writer) -> None:
        """Leave the innermost frame: what was forced in it is forgotten (a
        later frame at the same depth is another one)."""
        w.frames.pop()
        depth = len(w.frames) - 1
        w.forced = {k: v for k, v in w.forced.items() if k[0] <= depth}

    def var_key(self, w: _Writer, n: A.Var):
        return (len(w.frames) - 1 - n.level, n.index)

    def var_value(self, n: A.Var, w: _Writer, plain: bool = False) -> str:
        """A statically bound variable, forced. `plain`: as `force` would
        (tier 1's `strict`: no position added to an infinite recursion)."""
        key = self.var_key(w, n)
        known = w.forced.get(key)
        if known is not None:
            return known
        i = n.index + 1
        t = w.tmp("v")
        if self.is_global(n, w):
            # a global (builtin): read once, through tier 1's memo
            raw, memo = self.global_reader(n)
            w.emit(f"{t} = {memo}[0] if {memo} else {raw}({w.frames[-1]})")
            slot = None
        else:
            fr = self.frame_expr(w, n.level)
            if "[" in fr:
                f = w.tmp("f")
                w.emit(f"{f} = {fr}")
                fr = f
            slot = f"{fr}[{i}]"
            w.emit(f"{t} = {slot}")
        w.emit(f"if type({t}) is Thunk:")
        with w.indent():
            w.emit(f"if {t}.code is None:")
            with w.indent():
                w.emit(f"{t} = {t}.value")
            w.emit("else:")
            with w.indent():
                if plain:
                    self.force_thunk(w, t)
                else:
                    span = self.const(n.span, "S")
                    w.emit("try:")
                    with w.indent():
                        self.force_thunk(w, t)
                    w.emit("except InfiniteRecursionError as e:")
                    with w.indent():
                        w.emit(f"e.at(SRC, {span})")
                        w.emit("raise")
            if slot is not None:
                # the value replaces its forced thunk in the frame
                w.emit(f"{slot} = {t}")
        if plain and slot is not None:
            # tier 1's strict read of a slot not filled yet
            w.emit(f"elif {t} is UNSET:")
            with w.indent():
                code = self.const(self.c.compile(n), "C")
                w.emit(f"{t} = {code}({w.frames[-1]})")
        w.forced[key] = t
        return t

    def var_lazy(self, n: A.Var, w: _Writer) -> str:
        """A statically bound variable, unforced: its own thunk or value (a
        slot not filled yet gets a thunk reading it later)."""
        known = w.forced.get(self.var_key(w, n))
        if known is not None:
            return known
        t = w.tmp("l")
        if self.is_global(n, w):
            raw, memo = self.global_reader(n)
            w.emit(f"{t} = {memo}[0] if {memo} else {raw}({w.frames[-1]})")
        else:
            fr = self.frame_expr(w, n.level)
            w.emit(f"{t} = {fr}[{n.index + 1}]")
        code = self.const(self.c.compile(n), "C")
        w.emit(f"if {t} is UNSET:")
        with w.indent():
            w.emit(f"{t} = make_thunk({code}, {w.frames[-1]})")
        return t

    def force_thunk(self, w: _Writer, t: str) -> None:
        """`t = t.force()` for the thunk in `t`, not forced yet, written out
        (one Python call fewer for each thunk forced here): what
        Thunk.force does, its error bookkeeping by values.force_failed, and
        a thunk being forced (or failed before) left to Thunk.force."""
        pad = "\n" + "    " * w.depth
        w.lines.append(pad[1:] + _FORCE_THUNK.format(t=t).replace("\n", pad))

    def force_entry(self, w: _Writer, x: str, entry: str) -> None:
        """The thunk in `x`, read from `entry` (an attrset's dict), forced
        into `x`, its value replacing it in `entry` (as Nix overwrites the
        Value in place)."""
        w.emit(f"if {x}.code is None: {x} = {x}.value")
        w.emit("else:")
        with w.indent():
            self.force_thunk(w, x)
        w.emit(f"{entry} = {x}")

    # -- values and laziness ---------------------------------------------------------------
    def value(self, n, w: _Writer, target: str | None = None, plain: bool = False) -> str:
        """Emit statements computing `n` in weak head normal form; return the
        Python expression holding it (`target` when given)."""
        t = type(n)
        if t is A.Int:
            r = repr(n.value)
        elif t in (A.Float, A.Str):
            r = self.const(n.value)
        elif t is A.Path:
            r = self.const(self.c.constant(n))
        elif t is A.Var and not n.from_with:
            r = self.var_value(n, w, plain)
        else:
            method = getattr(self, "g_" + t.__name__, None)
            tgt = target or w.tmp()
            if method is None:
                self.fallback(n, w, tgt)
            else:
                method(n, w, tgt)
            return tgt
        if target is not None and target != r:
            w.emit(f"{target} = {r}")
            return target
        return r

    def lazy(self, n, w: _Writer, as_expr: bool = False) -> str:
        """Emit what is needed and return an expression for `n` unevaluated:
        a constant, a variable's value or thunk, or a new thunk (made by
        statements emitted here, into a temporary; with `as_expr`, by the
        expression returned, for a caller that makes it only on one branch)."""
        t = type(n)
        if t in (A.Int, A.Float, A.Str, A.Path):
            return self.value(n, w)
        if t is A.Var and not n.from_with:
            return self.var_lazy(n, w)
        if t is A.Lambda:
            # as tier 1: a thunk whose code makes the closure
            code = self.const(self.c.compile(n), "C")
        else:
            code = self.thunk_function(n)
        if as_expr:
            return f"make_thunk({code}, {w.frames[-1]})"
        return self.new_object(w, "Thunk", code, w.frames[-1])

    def new_object(self, w: _Writer, cls: str, a: str, b: str, target: str | None = None) -> str:
        """Emit the making of a Thunk (code, env), Closure (lam, env) or
        small Attrs (d, pos: fewer names than BIG) without its Python
        `__init__` (a call, the most frequent one of an evaluation): the
        object made empty, its two slots stored here. Thunk and Closure
        have no __init__, and are made by calling the class (cheaper than
        object.__new__, which is given its argument in a tuple)."""
        t = target or w.tmp("o")
        first, second = _SLOTS[cls]
        new = f"{cls}()" if cls in _BARE else f"NEW({cls})"
        w.emit(f"{t} = {new}; {t}.{first} = {a}; {t}.{second} = {b}")
        return t

    def thunk_function(self, n) -> str:
        """A generated function computing `n`, taking the frame of `n` as
        its environment: the code of `n`'s thunks."""
        sub = _Writer(f"th{len(self.functions)}")
        self.functions.append(sub)
        r = self.value(n, sub)
        sub.emit(f"return {r}")
        return sub.name

    # -- branches ---------------------------------------------------------------------------
    def branch(self, w: _Writer, n, target: str, plain: bool = False) -> None:
        """`n` into `target` in a branch: what it forces is known only inside."""
        saved = dict(w.forced)
        with w.indent():
            self.value(n, w, target, plain)
        w.forced = saved

    # -- node kinds -------------------------------------------------------------------------
    def g_If(self, n: A.If, w: _Writer, target: str) -> None:
        c = self.value(n.cond, w)
        if not c.isidentifier():
            # a literal condition: `is` wants a name
            t = w.tmp()
            w.emit(f"{t} = {c}")
            c = t
        span = self.const(n.cond.span, "S")
        w.emit(f"if {c} is True:")
        self.branch(w, n.then, target)
        w.emit(f"elif {c} is False:")
        self.branch(w, n.else_, target)
        w.emit("else:")
        with w.indent():
            w.emit(f"raise type_error('a Boolean', {c}, SRC, {span})")

    def framed(self, n, w: _Writer, message: str, pos, target: str | None = None) -> str:
        """`n`'s value, with `message` added as a trace frame to its errors."""
        r = target or w.tmp()
        msg, sp = self.const(message, "T"), self.const(pos, "S")
        saved = dict(w.forced)
        w.emit("try:")
        with w.indent():
            self.value(n, w, r)
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise e.add_frame({msg}, SRC, {sp})")
        # what the try forced is forced after it too (an error leaves)
        del saved
        return r

    def g_Not(self, n: A.Not, w: _Writer, target: str) -> None:
        span, pos = self.const(n.expr.span, "S"), self.const(node_pos(n.expr), "S")
        v = w.tmp()
        w.emit("try:")
        with w.indent():
            self.value(n.expr, w, v)
            w.emit(f"if type({v}) is not bool:")
            with w.indent():
                w.emit(f"raise type_error('a Boolean', {v}, SRC, {span})")
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise e.add_frame(\"in the argument of '!'\", SRC, {pos})")
        w.emit(f"{target} = not {v}")

    def bool_operand(self, n, w: _Writer, message: str, target: str) -> None:
        span, pos = self.const(n.span, "S"), self.const(node_pos(n), "S")
        msg = self.const(message, "T")
        w.emit("try:")
        with w.indent():
            self.value(n, w, target)
            w.emit(f"if type({target}) is not bool:")
            with w.indent():
                w.emit(f"raise type_error('a Boolean', {target}, SRC, {span})")
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise e.add_frame({msg}, SRC, {pos})")

    def g_BinOp(self, n: A.BinOp, w: _Writer, target: str) -> None:
        op = n.op
        if op in ("&&", "||", "->"):
            self.bool_operand(n.lhs, w, f"in the left operand of '{op}'", target)
            cond = {"&&": target, "||": f"not {target}", "->": target}[op]
            w.emit(f"if {cond}:")
            saved = dict(w.forced)
            with w.indent():
                self.bool_operand(n.rhs, w, f"in the right operand of '{op}'", target)
            w.forced = saved
            if op == "->":
                w.emit("else:")
                with w.indent():
                    w.emit(f"{target} = True")
            return
        if op in ("==", "!="):
            x = self.framed(n.lhs, w, f"in the left operand of '{op}'", node_pos(n.lhs))
            y = self.framed(n.rhs, w, f"in the right operand of '{op}'", node_pos(n.rhs))
            rlit = _literal_test(n.rhs)
            lit = rlit or _literal_test(n.lhs)
            if lit is not None:
                # `e == "s"`, `e == 1`, `e != [ ]`, `e == { }`: one type test
                # before ops.equal
                side = x if rlit else y
                fast = (f"type({side}) is {lit[0]}", lit[1].format(x=x, y=y, side=side))
                null = (f"{side} is None", "False")
            else:
                ty = w.tmp()
                w.emit(f"{ty} = type({x})")
                fast = (f"{ty} is type({y}) and ({ty} is int or {ty} is str)", f"{x} == {y}")
                null = (f"{x} is None or {y} is None", f"{x} is {y}")
            w.emit(f"if {fast[0]}:")
            with w.indent():
                w.emit(f"{target} = {fast[1]}")
            w.emit(f"elif {null[0]}:")
            with w.indent():
                w.emit(f"{target} = {null[1]}")
            w.emit("else:")
            with w.indent():
                w.emit(f"{target} = equal({x}, {y})")
            if op == "!=":
                w.emit(f"{target} = not {target}")
            return
        span = self.const(n.op_span or n.span, "S")
        x = self.framed(n.lhs, w, f"in the left operand of '{op}'", node_pos(n.lhs))
        y = self.framed(n.rhs, w, f"in the right operand of '{op}'", node_pos(n.rhs))
        if op == "//":
            w.emit(f"if type({x}) is not Attrs:")
            with w.indent():
                w.emit(f"raise type_error('a set', {x}, SRC, {span})")
            w.emit(f"if type({y}) is not Attrs:")
            with w.indent():
                w.emit(f"raise type_error('a set', {y}, SRC, {span})")
            w.emit(f"if not {y}.d:")
            with w.indent():
                w.emit(f"{target} = {x}")
            w.emit(f"elif not {x}.d:")
            with w.indent():
                w.emit(f"{target} = {y}")
            w.emit("else:")
            with w.indent():
                xd, yd = w.tmp("d"), w.tmp("d")
                w.emit(f"{xd}, {yd} = {x}.d, {y}.d")
                w.emit(f"if type({xd}) is dict and type({yd}) is dict and len({xd}) + len({yd}) < BIG:")
                with w.indent():
                    # a small result: the set and merge_pos's work made here
                    px, py = w.tmp("p"), w.tmp("p")
                    w.emit(f"{px}, {py} = {x}.pos, {y}.pos")
                    m = w.tmp("m")
                    w.emit(f"if {py} is None: {py} = {px}")
                    w.emit(f"elif {px} is not None: {m} = NEW(MergedPositions); {m}.first = {px}; "
                           f"{m}.second = {py}; {py} = {m}")
                    self.new_object(w, "Attrs", f"{{**{xd}, **{yd}}}", py, target)
                w.emit("else:")
                with w.indent():
                    w.emit(f"{target} = Attrs(big_update({xd}, {yd}), merge_pos({x}.pos, {y}.pos))")
            return
        if op == "++":
            for v in (x, y):
                w.emit(f"if type({v}) is not list:")
                with w.indent():
                    w.emit(f"raise type_error('a list', {v}).add_frame("
                           f"'while evaluating one of the elements to concatenate', SRC, {span})")
            w.emit(f"{target} = {x} + {y} if {x} and {y} else ({y} if not {x} else {x})")
            return
        raise Unsupported(op)

    def g_Assert(self, n: A.Assert, w: _Writer, target: str) -> None:
        if type(n.cond) is A.BinOp and n.cond.op == "==":
            self.fallback(n, w, target)
            return
        text = self.const(f"while evaluating the condition of the assertion '{show(n.cond)}'", "T")
        failed = self.const(f"assertion '{show(n.cond)}' failed", "T")
        span, cspan = self.const(n.span, "S"), self.const(n.cond.span, "S")
        ok = w.tmp()
        w.emit("try:")
        with w.indent():
            self.value(n.cond, w, ok)
            w.emit(f"if type({ok}) is not bool:")
            with w.indent():
                w.emit(f"raise type_error('a Boolean', {ok}, SRC, {cspan})")
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise e.add_frame({text}, SRC, {span})")
        w.emit(f"if not {ok}:")
        with w.indent():
            w.emit(f"raise E.AssertionFailed({failed}, SRC, {span})")
        self.value(n.body, w, target)

    # -- attribute access ---------------------------------------------------------------------
    def g_Select(self, n: A.Select, w: _Writer, target: str) -> None:
        dynamic = any(a.name is None for a in n.path)
        if type(n.expr) is A.InheritFrom:
            self.fallback(n, w, target)
            return
        span = self.const(n.span, "S")
        names = [None if a.name is None else self.const(a.name, "N") for a in n.path]
        v = w.tmp()
        w.emit("try:")
        with w.indent():
            self.value(n.expr, w, v)
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise e.add_frame('while selecting an attribute', SRC, {span})")
        d, x = w.tmp("d"), w.tmp("x")
        if n.default is not None:
            # `a.b or d`: any missing step gives the default
            w.emit(f"{target} = NOTHING")
            saved = dict(w.forced)
            for k, name in enumerate(names):
                if name is None:
                    # `s.${e} or d`: the name computed before the step's test, as select_or does
                    name = self.dynamic_name(n.path[k], w)
                w.emit(f"if type({v}) is Attrs:")
                w.depth += 1
                w.emit(f"{d} = {v}.d")
                w.emit(f"{x} = {d}.get({name}, NOTHING)")
                w.emit(f"if {x} is not NOTHING:")
                w.depth += 1
                w.emit(f"if type({x}) is Thunk:")
                with w.indent():
                    self.force_entry(w, x, f"{d}[{name}]")
                w.emit(f"{v} = {x}")
            w.emit(f"{target} = {v}")
            w.depth -= 2 * len(names)
            w.forced = saved    # (what a step forced is known only inside it)
            w.emit(f"if {target} is NOTHING:")
            self.branch(w, n.default, target)
            return
        found = w.tmp("found")
        if dynamic:
            # an error shows the path with its names evaluated again (tier 1's select)
            shown = (self.const(n.path, "P"), self.const(self.c._names(n.path), "NS"),
                     self.const(self.c._name_value, "NV"))
            path_text = f"_attr_path_shown({shown[0]}, {shown[1]}, {w.frames[-1]}, {shown[2]}, SRC)"
        else:
            path_text = self.const(_attr_path_text(n.path), "T")
        w.emit(f"{found} = None")
        w.emit("try:")
        with w.indent():
            for k, name in enumerate(names):
                if name is None:
                    # `s.${e}`: the name computed before the step's test, as select does
                    name = self.dynamic_name(n.path[k], w)
                w.emit(f"if type({v}) is not Attrs:")
                with w.indent():
                    if k == 0:
                        w.emit(f"raise type_error('a set', {v}, SRC, {span})")
                    else:
                        w.emit(f"raise type_error('a set', {v}, SRC, {span}).add_frame("
                               f"'while selecting an attribute', SRC, {span})")
                w.emit(f"{d} = {v}.d")
                # (a subscript: no call of `get`, and no test when the name is there)
                w.emit("try:")
                with w.indent():
                    w.emit(f"{x} = {d}[{name}]")
                w.emit("except KeyError:")
                with w.indent():
                    w.emit(f"raise missing_attr({name}, {v}, None, None) from None")
                if k + 1 < len(names):
                    w.emit(f"{found} = ({v}, {name})")
                    w.emit(f"if type({x}) is Thunk:")
                    with w.indent():
                        self.force_entry(w, x, f"{d}[{name}]")
                else:
                    # the last attribute found matters only to an error while
                    # forcing its value: noted just before that
                    w.emit(f"if type({x}) is Thunk:")
                    with w.indent():
                        w.emit(f"if {x}.code is None:")
                        with w.indent():
                            w.emit(f"{x} = {d}[{name}] = {x}.value")
                        w.emit("else:")
                        with w.indent():
                            w.emit(f"{found} = ({v}, {name})")
                            self.force_thunk(w, x)
                            w.emit(f"{d}[{name}] = {x}")
                w.emit(f"{v} = {x}")
        w.emit("except EvalError as e:")
        with w.indent():
            w.emit(f"raise select_failed(e, {found}, {path_text}, SRC, {span})")
        w.emit(f"{target} = {v}")

    def g_HasAttr(self, n: A.HasAttr, w: _Writer, target: str) -> None:
        v = self.framed(n.expr, w, "in the argument of '?'", node_pos(n.expr))
        w.emit(f"{target} = False")
        cur = w.tmp()
        w.emit(f"{cur} = {v}")
        saved = dict(w.forced)
        for k, an in enumerate(n.path):
            name = self.dynamic_name(an, w) if an.name is None else self.const(an.name, "N")
            w.emit(f"if type({cur}) is Attrs and {name} in {cur}.d:")
            w.depth += 1
            if k + 1 < len(n.path):
                w.emit(f"{cur} = force({cur}.d[{name}])")
            else:
                w.emit(f"{target} = True")
        w.depth -= len(n.path)
        # (a dynamic name after the first is computed only when the path
        # gets that far)
        w.forced = saved

    def dynamic_name(self, an: A.AttrName, w: _Writer) -> str:
        """The name `${e}` gives, as tier 1's _name_value computes it."""
        v = self.value(an.expr, w)
        name = w.tmp("nm")
        w.emit(f"{name} = {v} if type({v}) is str else attr_name({v}, SRC, {self.const(node_pos(an.expr), 'S')})")
        return name

    def g_Var(self, n: A.Var, w: _Writer, target: str) -> None:
        # a name some `with` provides
        levels = self.const(n.with_levels, "L")
        name = self.const(n.name, "N")
        span = self.const(n.span, "S")
        w.emit(f"{target} = with_lookup({w.frames[-1]}, {levels}, {name}, SRC, {span})")

    # -- attrsets, let, with, lists ------------------------------------------------------------
    def name_lambdas(self, attrs: A.Attrs) -> None:
        """ExprLambda::setName, as tier 1's `_attr_builders` does it."""
        for name, d in attrs.attrs.items():
            lam = d.value
            while type(lam) is A.Lambda:
                self.c._lambda_names[id(lam)] = name
                lam = lam.body

    def fill_frame(self, attrs: A.Attrs, w: _Writer, outer: str, inner: str) -> dict:
        """The values of a `let` or `rec { }` in order, each stored in its slot
        of the frame `inner` as it is made; returns name -> expression."""
        slot_of = {name: i + 1 for i, name in enumerate(attrs.slots)}
        srcs = []
        if attrs.inherit_from:
            self.push_frame(w, inner)
            for s in attrs.inherit_from:
                t = w.tmp("src")
                w.emit(f"{t} = {self.lazy(s, w)}")
                srcs.append(t)
            self.pop_frame(w)
        out = {}
        for name, d in attrs.attrs.items():
            t = w.tmp("a")
            if d.kind == A.INHERITED_FROM:
                self.inherited_from(w, srcs[d.value.expr.index], name, d, t)
            elif d.kind == A.INHERITED:
                w.emit(f"{t} = {self.lazy(d.value, w)}")
            else:
                self.push_frame(w, inner)
                w.emit(f"{t} = {self.lazy(d.value, w)}")
                self.pop_frame(w)
            w.emit(f"{inner}[{slot_of[name]}] = {t}")
            out[name] = t
        return out

    def inherited_from(self, w: _Writer, src: str, name: str, d, target: str) -> None:
        """`inherit (src) name;`: the thunk tier 1 makes (its code the
        site's selection.inherited_select, its environment the source set)."""
        code = self.const(inherited_select(name, self.c.source, d.span), "I")
        self.new_object(w, "Thunk", code, src, target)

    def g_Attrs(self, n: A.Attrs, w: _Writer, target: str) -> None:
        if n.dynamic or len(n.attrs) > MAX_MEMBERS or (n.rec and "__overrides" in n.attrs):
            self.fallback(n, w, target)
            return
        self.name_lambdas(n)
        pos = self.const(Positions(self.source, {name: d.span for name, d in n.attrs.items()}), "P")
        if n.rec:
            inner = w.tmp("fr")
            w.emit(f"{inner} = [UNSET] * {len(n.slots) + 1}")
            w.emit(f"{inner}[0] = {w.frames[-1]}")
            vals = self.fill_frame(n, w, w.frames[-1], inner)
        else:
            srcs = []
            for s in n.inherit_from:
                t = w.tmp("src")
                w.emit(f"{t} = {self.lazy(s, w)}")
                srcs.append(t)
            vals = {}
            for name, d in n.attrs.items():
                t = w.tmp("a")
                if d.kind == A.INHERITED_FROM:
                    self.inherited_from(w, srcs[d.value.expr.index], name, d, t)
                else:
                    w.emit(f"{t} = {self.lazy(d.value, w)}")
                vals[name] = t
        items = ", ".join(f"{self.const(name, 'N')}: {t}" for name, t in vals.items())
        self.new_object(w, "Attrs", f"{{{items}}}", pos, target)

    def g_Let(self, n: A.Let, w: _Writer, target: str) -> None:
        attrs = n.attrs
        if len(attrs.attrs) > MAX_MEMBERS:
            self.fallback(n, w, target)
            return
        self.name_lambdas(attrs)
        inner = w.tmp("fr")
        w.emit(f"{inner} = [UNSET] * {len(attrs.slots) + 1}")
        w.emit(f"{inner}[0] = {w.frames[-1]}")
        self.fill_frame(attrs, w, w.frames[-1], inner)
        self.push_frame(w, inner)
        self.value(n.body, w, target)
        self.pop_frame(w)

    def g_With(self, n: A.With, w: _Writer, target: str) -> None:
        inner = w.tmp("fr")
        w.emit(f"{inner} = [{w.frames[-1]}, {self.lazy(n.env, w)}]")
        self.push_frame(w, inner)
        self.value(n.body, w, target)
        self.pop_frame(w)

    def g_List(self, n: A.List, w: _Writer, target: str) -> None:
        if is_constant_list(n):
            # tier 1's one list (compile.attrsets.is_constant_list)
            w.emit(f"{target} = {self.const(self.c.compile(n)(None))}")
            return
        if len(n.elems) > MAX_MEMBERS:
            self.fallback(n, w, target)
            return
        elems = [self.lazy(e, w) for e in n.elems]
        w.emit(f"{target} = [{', '.join(elems)}]")

    def g_Lambda(self, n: A.Lambda, w: _Writer, target: str) -> None:
        self.c.compile(n)           # makes (or finds) its LambdaCode
        lam = self.const(self.c._lambda_codes[id(n)], "LAM")
        self.new_object(w, "Closure", lam, w.frames[-1], target)

    # -- strings ---------------------------------------------------------------------------
    def g_ConcatStrings(self, n: A.ConcatStrings, w: _Writer, target: str) -> None:
        site = self.const(self.c.concat_site(n), "CS")
        fr = w.frames[-1]
        if n.force_string:
            # "...${x}...": plain strings joined here, the rest by the site
            vals = []
            w.emit(f"{target} = NOTHING")
            w.emit("while True:")
            with w.indent():
                for k, p in enumerate(n.parts):
                    if type(p) is A.Str:
                        vals.append(self.const(p.value))
                        continue
                    v = w.tmp()
                    saved = dict(w.forced)
                    w.emit("try:")
                    with w.indent():
                        if not self.int_to_string(p, w, v):
                            self.value(p, w, v, plain=True)
                    w.emit("except Exception as e:")
                    with w.indent():
                        w.emit(f"{target} = {site}.resume({fr}, [{', '.join(vals)}], {k}, _raising(e))")
                        w.emit("break")
                    w.emit(f"if type({v}) is not str:")
                    with w.indent():
                        w.emit(f"{target} = {site}.resume({fr}, [{', '.join(vals)}], {k}, {v})")
                        w.emit("break")
                    del saved
                    vals.append(v)
                w.emit(f"{target} = ''.join(({', '.join(vals)},))")
                w.emit("break")
            # the parts forced inside the loop may not all have been
            w.forced = {}
            return
        if n.op_span is None or len(n.parts) != 2:
            self.fallback(n, w, target)
            return
        # `a + b`
        x, y = w.tmp(), w.tmp()
        saved = dict(w.forced)
        w.emit(f"{target} = NOTHING")
        w.emit("try:")
        with w.indent():
            self.value(n.parts[0], w, x, plain=True)
        w.emit("except Exception as e:")
        with w.indent():
            w.emit(f"{target} = {site}.x_failed({fr}, e)")
        w.emit("else:")
        with w.indent():
            w.emit(f"if type({x}) is not int and type({x}) is not str:")
            with w.indent():
                w.emit(f"{target} = {site}.x_other({fr}, {x})")
            w.emit("else:")
            with w.indent():
                w.emit("try:")
                with w.indent():
                    self.value(n.parts[1], w, y, plain=True)
                w.emit("except Exception as e:")
                with w.indent():
                    w.emit(f"{target} = {site}.y_failed({x}, e)")
                w.emit("else:")
                with w.indent():
                    w.emit(f"if type({x}) is type({y}):")
                    with w.indent():
                        w.emit(f"{target} = {x} + {y}")
                        w.emit(f"if type({x}) is int and not (INT_MIN <= {target} <= INT_MAX):")
                        with w.indent():
                            w.emit(f"{target} = {site}.finish([{x}, {y}])")
                    w.emit("else:")
                    with w.indent():
                        w.emit(f"{target} = {site}.finish([{x}, {y}])")
        w.forced = saved

    def int_to_string(self, n, w: _Writer, target: str) -> bool:
        """`toString x` interpolated (`"n${toString i}"`), x a variable: when
        `toString` is the builtin, x holds an integer and the call depth
        allows the builtin's call, its decimal text at once (what
        _to_string returns, with no error possible); otherwise the call as
        `value` makes it. The same for x integer arithmetic on variables
        (`toString (i / 2)`: int_tree's shapes), computed at once when
        pure_arith would compute it, one call deeper (toString forces it).
        False when `n` is not of that shape."""
        if (type(n) is not A.Call or len(n.args) != 1 or type(n.fn) is not A.Var or n.fn.from_with
                or n.fn.name != "toString" or not self.is_global(n.fn, w)):
            return False
        x = n.args[0]
        builtins = getattr(self.ev, "builtins", None)
        prim = builtins.d.get("toString") if builtins is not None else None
        if x.from_with if type(x) is A.Var else type(x) is not A.Call:
            return False
        if type(prim) is not PrimOp or prim.arity != 1:
            return False
        raw, memo = self.global_reader(n.fn)
        saved = dict(w.forced)
        if type(x) is not A.Var:
            parts = ([], [], [], [])
            tree = self.pure_off is False and self.int_tree(x, w, *parts)
            if not tree:
                w.forced = saved
                return False
            parts[1].append(f"({memo}[0] if {memo} else {raw}({w.frames[-1]})) is {self.const(prim, 'PRIM')}")
            xv = w.tmp("r")
            self.computed_at_once(w, parts, tree[0], tree[1] + 1, xv, "NOTHING")
            test = f"{xv} is not NOTHING"
        else:
            xv = w.tmp("x")
            w.emit(f"{xv} = {self.var_lazy(x, w)}")
            test = (f"type({xv}) is int and ({memo}[0] if {memo} else {raw}({w.frames[-1]})) is "
                    f"{self.const(prim, 'PRIM')} and ev.depth < MAXD")
        w.emit(f"if {test}:")
        with w.indent():
            w.emit(f"{target} = str({xv})")
        w.emit("else:")
        with w.indent():
            self.value(n, w, target, plain=True)
        w.forced = saved
        return True

    # -- calls -----------------------------------------------------------------------------
    def g_Call(self, n: A.Call, w: _Writer, target: str) -> None:
        fn = n.fn
        if (type(fn) is A.Var and not fn.from_with and len(n.args) == 2
                and fn.name in ("__sub", "__mul", "__div", "__lessThan")):
            site = self.c.arith_site(n)
            if site is not None:
                self.arith(n, site, w, target)
                return
        call_span = self.const(node_pos(n), "S")
        f = w.tmp("fn")
        self.value(fn, w, f)
        guess = self.guessed_builtin(n)
        if guess is None:
            self.call_generic(n, w, f, call_span, target)
            return
        # the builtin the name says: its strict argument computed in place
        saved = dict(w.forced)
        w.emit(f"if {f} is {self.const(guess[0], 'PRIM')}:")
        with w.indent():
            if guess[1] is None:
                self.elem_at_call(n, w, guess[0], call_span, target)
            else:
                self.strict_builtin_call(n, w, guess, call_span, target)
        w.forced = dict(saved)
        w.emit("else:")
        with w.indent():
            self.call_generic(n, w, f, call_span, target)
        w.forced = saved

    def guessed_builtin(self, n: A.Call):
        """For a call `map f xs`, `lib.concatMap f xs`, `builtins.attrNames
        s`, ...: (the builtin of that name, its entry of STRICT_ARGUMENTS)
        when the call gives it all its arguments and one of them would be a
        thunk it forces at once, or a lambda it forces before anything can
        see it; else None. Only a guess by name: the generated code checks
        that the function really is that builtin."""
        fn = n.fn
        if type(fn) is A.Var:
            name = fn.name
        elif type(fn) is A.Select and fn.default is None and fn.path[-1].name is not None:
            name = fn.path[-1].name
        else:
            return None
        builtins = getattr(self.ev, "builtins", None)
        if name == "elemAt" and len(n.args) == 2:
            # (lib's zipListsWith, sublist, imap0: one call per element)
            prim = builtins.d.get(name) if builtins is not None else None
            return (prim, None) if type(prim) is PrimOp and prim.arity == 2 else None
        shape = STRICT_ARGUMENTS.get(name)
        if shape is None or shape[0] != len(n.args):
            return None
        prim = builtins.d.get(name) if builtins is not None else None
        if type(prim) is not PrimOp or prim.arity != len(n.args):
            return None
        _, fi, si, after_fn = shape
        lam = fi is not None and type(n.args[fi]) is A.Lambda
        if not lam and name not in INLINE_BUILTINS and (si is None or after_fn or not _makes_thunk(n.args[si])):
            return None
        return prim, shape

    def strict_builtin_call(self, n: A.Call, w: _Writer, guess, call_span: str, target: str) -> None:
        """`n`, a call of the builtin `guess[0]` on all its arguments, as
        call_primop makes it, where the argument the builtin forces first is
        computed in place (inside the call's depth step and error frames, so
        its errors get exactly the frames they get when the builtin forces
        its thunk, which nothing else could see) and a lambda given as the
        function argument is its closure (the builtin forces it before
        keeping or showing it; making a closure cannot fail)."""
        prim, (_, fi, si, after_fn) = guess
        inline = INLINE_BUILTINS.get(prim.name)
        if inline is None and si is not None and not _makes_thunk(n.args[si]):
            si = None
        if si is not None and after_fn and type(n.args[fi]) is not A.Lambda:
            si = None
        args = [None] * len(n.args)

        def before():
            if prim.name == "addErrorContext":
                self.error_context_value(n, w, p, args)
                return
            if si is not None:
                # (a variable forced as the builtin forces its thunk: `plain`)
                args[si] = self.value(n.args[si], w, w.tmp("sa"), plain=inline is not None)
            for i, a in enumerate(n.args):
                if args[i] is None:
                    t = args[i] = w.tmp("arg")
                    if i == fi and type(a) is A.Lambda:
                        self.value(a, w, t)
                    else:
                        w.emit(f"{t} = {self.lazy(a, w)}")
        p = self.const(prim, "PRIM")

        def call():
            text = f"{p}.fn(ev, {', '.join(args)})"
            if inline is None:
                return text
            names = {"x": args[0], "t": target, "call": text}
            names.update((f"a{i}", a) for i, a in enumerate(args))
            for line in inline:
                if line.startswith("force "):
                    self.force_in_place(w, line[6:].format(**names))
                else:
                    w.emit(line.format(**names))
            return None
        self.primop_call(w, p, call, call_span, target, before)

    def error_context_value(self, n: A.Call, w: _Writer, p: str, args: list) -> None:
        """For `addErrorContext msg e`: e's value computed in place, as the
        builtin forces its thunk (`plain`), into args[1]. Its error is handed
        to the builtin (p) as a thunk raising it (frames._raising), with the
        message's thunk, made only then: the builtin adds the context line
        as it does to the error of a thunk it forces, and raises it again.
        On success the call's value is e's (INLINE_BUILTINS)."""
        before = dict(w.forced)
        w.emit("try:")
        with w.indent():
            args[1] = self.value(n.args[1], w, w.tmp("sa"), plain=True)
        after = w.forced
        w.forced = before   # (the handler cannot know what the try forced)
        w.emit("except EvalError as e:")
        with w.indent():
            msg = self.lazy(n.args[0], w, as_expr=True)
            w.emit(f"{p}.fn(ev, {msg}, _raising(e))")
            w.emit("raise")
        w.forced = after
        args[0] = "None"    # (not read on success)

    def elem_at_call(self, n: A.Call, w: _Writer, prim, call_span: str, target: str) -> None:
        """`elemAt xs i`, a call of the builtin elemAt, as call_primop makes
        it: when the index is an integer (a value, a thunk forced to one, or
        integer arithmetic int_tree computes without forcing anything or
        failing: what prim_elemAt's forcing of its thunk would give) and the
        list a list (a value or a thunk forced to one) holding that index,
        the element read and forced here, inside the call's depth step and
        frames as prim_elemAt forces it; anything else (a thunk to force, an
        index out of range, a wrong type) is the builtin's own call on the
        same arguments, so every error, frame and order of forcing is its."""
        p = self.const(prim, "PRIM")
        xs, ix = w.tmp("xs"), w.tmp("ix")

        def before():
            w.emit(f"{xs} = {self.lazy(n.args[0], w)}")
            i_node = n.args[1]
            parts = [], [], [], []
            tree = None
            if type(i_node) is A.ConcatStrings or type(i_node) is A.Call:
                tree = self.int_tree(i_node, w, *parts)
            if tree is None:
                w.emit(f"{ix} = {self.lazy(i_node, w)}")
            else:
                self.computed_at_once(w, parts, tree[0], tree[1], ix, self.lazy(i_node, w, as_expr=True))
            w.emit(f"if ((type({ix}) is int or type({ix}) is Thunk and {ix}.code is None"
                   f" and type({ix} := {ix}.value) is int)"
                   f" and (type({xs}) is list or type({xs}) is Thunk and {xs}.code is None"
                   f" and type({xs} := {xs}.value) is list) and 0 <= {ix} < len({xs})):")
            with w.indent():
                w.emit(f"{target} = {xs}[{ix}]")
                w.emit(f"if type({target}) is Thunk:")
                with w.indent():
                    w.emit(f"{target} = {target}.value if {target}.code is None else {target}.force()")
            w.emit("else:")
            with w.indent():
                w.emit(f"{target} = {p}.fn(ev, {xs}, {ix})")
        self.primop_call(w, p, lambda: None, call_span, target, before)

    def call_generic(self, n: A.Call, w: _Writer, f: str, call_span: str, target: str) -> None:
        """The call of the function value `f` on `n`'s arguments."""
        if len(n.args) == 1:
            a = w.tmp("arg")
            step = self.total_step(n.args[0], w)
            if step is None:
                w.emit(f"{a} = {self.lazy(n.args[0], w)}")
                self.call_one(w, f, a, call_span, target)
            else:
                self.call_one(w, f, a, call_span, target, (step, n.args[0]))
            return
        if len(n.args) == 2:
            a0 = self.lazy(n.args[0], w)
            t0 = w.tmp("arg")
            w.emit(f"{t0} = {a0}")
            a1 = self.lazy(n.args[1], w)
            t1 = w.tmp("arg")
            w.emit(f"{t1} = {a1}")
            # a builtin of two arguments (`elemAt xs i`, `map f xs`) called
            # here; anything else as call2 does it
            self.builtin_branches(w, f, [t0, t1], call_span, target)
            # a lambda `a: b: ...` entered at its inner body, as call2 does
            self.curried_branch(w, f, [t0, t1], call_span, target)
            w.emit("else:")
            with w.indent():
                w.emit(f"{target} = call2(ev, {f}, {t0}, {t1}, SRC, {call_span})")
            return
        args = []
        for a in n.args:
            t = w.tmp("arg")
            w.emit(f"{t} = {self.lazy(a, w)}")
            args.append(t)
        # a builtin given exactly its arguments (`foldl' op nul xs`) called here
        self.builtin_branches(w, f, args, call_span, target)
        if len(args) <= MAX_CURRIED:
            # `a: b: c: ...` entered at its innermost body, as calln does
            self.curried_branch(w, f, args, call_span, target, force_result=True)
        if len(args) == 3:
            # `a: b: ...` given a third argument (lib's foldl', a function
            # giving a function): as calln does it, call2's work for the
            # first two, then the call of what they give on the third
            g = w.tmp("fn")
            self.curried_branch(w, f, args[:2], call_span, g, force_result=True,
                                then=lambda: self.call_one(w, g, args[2], call_span, target))
        w.emit("else:")
        with w.indent():
            w.emit(f"{target} = calln(ev, {f}, ({', '.join(args)},), SRC, {call_span})")

    def curried_branch(self, w: _Writer, f: str, args: list, call_span: str, target: str,
                       force_result: bool = False, then=None) -> None:
        """The `elif` branch of a call of `f` on `args` (two or more) when `f`
        is a lambda `a: b: ...` curried at least that deep, none with formals:
        its innermost body entered with the frames `[[env, a], b]`, one call
        deep, as call2 and calln enter it (the closures in between cannot
        fail and nothing else sees them). `force_result`: a thunk it gives
        forced after that call, as calln forces it. `then()` writes what
        follows in the branch."""
        # (these locals, and call_one's and builtin_branches', live only
        # until the call: the same names serve every call site of a function)
        lams = [f"inner{k}_" for k in range(1, len(args))]
        cond = [f"type({f}) is Closure", f"{f}.lam.formals is None"]
        prev = f"{f}.lam"
        for lam in lams:
            cond += [f"({lam} := {prev}.inner) is not None", f"{lam}.formals is None"]
            prev = lam
        frame = f"{f}.env"
        for a in args:
            frame = f"[{frame}, {a}]"
        w.emit(f"elif ({' and '.join(cond)}):")
        with w.indent():
            with self.counted_call(w, call_span):
                w.emit(f"{target} = {lams[-1]}.body({frame})")
            self.end_counted_call(w, [("EvalError", f"raise lambda_frames(e, {lams[-1]}, SRC, {call_span})")])
            if force_result:
                self.force_in_place(w, target)
            if then is not None:
                then()

    def builtin_branches(self, w: _Writer, f: str, args: list, call_span: str, target: str,
                         keyword: str = "if") -> None:
        """The branches of a call of `f` on all of `args` when `f` is a
        builtin of exactly that many arguments (`toString i`, `substring 0 0
        s`, `elemAt xs i`), or one given its first arguments already that
        these complete (`lib.toUpper s`, `replaceStrings lowerChars
        upperChars` applied to `s`): call_primop's work inline. The caller
        continues with `elif`/`else` (`keyword` "elif" continues a test the
        caller began)."""
        n = len(args)
        w.emit(f"{keyword} type({f}) is PrimOp and {f}.arity == {n}:")
        with w.indent():
            self.primop_call(w, f, f"{f}.fn(ev, {', '.join(args)})", call_span, target)
        prim = "prim_"
        w.emit(f"elif type({f}) is PrimOpApp and len({f}.args) + {n} == ({prim} := {f}.primop).arity:")
        with w.indent():
            self.primop_call(w, prim, f"{prim}.fn(ev, *{f}.args, {', '.join(args)})", call_span, target)

    def total_step(self, n, w: _Writer):
        """For an argument `x - c` or `x + c` (x a variable of a frame, c an
        integer constant): (x, operator, c, arith site of `-` or None)."""
        if type(n) is A.Call:
            fn = n.fn
            if (type(fn) is not A.Var or fn.from_with or fn.name != "__sub" or len(n.args) != 2
                    or self.c.arith_site(n) is None):
                return None
            x, c, op, site = n.args[0], n.args[1], "-", self.c.arith_site(n)
        elif type(n) is A.ConcatStrings and not n.force_string and len(n.parts) == 2:
            x, c, op, site = n.parts[0], n.parts[1], "+", None
        else:
            return None
        if type(x) is not A.Var or x.from_with or type(c) is not A.Int or self.is_global(x, w):
            return None
        return x, op, c.value, site

    def pre_evaluated(self, w: _Writer, step, n, lam: str, a: str) -> str:
        """The argument `x - c` / `x + c` of a call of `f`, into `a`: its value
        when the callee's body forces its argument before anything else (its
        LambdaCode's `probe`) and computing it now cannot fail or force
        anything: x already holds an integer (a value in its slot, not a
        thunk), the result is in range, `-` is the builtin, and the call
        depth leaves room for the callee's operation and the `-` it would
        have called. The callee then sees what forcing the thunk would have
        left in its frame. Otherwise the thunk, as `lazy` makes it (its
        expression returned). `lam` holds the callee's LambdaCode (the
        probe is True once known to hold: probe_holds)."""
        x, op, c, site = step
        lazy = self.lazy(n, w, as_expr=True)
        xv, r, pb = w.tmp("x"), w.tmp("r"), w.tmp("pb")
        w.emit(f"{xv} = {self.frame_expr(w, x.level)}[{x.index + 1}]")
        cond = (f"type({xv}) is int and (({pb} := {lam}.probe) is True or {pb} is not None and probe_holds({lam}))"
                f" and ev.depth + 2 < MAXD")
        if site is not None:
            read, prim = self.builtin_read(site, w.frames[-1])
            if read is not None:
                cond += f" and {read} is {prim}"
        w.emit(f"if {cond}:")
        with w.indent():
            w.emit(f"{r} = {xv} {op} {c!r}")
            w.emit(f"{a} = {r} if INT_MIN <= {r} <= INT_MAX else {lazy}")
        w.emit("else:")
        with w.indent():
            w.emit(f"{a} = {lazy}")
        return lazy

    def call_one(self, w: _Writer, f: str, a: str, call_span: str, target: str, step=None) -> None:
        """`f a`: a lambda entered here (its frame made or its formals bound
        as call_function does), a one-argument builtin called at once,
        anything else through call_function. With `step` (total_step's
        parts, and the argument's node), the argument is computed here:
        pre_evaluated for a lambda, a thunk for anything else."""
        lam, fr = "lam_", "cf_"
        w.emit(f"if type({f}) is Closure:")
        with w.indent():
            w.emit(f"{lam} = {f}.lam")
            if step is not None:
                lazy = self.pre_evaluated(w, step[0], step[1], lam, a)
            with self.counted_call(w, call_span):
                w.emit(f"if {lam}.formals is None:")
                with w.indent():
                    w.emit(f"{fr} = [{f}.env, {a}]")
                w.emit("else:")
                with w.indent():
                    w.emit("try:")
                    with w.indent():
                        w.emit(f"{fr} = bind_formals({lam}, {f}.env, {a}, SRC, {call_span})")
                    w.emit("except EvalError as e:")
                    with w.indent():
                        w.emit(f"e.add_frame('from call site', SRC, {call_span})")
                        w.emit("raise")
                w.emit("try:")
                with w.indent():
                    w.emit(f"{target} = {lam}.body({fr})")
                w.emit("except EvalError as e:")
                with w.indent():
                    w.emit(f"e.add_frame(f'while calling {{calling({lam})}}', {lam}.source, {lam}.node.span)")
                    w.emit(f"e.add_frame('from call site', SRC, {call_span})")
                    w.emit("raise")
            self.end_counted_call(w, [])
        if step is not None:
            w.emit("else:")
            w.depth += 1
            w.emit(f"{a} = {lazy}")
        self.builtin_branches(w, f, [a], call_span, target, "elif" if step is None else "if")
        w.emit("else:")
        with w.indent():
            w.emit(f"{target} = force(call_function(ev, {f}, {a}, SRC, {call_span}))")
        if step is not None:
            w.depth -= 1

    @contextlib.contextmanager
    def counted_call(self, w: _Writer, call_span: str):
        """The start of a call counted towards max-call-depth: the depth
        raised and checked, then (in the block) a `try:` body, which the
        caller ends with end_counted_call (its handlers and a `finally:`
        lowering the depth). The depth reached is kept in a local, one per
        level of such calls nested in one function (`dp1_`, ...), which the
        `finally:` lowers (fewer attribute reads than `ev.depth += 1`,
        `ev.depth > ev.max_call_depth` and `ev.depth -= 1`; MAXD is the
        evaluator's max_call_depth, fixed when it is made)."""
        w.counted += 1
        dp = f"dp{w.counted}_"
        w.emit(f"{dp} = ev.depth + 1")
        w.emit(f"ev.depth = {dp}")
        w.emit("try:")
        with w.indent():
            w.emit(f"if {dp} > MAXD:")
            with w.indent():
                w.emit(f"raise StackOverflow('stack overflow; max-call-depth exceeded', SRC, {call_span})")
            yield

    def primop_call(self, w: _Writer, prim: str, call, call_span: str, target: str, before=None) -> None:
        """`call`, a call of the builtin `prim`'s function on all its
        arguments, as call_primop makes it, inline: the same call depth step,
        the same frame ("while calling the 'x' builtin", by primop_failed) on
        an error of the builtin, and its result forced outside that frame.
        `before()` writes what computes the arguments inside that step;
        `call` is then a function giving the call's text."""
        with self.counted_call(w, call_span):
            if before is not None:
                before()
                call = call()
            if call is not None:    # (None: `call` wrote the statements itself)
                w.emit(f"{target} = {call}")
        self.end_counted_call(w, [("EvalError", f"raise primop_failed(e, {prim}, SRC, {call_span})"),
                                  ("RecursionError", f"raise primop_failed(e, {prim}, SRC, {call_span}) from None")])
        self.force_in_place(w, target)

    @staticmethod
    def end_counted_call(w: _Writer, handlers: list) -> None:
        """The end of counted_call's `try:`: an `except` clause for each
        (exception class, statement), and the depth lowered again."""
        for exc, stmt in handlers:
            w.emit(f"except {exc} as e:")
            with w.indent():
                w.emit(stmt)
        w.emit("finally:")
        with w.indent():
            w.emit(f"ev.depth = dp{w.counted}_ - 1")
        w.counted -= 1

    @staticmethod
    def force_in_place(w: _Writer, target: str) -> None:
        """`target` forced when it holds a thunk."""
        w.emit(f"if type({target}) is Thunk:")
        with w.indent():
            w.emit(f"{target} = {target}.force()")

    def builtin_read(self, site, fr: str):
        """(expression reading the name an arith site calls, its builtin):
        through tier 1's memo once the builtin is found. (None, builtin) when
        that memo already holds the builtin: a slot of the base environment
        never changes once found (compile.variables), so there is nothing
        to check."""
        prim, raw = self.const(site.prim, "PRIM"), self.const(site.raw, "R")
        if site.memo and site.memo[0] is site.prim:
            return None, prim
        if site.memo is not None:
            memo = self.const(site.memo, "M")
            return f"({memo}[0] if {memo} else {raw}({fr}))", prim
        return f"{raw}({fr})", prim

    def int_tree(self, n, w: _Writer, reads: list, conds: list, steps: list, checks: list):
        """(Python expression, height) of `n` when it is integer arithmetic
        on variables of frames and constants only: `-`, `*`, `/` (by a
        constant or a variable) through their arith sites, `+`; the
        statements that read the variables' slots go to `reads`, what must
        hold for the expression to be the value (an integer, or a thunk
        forced to one, in each slot, a non-zero divisor, each name the
        builtin) to `conds`, the computing statements to `steps`, the
        results to range-check to `checks`. The height counts the arith sites on the longest path (a
        builtin's call is one call deeper; `+` calls none). None for any
        other shape."""
        t = type(n)
        if t is A.Int:
            return repr(n.value), 0
        if t is A.Var:
            if n.from_with or self.is_global(n, w):
                return None
            v = w.tmp("i")
            known = w.forced.get(self.var_key(w, n))
            reads.append(f"{v} = {known if known is not None else self.frame_expr(w, n.level) + f'[{n.index + 1}]'}")
            # an integer, or a thunk already forced to one (sort's `a < b`)
            conds.append(f"(type({v}) is int or type({v}) is Thunk and {v}.code is None"
                         f" and type({v} := {v}.value) is int)")
            return v, 0
        if t is A.ConcatStrings:
            if n.force_string or n.op_span is None or len(n.parts) != 2:
                return None
            x = self.int_tree(n.parts[0], w, reads, conds, steps, checks)
            y = x and self.int_tree(n.parts[1], w, reads, conds, steps, checks)
            if y is None:
                return None
            r = w.tmp("r")
            steps.append(f"{r} = {x[0]} + {y[0]}")
            checks.append(r)
            return r, max(x[1], y[1])
        if (t is not A.Call or type(n.fn) is not A.Var or n.fn.from_with or len(n.args) != 2
                or n.fn.name not in ("__sub", "__mul", "__div")):
            return None
        site = self.c.arith_site(n)
        if site is None:
            return None
        x = self.int_tree(n.args[0], w, reads, conds, steps, checks)
        y = x and self.int_tree(n.args[1], w, reads, conds, steps, checks)
        if y is None:
            return None
        read, prim = self.builtin_read(site, w.frames[-1])
        r, (xe, hx), (ye, hy) = w.tmp("r"), x, y
        if site.which == "div":
            dn = n.args[1]
            if type(dn) is A.Int and dn.value > 0:
                steps.append(f"{r} = {xe} // {ye} if {xe} >= 0 else -(-{xe} // {ye})")
            elif type(dn) is A.Var:
                conds.append(f"{ye} != 0")
                steps.append(f"{r} = {ops.int_div_text(xe, ye)}")
            else:
                return None     # (a divisor that might be 0 only once computed)
        else:
            steps.append(f"{r} = {xe} {'-' if site.which == 'sub' else '*'} {ye}")
        if read is not None:
            conds.append(f"{read} is {prim}")
        checks.append(r)
        return r, 1 + max(hx, hy)

    def pure_arith(self, n: A.Call, site, w: _Writer, target: str) -> bool:
        """The fast path of an arith site whose operands are integer
        arithmetic on variables and constants (`i / 2 * 2`, `index - 1`,
        `- index - 1`, `index < 0`): when every variable already holds an
        integer in its slot (nothing to force), every name is its builtin,
        no divisor is 0 and the call depth leaves room for the deepest
        builtin call, the value computed at once into `target`, else
        NOTHING there (as when an intermediate result leaves the 64-bit
        range: the general code, which the caller emits next for NOTHING,
        then meets that error as before). False when `n` is not of that
        shape (nothing emitted)."""
        reads, conds, steps, checks = [], [], [], []
        if site.which == "lessThan":
            x = self.int_tree(n.args[0], w, reads, conds, steps, checks)
            y = x and self.int_tree(n.args[1], w, reads, conds, steps, checks)
            if y is None:
                return False
            read, prim = self.builtin_read(site, w.frames[-1])
            if read is not None:
                conds.append(f"{read} is {prim}")
            value, height = f"{x[0]} < {y[0]}", 1 + max(x[1], y[1])
        else:
            tree = self.int_tree(n, w, reads, conds, steps, checks)
            if tree is None:
                return False
            value, height = tree
        self.computed_at_once(w, (reads, conds, steps, checks), value, height, target, "NOTHING")
        return True

    @staticmethod
    def computed_at_once(w: _Writer, parts, value: str, height: int, target: str, otherwise: str) -> None:
        """int_tree's statements: `value` into `target` when its conditions
        hold, the call depth leaves room for `height` builtin calls and
        every checked result is in the 64-bit range, else `otherwise`."""
        reads, conds, steps, checks = parts
        for line in reads:
            w.emit(line)
        w.emit(f"if {' and '.join(conds + [f'ev.depth + {height} <= MAXD'])}:")
        with w.indent():
            for line in steps:
                w.emit(line)
            if checks:
                ok = " and ".join(f"INT_MIN <= {c} <= INT_MAX" for c in checks)
                w.emit(f"{target} = {value} if {ok} else {otherwise}")
            else:
                w.emit(f"{target} = {value}")
        w.emit("else:")
        with w.indent():
            w.emit(f"{target} = {otherwise}")

    def arith(self, n: A.Call, site, w: _Writer, target: str) -> None:
        """`a - b`, `a * b`, `a / b`, `a < b`, as tier 1's _arith_call
        (after pure_arith's fast path, when it applies)."""
        if not self.pure_off and self.pure_arith(n, site, w, target):
            # the operands' own sites are emitted without their fast path
            # (it would hold no more than this one's: the code stays linear)
            w.emit(f"if {target} is NOTHING:")
            self.pure_off = True
            try:
                with w.indent():
                    self.arith_general(n, site, w, target)
            finally:
                self.pure_off = False
        else:
            self.arith_general(n, site, w, target)

    def arith_general(self, n: A.Call, site, w: _Writer, target: str) -> None:
        s = self.const(site, "AS")
        x_node, y_node = n.args
        which = site.which
        fr = w.frames[-1]
        read, prim = self.builtin_read(site, fr)
        w.emit(f"if {read} is not {prim} or ev.depth >= MAXD:" if read is not None else "if ev.depth >= MAXD:")
        with w.indent():
            w.emit(f"{target} = {s}.generic({fr})")
        w.emit("else:")
        saved = dict(w.forced)
        with w.indent():
            x, y = w.tmp(), w.tmp()
            const_y = type(y_node) is A.Int and which in ("sub", "lessThan")
            w.emit("ev.depth += 1")
            w.emit("try:")
            with w.indent():
                w.emit(f"{x} = NOTHING")
                self.value(x_node, w, x, plain=True)
                if not const_y:
                    w.emit(f"{y} = NOTHING")
                    if which == "lessThan":
                        self.value(y_node, w, y, plain=True)
                    else:
                        w.emit(f"if type({x}) is int:")
                        with w.indent():
                            self.value(y_node, w, y, plain=True)
            w.emit("except Exception as e:")
            with w.indent():
                w.emit("ev.depth -= 1")
                if const_y:
                    w.emit(f"{target} = {s}.slow(_raising(e), {y_node.value!r})")
                else:
                    w.emit(f"{target} = {s}.slow(_raising(e), {s}.ly({fr})) if {x} is NOTHING "
                           f"else {s}.slow({x}, _raising(e))")
            w.emit("else:")
            with w.indent():
                w.emit("ev.depth -= 1")
                if const_y:
                    yv = repr(y_node.value)
                    if which == "lessThan":
                        w.emit(f"if type({x}) is int or type({x}) is float:")
                        with w.indent():
                            w.emit(f"{target} = {x} < {yv}")
                        w.emit("else:")
                        with w.indent():
                            w.emit(f"{target} = {s}.slow({x}, {yv})")
                    else:
                        w.emit(f"{target} = {x} - {yv} if type({x}) is int else NOTHING")
                        w.emit(f"if {target} is NOTHING or not (INT_MIN <= {target} <= INT_MAX):")
                        with w.indent():
                            w.emit(f"{target} = {s}.slow({x}, {yv})")
                elif which == "lessThan":
                    w.emit(f"if (type({x}) is int or type({x}) is float) and (type({y}) is int or type({y}) is float):")
                    with w.indent():
                        w.emit(f"{target} = {x} < {y}")
                    w.emit("else:")
                    with w.indent():
                        w.emit(f"{target} = {s}.slow({x}, {y})")
                else:
                    w.emit(f"if {y} is NOTHING:")
                    with w.indent():
                        w.emit(f"{target} = {s}.slow({x}, {s}.ly({fr}))")
                    w.emit(f"elif type({y}) is int:")
                    with w.indent():
                        if which == "sub":
                            w.emit(f"{target} = {x} - {y}")
                        elif which == "mul":
                            w.emit(f"{target} = {x} * {y}")
                        else:
                            w.emit(f"if {y} == 0 or ({y} == -1 and {x} == INT_MIN):")
                            with w.indent():
                                w.emit(f"{target} = NOTHING")
                            w.emit("else:")
                            with w.indent():
                                w.emit(f"{target} = {ops.int_div_text(x, y)}")
                        w.emit(f"if {target} is NOTHING or not (INT_MIN <= {target} <= INT_MAX):")
                        with w.indent():
                            w.emit(f"{target} = {s}.slow({x}, {y})")
                    w.emit("else:")
                    with w.indent():
                        w.emit(f"{target} = {s}.slow({x}, {y})")
        w.forced = saved


def _literal_test(n):
    """For a literal `n` compared with `==`: (the Python type a value equal
    to it has, the test of equality for a value of that type), or None."""
    t = type(n)
    if t is A.Str:
        return "str", "{x} == {y}"
    if t is A.Int:
        return "int", "{x} == {y}"
    if t is A.List and not n.elems:
        return "list", "not {side}"
    if t is A.Attrs and not n.attrs and not n.dynamic and not n.inherit_from and not n.rec:
        # (an empty set is no derivation: ops.equal compares the sizes)
        return "Attrs", "not {side}.d"
    return None


def generate_body(compiler, lam_node: A.Lambda):
    """The generated body function of `lam_node` (a Python function of the
    lambda's frame), or None when it stays a closure."""
    try:
        return CodeGen(compiler, lam_node).generate()
    except Unsupported:
        return None
    except Exception:
        # a shape the generator gets wrong must not break evaluation: the
        # closure stays; the tests run with PYNIX_JIT_STRICT to see it
        if os.environ.get("PYNIX_JIT_STRICT"):
            raise
        return None
