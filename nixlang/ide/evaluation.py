"""Evaluation diagnostics: evaluate the document under a time budget, off the hot path.

No editor server for Nix reports evaluation errors; this one can, because
the evaluator is the same one `pynix eval` uses. The document's value is
computed (and, unless it is a function, forced deeply, like `pynix eval`)
in one long-lived worker thread with a large stack. The caller waits at
most `timeout` seconds:

- a `NixError` becomes a diagnostic at its span in this document; when the
  error happened in another file, at the innermost trace frame that points
  into this document, with the other place as related information;
- running out of time, or a newer edit (`cancel` event set), stops the
  evaluation: an exception is raised inside the worker thread
  (`PyThreadState_SetAsyncExc`) and nothing is reported;
- anything else (a pynix bug) is reported to the caller's `log`, never as
  a diagnostic.

An `EvalRunner` also runs other evaluations for the editor (`submit`: any
function, stopped at its budget without anyone waiting for it), such as the
values shown in hovers (`values`, which has runners of its own).

Evaluation is pure (`EvalOptions(pure=True)`), fetchers that would use the
network are replaced by a function that stops the evaluation quietly,
`builtins.trace` output is discarded, and nothing is written to a store.
The evaluator is imported only when an evaluation is asked for.
"""
from __future__ import annotations

import ctypes
import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field

from .diagnostics import ERROR, Diagnostic, Related

NETWORK_BUILTINS = ("fetchurl", "fetchTarball", "fetchGit", "fetchTree", "fetchMercurial", "fetchClosure",
                    "getFlake")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*(?:\.[A-Za-z_][A-Za-z0-9_'\-]*)*|\S")


class EvalCancelled(BaseException):
    """Raised inside the worker to stop an evaluation (never an `Exception`,
    so no `except Exception` in the evaluator can swallow it)."""


class _Skip(BaseException):
    """The evaluation needs something the editor does not allow (the network)."""


@dataclass
class EvalOutcome:
    status: str                              # "ok", "error", "timeout", "cancelled", "skipped", "internal"
    diagnostics: list = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""                         # for "internal": the exception text


class _Null:
    def write(self, s):
        return len(s)

    def flush(self):
        pass


class _Job:
    """One piece of work for the worker: a document to evaluate (`text`,
    `path`), or any callable `work(max_call_depth)` that returns the outcome."""
    __slots__ = ("text", "path", "work", "done", "outcome", "cancel", "started", "injected", "timed_out")

    def __init__(self, text, path, cancel, work=None):
        self.text = text
        self.path = path
        self.work = work
        self.cancel = cancel
        self.done = threading.Event()
        self.outcome: EvalOutcome | None = None
        self.started = False
        self.injected = False
        self.timed_out = False


class EvalRunner:
    """One worker thread that evaluates documents, one at a time."""

    STACK_SIZE = 256 * 1024 * 1024

    def __init__(self, max_call_depth: int = 2000):
        self.max_call_depth = max_call_depth
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._current: _Job | None = None
        self._thread: threading.Thread | None = None
        self._tid: int | None = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            old = threading.stack_size()
            try:
                threading.stack_size(self.STACK_SIZE)
            except (ValueError, RuntimeError):
                pass
            try:
                self._thread = threading.Thread(target=self._loop, name="pynix-eval", daemon=True)
                self._thread.start()
            finally:
                try:
                    threading.stack_size(old)
                except (ValueError, RuntimeError):
                    pass

    def evaluate(self, text: str, path: str | None, timeout: float = 2.0,
                 cancel: threading.Event | None = None) -> EvalOutcome:
        """Evaluate `text` (the document at `path`), waiting at most `timeout` seconds."""
        self._ensure_thread()
        job = _Job(text, path, cancel or threading.Event())
        t0 = time.monotonic()
        self._queue.put(job)
        deadline = t0 + timeout
        while not job.done.wait(0.02):
            if job.cancel.is_set() or time.monotonic() > deadline:
                status = "cancelled" if job.cancel.is_set() else "timeout"
                self._stop(job)
                self._stop_until_done(job, wait=2.0)
                return EvalOutcome(status, seconds=time.monotonic() - t0)
        out = job.outcome or EvalOutcome("internal")
        out.seconds = time.monotonic() - t0
        return out

    def load(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            running = 1 if self._current is not None else 0
        return self._queue.qsize() + running

    def submit(self, work, timeout: float, cancel: threading.Event | None = None) -> _Job:
        """Run `work(max_call_depth)` in the worker without waiting for it. It is
        stopped `timeout` seconds after submission (its outcome is then "timeout";
        a job still queued at its deadline never starts) or when `cancel` is set.
        Wait on `job.done`; `job.outcome` is an `EvalOutcome`, or what `work`
        returned."""
        self._ensure_thread()
        job = _Job(None, None, cancel or threading.Event(), work)
        self._queue.put(job)
        timer = threading.Timer(max(0.0, timeout), self._expire, (job,))
        timer.daemon = True
        timer.start()
        if cancel is not None:
            # a caller's cancel event is only looked at by the timer: poll it
            threading.Thread(target=self._watch_cancel, args=(job, timer), daemon=True).start()
        return job

    def _watch_cancel(self, job: _Job, timer: threading.Timer) -> None:
        while not job.done.wait(0.05):
            if job.cancel.is_set() and not job.timed_out:
                timer.cancel()
                self._expire(job, timeout=False)
                return

    def _expire(self, job: _Job, timeout: bool = True) -> None:
        if job.done.is_set():
            return
        job.timed_out = timeout
        self._stop(job)
        self._stop_until_done(job)

    def _stop_until_done(self, job: _Job, wait: float | None = None) -> None:
        """Send the stop again until the job has ended: an asynchronous exception
        can be swallowed (raised inside a gc callback or a `__del__`). With
        `wait`, the caller waits that long at most and a daemon thread goes on
        sending it (the worker must not stay busy with a job nobody wants)."""
        give_up = None if wait is None else time.monotonic() + wait
        while not job.done.wait(0.1):
            if give_up is not None and time.monotonic() > give_up:
                threading.Thread(target=self._stop_until_done, args=(job,), daemon=True).start()
                return
            self._stop(job, again=True)

    def _stop(self, job: _Job, again: bool = False) -> None:
        job.cancel.set()
        with self._lock:
            if self._current is job and (again or not job.injected) and self._tid is not None:
                job.injected = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._tid),
                                                           ctypes.py_object(EvalCancelled))

    def _clear_pending(self) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._tid), None)

    def _loop(self) -> None:
        self._tid = threading.get_ident()
        while True:
            try:
                job = self._queue.get()
                if job.cancel.is_set():
                    job.outcome = EvalOutcome("timeout" if job.timed_out else "cancelled")
                    job.done.set()
                    continue
                job.started = True
                with self._lock:
                    self._current = job
                try:
                    try:
                        if job.work is not None:
                            job.outcome = job.work(self.max_call_depth)
                        else:
                            job.outcome = _evaluate(job.text, job.path, self.max_call_depth)
                    finally:
                        with self._lock:
                            self._current = None
                            self._clear_pending()
                except EvalCancelled:
                    job.outcome = EvalOutcome("timeout" if job.timed_out else "cancelled")
                except _Skip:
                    job.outcome = EvalOutcome("skipped")
                except RecursionError:
                    job.outcome = EvalOutcome("skipped", detail="recursion too deep")
                except MemoryError:        # a file that never ends, a string that keeps doubling
                    job.outcome = EvalOutcome("skipped", detail="out of memory")
                except Exception as exc:   # a pynix bug: tell the caller, never crash
                    job.outcome = EvalOutcome("internal", detail=repr(exc))
                job.done.set()
            except EvalCancelled:
                # delivered after the job ended: the job has its outcome already
                with self._lock:
                    self._current = None
                    self._clear_pending()
                continue


