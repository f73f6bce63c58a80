"""Values in the editor: what a name evaluates to, for hover previews and completion.

The value of a sub-expression depends on its lexical context: the `let`s,
`rec` sets, functions and `with`s around it. Rather than evaluating the
whole file and hoping the expression gets forced, a *probe* program is built
from the document's own text that rebuilds exactly those scopes, outermost
first, and ends with the expression:

    __pynixNoValue:                      the program is a function of a marker
    let <the let's bindings, verbatim>   a `let` scope: its bindings' text
    in
    let __pynixRec1 = rec { ... };       a `rec` set: the set itself, and its
    in let inherit (__pynixRec1) a b; in static names taken from it
    let pkgs = __pynixNoValue; in        a function: its arguments have no value
    with (<the with's expression>);      a `with`: its expression
    (<the expression>)

Each scope's text is evaluated in the scopes outside it, as in the document,
so names resolve the same way (`with` still loses to any enclosing binding).
The program is called with a marker thunk that stops the evaluation when it
is forced: a value that depends on a function argument has no value to show
("no-value"), and nothing is said. Formals with defaults are arguments too
(a caller may pass something else); hovering the formal itself shows its
default.

Probes run in their own two worker processes (`runner.EvalRunner`; the less
busy one is taken, so one slow value does not hold up the next hover), under
the editor's rules (`policy`: restricted, no network, limits of time and
memory), with a time budget measured from the request. The caller waits
only briefly (a hover waits ~0.5 s); the evaluation goes on to its budget
and the result is cached by program text, so hovering again shows it.
Printing is shallow, like `nix repl` with limits: a set shows its attribute
names and shallow values, nested ones are `{ … }`, long lists and strings
are cut with `…`, and children are only forced while time is left.
"""
from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from ..errors import SyntaxError_
from ..syntax import ast as A
from ..syntax.printer import identifier
from .analysis import ARG, DEF, FORMAL, INHERIT, INHERIT_FROM, LET, SELECT, VAR, Analysis
from .evaluation import SoftStop, SoftStopper
from .static import scopes_at

NO_VALUE = "__pynixNoValue"

# printing limits
MAX_DEPTH = 2          # levels shown: the value, its children; deeper composites print as { … } / [ … ]
MAX_ITEMS = (12, 6)    # items shown per set / list, at depth 0 and deeper
MAX_STRING = 80        # characters of a string before it is cut
MAX_CHARS = 400        # characters of the whole preview
NAME_KINDS_SECONDS = 0.1   # time spent evaluating a set's values to tell functions and sets apart


@dataclass(frozen=True)
class Probe:
    """A program that evaluates one expression of a document in its scopes."""
    program: str
    origin: str
    base_dir: str
    kind: str = "value"            # "value", or "default" (the default of a formal)


@dataclass
class Result:
    status: str                    # "ok", "error", "no-value", "timeout", "skipped", "pending", "internal"
    text: str = ""                 # the printed value, or the error message
    names: list | None = None      # for a set: [(name, kind)] with kind "function", "set" or ""
    formals: list | None = None    # for a function taking a set: [(name, default text or None)]
    seconds: float = 0.0


# -- building probes --------------------------------------------------------------------------

