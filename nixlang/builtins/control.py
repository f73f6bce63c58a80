"""Control builtins: catching errors (`tryEval`), adding context to them
(`addErrorContext`), debugging output (`trace`, `warn`, `traceVerbose`,
`break`), the environment (`getEnv`) and the constants describing the
running Nix (`currentSystem`, `currentTime`, `nixVersion`, `langVersion`).

Output of `trace` and `warn` goes to the evaluator's `stderr` attribute when
it has one, else to `sys.stderr`, formatted exactly as Nix 2.36 logs it
(ANSI escapes filtered, tabs expanded)."""
from __future__ import annotations

import os
import sys
import time

from .. import errors as E
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.values import (BLACKHOLE, Attrs, Closure, CtxStr, PrimOp, PrimOpApp, Thunk,
                              force, make_thunk)
from . import builtin, constant

NIX_VERSION = "2.36.0"
LANG_VERSION = 6


# -- helpers shared with filesystem.py ---------------------------------------------------

def with_frame(message: str, fn, *args):
    """Run `fn(*args)`; an evaluation error passing through gets the trace
    frame `… message` (without a position), as Nix's errorCtx arguments do."""
    try:
        return fn(*args)
    except E.EvalError as e:
        e.add_frame(message)
        raise


def string_no_context(v, error_ctx: str) -> str:
    """forceStringNoCtx: a string without context, else Nix's error with `error_ctx` as frame."""
    def go():
        s = force(v)
        if type(s) not in (str, CtxStr):
            raise type_error("a string", s)
        if type(s) is CtxStr and s.context:
            raise E.EvalError(f"the string '{s}' is not allowed to refer to a store path "
                              f"(such as '{sorted(s.context)[0]}')")
        return str(s)
    return with_frame(error_ctx, go)


def string_any(v, error_ctx: str):
    """forceString: a string (context allowed)."""
    def go():
        s = force(v)
        if type(s) not in (str, CtxStr):
            raise type_error("a string", s)
        return s
    return with_frame(error_ctx, go)


def log(ev, text: str) -> None:
    """Write one log line to stderr as Nix's logger does."""
    out = getattr(ev, "stderr", None) or sys.stderr
    out.write(E.filter_ansi_escapes(text) + "\n")
    out.flush()


class AlwaysFrame(E.Frame):
    """A trace frame Nix prints even without --show-trace (TracePrint::Always),
    as `builtins.addErrorContext` adds them."""
    __slots__ = ()
    always = True


# -- printing values for trace (Nix's ValuePrinter, not forcing anything) -----------------

def show_lazy(v) -> str:
    """A value as `builtins.trace` prints it: evaluated parts only (`«thunk»`
    for the rest), functions as `«lambda NAME @ POS»` / `«primop NAME»`, and
    `«repeated»` for a list or attrset already printed."""
    from ..syntax.printer import identifier
    from ..runtime.printer import scalar_text
    out: list[str] = []
    seen: set[int] = set()

    def go(v):
        if type(v) is Thunk:
            if v.code is BLACKHOLE:
                out.append("«potential infinite recursion»")
                return
            if v.code is not None:
                out.append("«thunk»")
                return
            v = v.value
        t = type(v)
        text = scalar_text(v)
        if text is not None:
            out.append(text)
        elif t is list:
            if not v:
                out.append("[ ]")
                return
            if id(v) in seen:
                out.append("«repeated»")
                return
            seen.add(id(v))
            out.append("[ ")
            for e in v:
                go(e)
                out.append(" ")
            out.append("]")
        elif t is Attrs:
            if not v.d:
                out.append("{ }")
                return
            if id(v) in seen:
                out.append("«repeated»")
                return
            seen.add(id(v))
            out.append("{ ")
            for k in sorted(v.d):
                out.append(identifier(k) + " = ")
                go(v.d[k])
                out.append("; ")
            out.append("}")
        elif t is Closure:
            lam = v.lam
            text = "«lambda"
            if lam.name:
                text += f" {lam.name}"
            src, node = getattr(lam, "source", None), getattr(lam, "node", None)
            if src is not None and node is not None:
                text += f" @ {src.location(node.span.start)}"
            out.append(text + "»")
        elif t is PrimOp:
            out.append(f"«primop {v.name}»")
        elif t is PrimOpApp:
            out.append(f"«partially applied primop {v.primop.name}»")
        else:
            out.append("«unknown»")

    go(v)
    return "".join(out)


# -- builtins --------------------------------------------------------------------------------

