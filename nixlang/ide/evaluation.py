"""Evaluation diagnostics: what Nix reports when it evaluates the document.

No editor server for Nix reports evaluation errors; this one can, because
the evaluator is the same one `pynix eval` uses. The evaluation runs in a
worker process (`runner`, `worker`) under the editor's rules (`policy`:
restricted, no network, limits of time and memory); the server's threads
only wait for its answer, and a newer edit cancels it.

What is reported (the rule for libraries): the document is evaluated as
`nix-instantiate --eval` does, to weak head normal form, and an error there
is reported: it is what Nix reports. An error about the world outside the
code (see below) is a warning, not an error: the evaluation could not go on
here (the editor's restrictions, a checkout without a file it refers to),
which says nothing against the file. A function is not called. When the
value is an attrset or a list, each of its attributes or elements is then
forced to weak head normal form too, one level only (never deeper), while
time is left, and an error there is reported only when it is a mistake
written in this document: its own position is in this document, and it is
neither deliberate (a `throw`, an `abort`, a failed `assert`: libraries are
full of values that throw only when a consumer forces them, such as aliases
of removed names, guards, "do not evaluate this directly") nor about the
world outside the code (a file that is missing, forbidden or not regular, a
search-path lookup, something pynix does not implement, memory). So
`{ a = 1 + "x"; }` gets its error; `{ old = throw "renamed"; }`, an
attribute that imports a file the checkout lacks, and every file of
nixpkgs' lib get none.

- a `NixError` becomes a diagnostic at its span in this document; when the
  error happened in another file, at the innermost trace frame that points
  into this document, with the other place as related information;
- running out of time, or a newer edit, stops the evaluation: nothing is
  reported;
- anything else (a pynix bug) is reported to the caller's `log`, never as
  a diagnostic.

`builtins.trace` output is discarded; fetchers stop the evaluation quietly
(`Skip`).
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import re
import threading
import time
from dataclasses import dataclass, field

from .diagnostics import ERROR, WARNING, Diagnostic, Related

NETWORK_BUILTINS = ("fetchurl", "fetchTarball", "fetchGit", "fetchTree", "fetchMercurial", "fetchClosure",
                    "getFlake")
MAX_MEMBER_ERRORS = 20     # errors of attributes / list elements reported at most
MEMBERS_SHARE = 0.8        # share of the budget after which no more members are forced


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*(?:\.[A-Za-z_][A-Za-z0-9_'\-]*)*|\S")


class EvalCancelled(BaseException):
    """Raised inside the worker's evaluation thread to stop a job (never an
    `Exception`, so no `except Exception` in the evaluator can swallow it)."""


class Skip(BaseException):
    """The evaluation needs something the editor does not allow (the network)."""


@dataclass
class EvalOutcome:
    status: str                              # "ok", "error", "timeout", "cancelled", "skipped", "internal"
    diagnostics: list = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""                         # for "skipped" and "internal": why

    @classmethod
    def from_json(cls, d: dict) -> "EvalOutcome":
        return cls(str(d.get("status", "internal")), [diagnostic_from_json(x) for x in d.get("diagnostics", ())],
                   detail=str(d.get("detail", "")))


def diagnostic_to_json(d: Diagnostic) -> dict:
    return dataclasses.asdict(d)


def diagnostic_from_json(d: dict) -> Diagnostic:
    d = dict(d)
    d["related"] = [Related(**r) for r in d.get("related", ())]
    d["tags"] = tuple(d.get("tags", ()))
    return Diagnostic(**d)


class _Null:
    def write(self, s):
        return len(s)

    def flush(self):
        pass


# -- in the worker --------------------------------------------------------------------------------

def new_evaluator(policy: dict):
    """An Evaluator for one editor job: the policy's options, trace output
    discarded, no network."""
    from ..evaluator import Evaluator
    from ..runtime.values import PrimOp
    from .policy import eval_options
    ev = Evaluator(eval_options(policy or {}))
    ev.stderr = _Null()
    no_network(ev, PrimOp)
    return ev


def evaluate_document(job: dict) -> dict:
    """The "diagnostics" job: {"text", "path", "budget", "policy"} -> {"status", "diagnostics"}."""
    from .. import errors as E
    from ..runtime.values import force
    from ..source import Source

    t0 = time.monotonic()
    text, path = job["text"], job.get("path")
    if path:
        src = Source(text, path, os.path.dirname(path))
    else:
        src = Source(text, "«editor»", os.getcwd())
    ev = new_evaluator(job.get("policy"))
    try:
        v = force(ev.eval_source(src))              # weak head normal form: nix-instantiate --eval
    except E.ParseError as err:
        if err.source is not None and err.source.origin == src.origin:
            return {"status": "skipped", "detail": "syntax errors"}     # the static diagnostics say it
        return {"status": "error", "diagnostics": [diagnostic_to_json(_diagnostic(err, src, text))]}
    except E.NixError as err:
        severity = WARNING if _about_the_world(err) else ERROR
        return {"status": "error", "diagnostics": [diagnostic_to_json(_diagnostic(err, src, text, severity))]}
    budget = float(job.get("budget") or 2.0)
    found = _member_errors(v, src, text, t0 + budget * MEMBERS_SHARE)
    return {"status": "error" if found else "ok", "diagnostics": [diagnostic_to_json(d) for d in found]}


# errors about the world outside the code: the editor's restrictions, files and search-path
# entries missing here, what pynix does not implement, memory
WORLD = ("RestrictedPathError", "NotRegularFile", "NotImplementedYet", "OutOfMemory")
WORLD_KINDS = ("no-such-path", "not-in-search-path")
DELIBERATE = ("ThrownError", "AbortError", "AssertionFailed")


def _about_the_world(err) -> bool:
    from .. import errors as E
    return isinstance(err, tuple(getattr(E, n) for n in WORLD)) or getattr(err, "kind", None) in WORLD_KINDS


def _mistake_here(err, src) -> bool:
    """A mistake written in this document: the error's innermost position is
    here, and it is neither deliberate nor about the world."""
    from .. import errors as E
    sources = [err.source] + [f.source for f in getattr(err, "frames", None) or ()]
    innermost = next((s for s in sources if s is not None), None)
    return (innermost is not None and innermost.origin == src.origin and not _about_the_world(err)
            and not isinstance(err, tuple(getattr(E, n) for n in DELIBERATE)))


def _member_errors(v, src, text: str, soft_deadline: float) -> list:
    """Errors of the attributes or elements of `v`, each forced to weak head
    normal form (see the module's rule), while time is left."""
    from .. import errors as E
    from ..runtime.positions import attr_where
    from ..runtime.values import Attrs, force
    from ..syntax.printer import identifier
    from ..syntax.symbols import symbol_sorted
    if type(v) is Attrs:
        items = [(k, v.d[k]) for k in symbol_sorted(v.d)]
    elif type(v) is list:
        items = list(enumerate(v))
    else:
        return []
    out = []
    with SoftStopper(soft_deadline) as stopper:
        try:
            for key, x in items:
                if len(out) >= MAX_MEMBER_ERRORS:
                    break
                try:
                    force(x)
                except E.NixError as err:
                    if not _mistake_here(err, src):
                        continue
                    if isinstance(err, E.EvalError) and type(key) is int:
                        err.add_frame(f"while evaluating list element at index {key}")
                    elif isinstance(err, E.EvalError):
                        err.add_frame(f"while evaluating the attribute '{identifier(key)}'", *attr_where(v, key))
                    out.append(_diagnostic(err, src, text))
                except RecursionError:
                    continue
        except SoftStop:
            stopper.fired = True
    return out


class SoftStop(EvalCancelled):
    """Raised in the evaluation thread when a part of a job has taken its
    share of the budget. An `EvalCancelled`, so that one arriving at an
    unlucky moment (as the part ends) stops the job like a cancellation."""


class SoftStopper:
    """Interrupts the calling thread once at `when` (a `time.monotonic()`):
    one slow member (or child of a printed value) costs itself, not the
    whole job."""

    def __init__(self, when: float):
        self.when = when
        self.fired = False
        self.active = False
        self.lock = threading.Lock()
        self.tid = threading.get_ident()
        self.timer = None

    def __enter__(self):
        self.active = True
        self.timer = threading.Timer(max(0.0, self.when - time.monotonic()), self._fire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def _fire(self):
        with self.lock:
            if self.active:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid), ctypes.py_object(SoftStop))

    def __exit__(self, *exc):
        self.timer.cancel()
        with self.lock:
            self.active = False
            # a stop sent just as the part ended must not hit the code after it
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid), None)
        return False