def probe_for(an: Analysis, offset: int, expr: str, spans=(), kind: str = "value",
              skip_node=None) -> Probe | None:
    """A probe evaluating the Nix text `expr` in the scopes at `offset`.
    `spans` are the document spans `expr` was taken from (to refuse text a
    syntax error runs through); frames of `skip_node` are left out."""
    if an.ast is None:
        return None
    frames = [f for f in scopes_at(an, offset) if f.node is not skip_node]
    parts = [f"{NO_VALUE}:\n"]
    used = list(spans)
    text = an.text
    legacy = {id(n) for n in an.legacy_lets}
    for i, fr in enumerate(reversed(frames)):
        if fr.kind == "let":
            s = fr.node.attrs.span
            parts.append("let\n" + text[s.start:s.end] + "\nin\n")
            used.append(s)
        elif fr.kind == "rec":
            if id(fr.node) in legacy:
                return None
            s = fr.node.span
            name = f"__pynixRec{i}"
            parts.append(f"let {name} = " + text[s.start:s.end] + "\n; in\n")
            used.append(s)
            names = [n for n in fr.names if n and identifier(n) == n]
            if names:
                parts.append(f"let inherit ({name}) {' '.join(names)}; in\n")
        elif fr.kind == "lambda":
            names = [n for n in fr.names if n and identifier(n) == n]
            if names:
                parts.append("let " + " ".join(f"{n} = {NO_VALUE};" for n in names) + " in\n")
        elif fr.kind == "with":
            s = fr.node.env.span
            parts.append("with (" + text[s.start:s.end] + "\n);\n")
            used.append(s)
    parts.append("(" + expr + "\n)")
    for d in an.parse_diagnostics:
        if isinstance(d, SyntaxError_) and d.span is not None:
            if any(s.start <= d.span.end and d.span.start <= s.end for s in used):
                return None
    if an.path:
        origin, base = an.path, os.path.dirname(an.path)
    else:
        origin, base = an.source.origin, an.base_dir
    return Probe("".join(parts), origin, base, kind)


def _parents(an: Analysis) -> dict:
    """id(set written as the value of a plain attribute) -> that attribute's definition
    (the nesting that attribute paths go through)."""
    out = {}
    for b in an.bindings.values():
        if type(b) is A.AttrDef and b.kind == A.PLAIN and type(b.value) is A.Attrs and not b.value.rec:
            out[id(b.value)] = b
    return out


def def_probe(an: Analysis, d) -> Probe | None:
    """The value of an attribute definition (let binding, attribute, inherited name)."""
    owner = an.owner.get(id(d))
    if owner is None or not owner.path:
        return None
    parents = _parents(an)
    top = owner.container
    for _ in range(1000):
        p = parents.get(id(top))
        if p is None:
            break
        up = an.owner.get(id(p))
        if up is None:
            return None
        top = up.container
    path = owner.path
    first = top.attrs.get(path[0])
    if first is None:
        return None
    top_owner = an.owner.get(id(first))
    sel = "".join("." + identifier(p) for p in path[1:])
    if top_owner is not None and top_owner.where == LET:
        if identifier(path[0]) != path[0]:
            return None
        at = (first.name_span or first.span).start
        return probe_for(an, at, path[0] + sel)
    s = top.span
    if s is None or s.end <= s.start:
        return None
    return probe_for(an, s.start, "(" + an.text[s.start:s.end] + "\n)" + "." + identifier(path[0]) + sel,
                     [s], skip_node=top)


def hover_probe(an: Analysis, offset: int):
    """(start, end, Probe) for the name under the cursor, or None when it has no
    value to show (a builtin, a function argument, a path, nothing)."""
    from .navigation import target_at
    if an.path and os.path.basename(an.path) == "flake.lock":
        return None       # JSON, not Nix
    t = target_at(an, offset)
    if t is None:
        return None
    o = t.occurrence
    k = o.kind
    probe = None
    if t.builtin is not None and k == VAR:
        return None
    if k == VAR:
        v = o.node
        if v.binding is None and not v.from_with:
            return None
        b = v.binding
        if type(b) is A.Lambda or type(b) is A.Formal:
            return None       # a function argument: no value unless the function is called
        probe = probe_for(an, o.start, v.name, [])
    elif k in (DEF, INHERIT, INHERIT_FROM):
        probe = def_probe(an, o.node)
    elif k == FORMAL:
        f = o.node
        if f.default is None:
            return None
        s = f.default.span
        probe = probe_for(an, s.start, an.text[s.start:s.end], [s], kind="default")
    elif k == ARG:
        return None
    elif k == SELECT:
        if t.builtin is not None:
            return None       # `builtins.map`: the documentation is the hover
        sel, i = o.extra
        if not o.node.name and o.node.expr is None:
            return None
        probe = select_probe(an, sel, i + 1)
    if probe is None:
        return None
    return o.start, o.end, probe