@builtin("tryEval", 1)
def _try_eval(ev, e):
    """Evaluate `e` (shallowly) and catch `throw` and failed `assert`s (not
    `abort`, not type errors): `{ success; value; }`, with `value = false`
    on failure. `builtins.tryEval (throw "x")` is `{ success = false; value = false; }`."""
    try:
        v = force(e)
    except (E.ThrownError, E.AssertionFailed):
        return Attrs({"success": False, "value": False})
    return Attrs({"success": True, "value": v})


@builtin("trace", 2)
def _trace(ev, msg, e):
    """Print `msg` on stderr (a string as it is, any other value printed
    without evaluating it further), then return `e`:
    `builtins.trace "here" 1` prints `trace: here` and is `1`."""
    m = force(msg)
    text = str(m) if type(m) in (str, CtxStr) else show_lazy(m)
    log(ev, "trace: " + text)
    return force(e)


@builtin("traceVerbose", 2)
def _trace_verbose(ev, msg, e):
    """Like `trace`, but only prints when the `trace-verbose` option is set;
    otherwise just returns `e`: `builtins.traceVerbose "x" 1` is `1`."""
    if getattr(ev.options, "trace_verbose", False):
        return _trace(ev, msg, e)
    return force(e)


def warning_text(msg: str, from_expr: bool = True) -> str:
    """A warning as Nix's showErrorInfo lays it out: the prefix, then each
    further line indented to align with the text (not when the message
    starts with a newline), every line right-trimmed."""
    prefix = "evaluation warning: " if from_expr else "warning: "
    body = msg.rstrip(" \n\r\t")
    rest = "" if msg.startswith("\n") else " " * len(prefix)
    lines = []
    first = True
    s = body
    while s:
        head, sep, tail = s.partition("\n")
        lines.append(((prefix if first else rest) + head).rstrip(" \n\r\t"))
        first = False
        if not sep:
            break
        s = tail
    return "\n".join(lines)


@builtin("warn", 2)
def _warn(ev, msg, e):
    """Log the string `msg` as an evaluation warning on stderr, then return `e`:
    `builtins.warn "deprecated" 1` prints `evaluation warning: deprecated`
    and is `1`. With the `abort-on-warn` option, evaluation stops there instead."""
    s = string_any(msg, "while evaluating the first argument; the message passed to builtins.warn")
    log(ev, warning_text(str(s)))
    if getattr(ev.options, "abort_on_warn", False):
        raise E.EvalError("aborting to reveal stack trace of warning, as abort-on-warn is set")
    return force(e)


@builtin("addErrorContext", 2)
def _add_error_context(ev, msg, e):
    """Evaluate `e`; if that fails, the error gets `msg` as an extra line of
    its trace (shown even without --show-trace):
    `builtins.addErrorContext "while building foo" (throw "bad")`."""
    try:
        return e.force() if type(e) is Thunk else e
    except E.EvalError as err:
        ctx: set = set()
        text = with_frame("while evaluating the error message passed to builtins.addErrorContext",
                          lambda: ops.coerce_to_string(msg, ctx, interp=True,
                                                       call=ev.call))
        err.frames.append(AlwaysFrame(str(text)))
        raise


# Nix registers addErrorContext with `addTrace = false`: no "while calling
# the 'addErrorContext' builtin" frame (the context line says it all)
_add_error_context.add_trace = False


@builtin("break", 1)
def _break(ev, v):
    """A breakpoint for the debugger; without one (pynix has none) it just
    returns its argument: `builtins.break 3` is `3`."""
    return force(v)


@builtin("getEnv", 1)
def _get_env(ev, name):
    """The value of an environment variable, or `""` when it is unset (always
    `""` in pure or restricted evaluation): `builtins.getEnv "HOME"`."""
    s = string_no_context(name, "while evaluating the first argument passed to builtins.getEnv")
    if getattr(ev.options, "pure", False) or getattr(ev.options, "restrict_eval", False):
        return ""
    return os.environ.get(s, "")


def current_system() -> str:
    """Nix's system type of this machine, such as `x86_64-linux`."""
    try:
        u = os.uname()   # what platform.machine() / platform.system() read, without importing platform
        machine, kernel = u.machine.lower(), u.sysname.lower()
    except AttributeError:   # no uname (Windows)
        import platform
        machine, kernel = platform.machine().lower(), platform.system().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64", "armv8l": "aarch64", "i386": "i686",
               "i586": "i686", "x86": "i686"}.get(machine, machine)
    return f"{machine}-{kernel}"


constant("currentSystem", current_system())
constant("nixVersion", NIX_VERSION)
constant("langVersion", LANG_VERSION)


def _now(env):
    return int(time.time())


# the time evaluation started: taken once, the first time it is used
constant("currentTime", make_thunk(_now, None))