def _skip(_name: str):
    def refuse(ev_, *args):
        raise Skip()
    return refuse


def no_network(ev, PrimOp, refuse=_skip) -> None:
    """Replace the builtins that use the network (NETWORK_BUILTINS) in `ev`
    by `refuse(name)`, a primop function: the editor stops the evaluation
    quietly, the browser playground says why."""
    from ..resolve.globals import GLOBAL_NAMES
    names = sorted(GLOBAL_NAMES)
    for n in NETWORK_BUILTINS:
        op = PrimOp(n, 1, refuse(n), "")
        ev.builtins.d[n] = op
        for g in (n, "__" + n):
            if g in names:
                # the base environment is a frame `[up, slot0, slot1, ...]` in GLOBAL_NAMES order
                ev.base_env[1 + names.index(g)] = op


def _diagnostic(err, src, text: str, severity: str = ERROR) -> Diagnostic:
    from .hints import hint_for
    frames = [(err.source, err.span, err.message)] + [(f.source, f.span, f.message)
                                                      for f in getattr(err, "frames", None) or ()]
    here = next(((s, sp, m) for s, sp, m in frames
                 if s is not None and sp is not None and s.origin == src.origin), None)
    related = []
    if err.source is not None and err.span is not None and err.source.origin != src.origin:
        related.append(Related(f"the error is in {err.source.origin}", err.span.start, err.span.end,
                               err.source.origin if os.path.isabs(err.source.origin) else None))
    if here is None:
        start = end = 0
    else:
        start, end = here[1].start, here[1].end
        if here[2] != err.message:
            related.append(Related(here[2], start, end))
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if end == start and start < len(text):
        # a position without extent (Nix positions are points): the word there
        m = _WORD.match(text, start)
        end = m.end() if m else start + 1
    hint = hint_for(err)
    message = err.message + (f"\n{hint}" if hint else "")
    suggestions = getattr(err, "suggestions", None)
    if suggestions:
        message = err.message + ". Did you mean " + " or ".join(suggestions) + "?" + (f"\n{hint}" if hint else "")
    return Diagnostic(start, end, severity, err.code, message, related=related, kind="eval", hint=hint)