def select_probe(an: Analysis, sel, upto: int) -> Probe | None:
    """`sel.expr` followed by the first `upto` attribute names of the selection."""
    e = sel.expr.span
    names = sel.path[:upto]
    if any(not n.name and n.expr is None for n in names):
        return None
    spans = [e] + [n.span for n in names]
    expr = "(" + an.text[e.start:e.end] + "\n)" + "".join("." + an.text[n.span.start:n.span.end] for n in names)
    return probe_for(an, sel.span.start, expr, spans)


# -- running probes ---------------------------------------------------------------------------

class _NoValue(BaseException):
    """The marker was forced: the value depends on a function argument."""


class Request:
    """One probe evaluation, running or done; shared by everyone asking for it."""

    def __init__(self, probe: Probe, mode: str, job):
        self.probe = probe
        self.mode = mode
        self.job = job
        self.started = time.monotonic()

    @property
    def done(self) -> bool:
        return self.job.done.is_set()

    def wait(self, timeout: float) -> bool:
        return self.job.done.wait(max(0.0, timeout))

    def result(self) -> Result:
        if not self.job.done.is_set():
            return Result("pending")
        return result_from_json(self.job.outcome or {})


def result_from_json(d: dict) -> Result:
    status = str(d.get("status", "internal"))
    if status in ("timeout", "cancelled"):
        return Result("timeout")
    if status not in ("ok", "error", "no-value", "skipped"):
        return Result("internal", str(d.get("detail", "")))
    names = d.get("names")
    formals = d.get("formals")
    return Result(status, str(d.get("text", "")),
                  [(str(n), str(k)) for n, k in names] if isinstance(names, list) else None,
                  [(str(n), x if x is None else str(x)) for n, x in formals] if isinstance(formals, list) else None,
                  float(d.get("seconds") or 0.0))


_runner = None
_cache: OrderedDict = OrderedDict()      # (mode, program, origin, policy) -> Request
_lock = threading.Lock()
CACHE_SIZE = 256
CACHE_SECONDS = 30.0
WORKERS = 2        # a slow value evaluating in the background does not hold up the next hover


def request(probe: Probe, mode: str = "show", budget: float = 2.0, policy: dict | None = None) -> Request:
    """Start evaluating `probe` (or join the same evaluation, or take a cached
    result). `mode`: "show" prints the value, "names" lists a set's attributes,
    "formals" the formal names of a function taking a set. Never blocks."""
    global _runner
    if policy is None:
        from .policy import for_document
        policy = for_document(probe.origin if os.path.isabs(probe.origin) else None)
    key = (mode, probe.program, probe.origin, repr(sorted(policy.items())))
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and (not hit.done or now - hit.started < CACHE_SECONDS):
            _cache.move_to_end(key)
            return hit
        if _runner is None:
            from .runner import EvalRunner
            _runner = [EvalRunner(f"pynix-eval-values-{i}") for i in range(WORKERS)]
        budget = max(0.05, budget)
        runner = min(_runner, key=lambda r: r.load())
        job = runner.submit({"kind": "value", "program": probe.program, "origin": probe.origin,
                             "base_dir": probe.base_dir, "probe_kind": probe.kind, "mode": mode,
                             "budget": budget, "policy": policy}, budget)
        req = Request(probe, mode, job)
        _cache[key] = req
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return req


def result_within(probe: Probe | None, mode: str, wait: float, budget: float) -> Result:
    """`request(probe, mode, budget)`, waiting at most `wait` seconds for its result
    (`Result("pending")` when it is not ready; it goes on to its budget)."""
    if probe is None:
        return Result("skipped")
    req = request(probe, mode, max(budget, wait))
    req.wait(wait)
    return req.result()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _raise_no_value(_env):
    raise _NoValue()