def _evaluate(text: str, path: str | None, max_call_depth: int) -> EvalOutcome:
    from .. import errors as E
    from ..evaluator import EvalOptions, Evaluator
    from ..runtime.values import Closure, PrimOp, PrimOpApp, force
    from ..source import Source

    if path:
        src = Source(text, path, os.path.dirname(path))
    else:
        src = Source(text, "«editor»", os.getcwd())
    ev = Evaluator(EvalOptions(pure=True, max_call_depth=max_call_depth))
    ev.stderr = _Null()
    no_network(ev, PrimOp)
    try:
        v = force(ev.eval_source(src))
        if type(v) not in (Closure, PrimOp, PrimOpApp):
            ev.deep_force(v)
    except E.ParseError as err:
        if err.source is not None and err.source.origin == src.origin:
            return EvalOutcome("skipped")      # the static diagnostics already say it
        return EvalOutcome("error", [_diagnostic(err, src, text)])
    except E.NixError as err:
        return EvalOutcome("error", [_diagnostic(err, src, text)])
    return EvalOutcome("ok")


def _skip(_name: str):
    def refuse(ev_, *args):
        raise _Skip()
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


def _diagnostic(err, src, text: str) -> Diagnostic:
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
    return Diagnostic(start, end, ERROR, err.code, message, related=related, kind="eval", hint=hint)


_runner: EvalRunner | None = None
_runner_lock = threading.Lock()


def eval_diagnostics(text: str, path: str | None = None, timeout: float = 2.0,
                     cancel: threading.Event | None = None) -> list[Diagnostic] | None:
    """Diagnostics from evaluating the document, or None when the evaluation
    did not finish (budget, cancelled, skipped, internal error)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = EvalRunner()
    out = _runner.evaluate(text, path, timeout, cancel)
    if out.status == "error":
        return out.diagnostics
    if out.status == "ok":
        return []
    return None