# -- in the server ----------------------------------------------------------------------------------

_runner = None
_runner_lock = threading.Lock()


def _lane():
    global _runner
    with _runner_lock:
        if _runner is None:
            from .runner import EvalRunner
            _runner = EvalRunner("pynix-eval-diagnostics")
        return _runner


def evaluate(text: str, path: str | None = None, timeout: float = 2.0, cancel: threading.Event | None = None,
             policy: dict | None = None, runner=None) -> EvalOutcome:
    """Evaluate the document in a worker (`runner`, by default the diagnostics
    lane) and wait for the outcome: the evaluation may run `timeout` seconds
    from its start (it may wait behind others first), then its worker is
    stopped. Blocks: call it from a thread, not an event loop."""
    from . import policy as policies
    if policy is None:
        policy = policies.for_document(path)
    t0 = time.monotonic()
    spec = {"kind": "diagnostics", "text": text, "path": path, "budget": timeout, "policy": policy}
    out = EvalOutcome.from_json((runner or _lane()).run(spec, timeout, cancel))
    out.seconds = time.monotonic() - t0
    return out


def eval_diagnostics(text: str, path: str | None = None, timeout: float = 2.0,
                     cancel: threading.Event | None = None, policy: dict | None = None) -> list[Diagnostic] | None:
    """Diagnostics from evaluating the document, or None when the evaluation
    did not finish (budget, cancelled, skipped, internal error)."""
    out = evaluate(text, path, timeout, cancel, policy)
    if out.status == "error":
        return out.diagnostics
    if out.status == "ok":
        return []
    return None