def evaluate_job(job: dict) -> dict:
    """The "value" job, in the worker: the probe's result as JSON data."""
    t0 = time.monotonic()
    probe = Probe(job["program"], job["origin"], job["base_dir"], job.get("probe_kind", "value"))
    r = _evaluate(probe, job.get("mode", "show"), job.get("policy") or {},
                  t0 + float(job.get("budget") or 2.0))
    return dataclasses.asdict(r)


def _evaluate(probe: Probe, mode: str, policy: dict, deadline: float) -> Result:
    from .. import errors as E
    from ..runtime.values import Attrs, Thunk, force, make_thunk
    from ..source import Source
    from .evaluation import new_evaluator

    t0 = time.monotonic()
    ev = new_evaluator(policy)
    try:
        f = force(ev.eval_source(Source(probe.program, probe.origin, probe.base_dir)))
        v = ev.call(f, make_thunk(_raise_no_value, None))
        if mode == "formals":
            return Result("ok", formals=_formals_of(v), seconds=time.monotonic() - t0)
        if mode == "names":
            if type(v) is not Attrs:
                return Result("ok", names=None, seconds=time.monotonic() - t0)
            # a small set's values are looked at (to tell functions and sets) for a moment
            b = _Budget(0, time.monotonic() + NAME_KINDS_SECONDS if len(v.d) <= 100 else 0.0)
            return Result("ok", names=[(k, _kind(_force_child(x, b)[0])) for k, x in sorted(v.d.items())],
                          seconds=time.monotonic() - t0)
        # children are forced only while time is left (the budget ends at `deadline`)
        soft = t0 + (deadline - t0) * 0.6
        with SoftStopper(soft) as stopper:
            try:
                text = show_value(v, soft)
            except SoftStop:
                stopper.fired = True
        if stopper.fired:
            # a child took too long: print again what is evaluated by now
            text = show_value(v, 0.0)
    except _NoValue:
        return Result("no-value")
    except E.ParseError:
        return Result("skipped")
    except E.NixError as err:
        return Result("error", err.message)
    except RecursionError:
        return Result("skipped")
    return Result("ok", text, seconds=time.monotonic() - t0)


def _formals_of(v) -> list | None:
    from ..runtime.values import Closure
    if type(v) is not Closure or not getattr(v.lam.node, "formals", None):
        return None
    text = v.lam.source.text
    out = []
    for f in v.lam.node.formals:
        d = f.default
        out.append((f.name, text[d.span.start:d.span.end] if d is not None else None))
    return out


def _kind(x) -> str:
    from ..runtime.values import Attrs, Closure, PrimOp, PrimOpApp, Thunk
    if type(x) is Thunk:
        if x.code is not None:
            return ""
        x = x.value
    if type(x) in (Closure, PrimOp, PrimOpApp):
        return "function"
    if type(x) is Attrs:
        return "set"
    return ""


# -- printing ---------------------------------------------------------------------------------

@dataclass
class _Budget:
    chars: int
    soft_deadline: float | None
    seen: set = field(default_factory=set)


def show_value(v, soft_deadline: float | None = None, max_chars: int = MAX_CHARS) -> str:
    """A short, shallow rendering of a value (forces what it shows)."""
    return _show(v, 0, _Budget(max_chars, soft_deadline))


def _force_child(x, b: _Budget):
    """The child's value, or a string to print instead (not evaluated, an error)."""
    from .. import errors as E
    from ..runtime.values import Thunk
    if type(x) is not Thunk or x.code is None:
        return (x.value if type(x) is Thunk else x), None
    if b.soft_deadline is not None and time.monotonic() > b.soft_deadline:
        return None, "…"
    try:
        return x.force(), None
    except _NoValue:
        return None, "…"
    except SoftStop:
        b.soft_deadline = 0.0          # nothing more is forced
        return None, "…"
    except E.NixError as err:
        msg = err.message.split("\n")[0]
        return None, "«error: " + (msg if len(msg) <= 60 else msg[:59] + "…") + "»"
    except RecursionError:
        return None, "…"


def _show(v, depth: int, b: _Budget) -> str:
    from ..runtime.printer import scalar_text
    from ..runtime.values import Attrs, Closure, CtxStr, PrimOp, PrimOpApp
    t = type(v)
    if t is str or t is CtxStr:
        s = str(v)
        if len(s) > MAX_STRING:
            lit = scalar_text(s[:MAX_STRING])
            return lit[:-1] + "…\""
        return scalar_text(s)
    text = scalar_text(v)
    if text is not None:
        return text
    if t is Closure:
        return "«lambda»"
    if t is PrimOp:
        return f"«primop {v.name}»"
    if t is PrimOpApp:
        return f"«partially applied primop {v.primop.name}»"
    if t is list:
        if not v:
            return "[ ]"
        if depth >= MAX_DEPTH or id(v) in b.seen:
            return "[ … ]"
        b.seen.add(id(v))
        limit = MAX_ITEMS[min(depth, 1)]
        items = []
        for i, e in enumerate(v):
            if i >= limit or b.chars <= 0:
                items.append(f"… ({len(v)} items)" if depth == 0 else "…")
                break
            x, instead = _force_child(e, b)
            s = instead if instead is not None else _show(x, depth + 1, b)
            b.chars -= len(s) + 1
            items.append(s)
        b.seen.discard(id(v))
        return "[ " + " ".join(items) + " ]"
    if t is Attrs:
        if not v.d:
            return "{ }"
        drv = _derivation_name(v, b)
        if drv is not None:
            return f"«derivation {drv}»"
        if depth >= MAX_DEPTH or id(v) in b.seen:
            return "{ … }"
        b.seen.add(id(v))
        limit = MAX_ITEMS[min(depth, 1)]
        keys = sorted(v.d)
        parts = []
        for i, k in enumerate(keys):
            if i >= limit or b.chars <= 0:
                parts.append(f"… ({len(keys)} attributes)" if depth == 0 else "…")
                break
            x, instead = _force_child(v.d[k], b)
            s = instead if instead is not None else _show(x, depth + 1, b)
            item = f"{identifier(k)} = {s};"
            b.chars -= len(item) + 1
            parts.append(item)
        b.seen.discard(id(v))
        return "{ " + " ".join(parts) + " }"
    return f"«{t.__name__}»"


def _derivation_name(a, b: _Budget) -> str | None:
    t = a.d.get("type")
    if t is None:
        return None
    tv, instead = _force_child(t, b)
    if instead is not None or tv != "derivation":
        return None
    n = a.d.get("name")
    if n is None:
        return "?"
    nv, instead = _force_child(n, b)
    return str(nv) if instead is None and isinstance(nv, str) else "?"


# -- hover text --------------------------------------------------------------------------------

def preview_markdown(result: Result, kind: str = "value") -> str:
    """The part of a hover that shows the value ("" when there is nothing to say);
    the value and any error text as code blocks (`markdown`)."""
    from .markdown import block
    label = "default value" if kind == "default" else "value"
    if result.status == "ok" and result.text:
        return f"**{label}** (evaluated):\n{block(result.text)}"
    if result.status == "error" and result.text:
        # the message is code, never Markdown: it can hold anything (a file's contents)
        msg = result.text.strip().split("\n")[0]
        if len(msg) > 200:
            msg = msg[:199] + "…"
        return f"**{label}**: evaluating it fails:\n{block(msg, '')}"
    if result.status in ("timeout", "pending"):
        return f"**{label}**: (not evaluated: took too long)"
    return ""


def hover_preview(an: Analysis, offset: int, wait: float = 0.5, budget: float = 2.0) -> str:
    """The value part of the hover at `offset`, waiting at most `wait` seconds
    (the evaluation itself may go on to `budget` and be cached)."""
    try:
        hp = hover_probe(an, offset)
    except RecursionError:
        return ""
    if hp is None:
        return ""
    return preview_markdown(result_within(hp[2], "show", wait, budget), hp[2].kind)
