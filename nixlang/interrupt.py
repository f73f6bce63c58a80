"""Ctrl-C: stopping an evaluation that runs in the `pynix` worker thread.

`pynix` evaluates in a worker thread with a big stack (`cli.main`), but
POSIX signals are delivered to Python's main thread only, which just waits
for the worker. Nix checks an "interrupted" flag in its call path
(`checkInterrupt()`) and throws `Interrupted` ("interrupted by the user")
from there; the REPL catches it, prints it and prompts again with its
bindings kept (`NixRepl::mainLoop`), the other commands exit.

Two ways to get the interruption into the worker were weighed:

- A flag that the evaluator polls (Nix's way). Cheap where it is polled,
  but it must be polled everywhere something can run long: every call of a
  Nix function and every loop of every builtin (`genList` of 10^8
  elements is one Python list comprehension that calls no Nix function). A
  loop that forgets to poll cannot be stopped, and the hot call path pays
  for the check on every call.
- An asynchronous exception (`PyThreadState_SetAsyncExc`): CPython raises
  it in the worker at its next "eval breaker" check (function entry,
  backward jump, return from a C call), i.e. in any Python loop, inside
  builtins too, with no cost until it is used. Chosen here. What it needs:

  * a place where it may arrive: only inside a *region* (`run`), entered
    and left under a lock; the main thread injects only while the worker is
    in one, and leaving clears any exception still pending under the same
    lock, so nothing can arrive later, in the prompt or while printing;
  * the exception may arrive in the code that leaves the region: leaving
    is retried until it has happened, and `run` reports the interruption
    as a value, never as an exception escaping it;
  * code that swallows every exception (a gc callback, a `__del__`) eats
    it: the main thread sends it again every half second until the region
    has ended, and the swallowed one is not reported (`sys.unraisablehook`);
  * the evaluator must stay usable after an exception from anywhere: a
    thunk being forced puts its code back on any `BaseException`
    (`Thunk.force`, as Nix's `forceValue` does), so a binding whose
    evaluation was interrupted is evaluated afresh when used again, and the
    store writes files atomically;
  * it cannot stop a single long C call (one huge regex match, hashing one
    huge string); the third Ctrl-C while the first is still unanswered ends
    the process (exit 130) instead of leaving the user stuck.

`Interrupted` is a `KeyboardInterrupt`, so code run without `cli.main`
(tests, a library user in the main thread) sees the same exception from
Python's own Ctrl-C handling. So does the browser playground: on Pyodide
there is one thread and no signal, and Pyodide itself raises
KeyboardInterrupt when the page writes to its interrupt buffer; nothing here
runs there (importing this module starts nothing: no thread, no handler).
"""
from __future__ import annotations

import os
import sys
import threading
import time

try:
    # the C module under `signal`: the same calls, without the enum classes
    # `signal` builds on import (a few percent of `pynix -E 1`)
    import _signal as signal
except ImportError:
    import signal

MESSAGE = "error: interrupted by the user\n"   # Nix's wording (libutil's checkInterrupt)
EXIT_STATUS = 130                              # 128 + SIGINT, as shells report a Ctrl-C
RESEND_SECONDS = 0.5
GIVE_UP_AFTER = 3                              # Ctrl-Cs left unanswered before the process ends


class Interrupted(KeyboardInterrupt):
    """Raised inside an evaluation stopped by Ctrl-C."""


_lock = threading.Lock()
_tid: int | None = None          # the thread in a region, if any
_requested = False               # a Ctrl-C arrived and the region has not ended
_sent_at = 0.0
_unanswered = 0
_signals = 0                     # bumped by the signal handler, read by the main thread's loop
_injected = False                # an Interrupted was sent to the region's thread (ctypes then imported)


def _set_async_exc(tid: int, exc) -> None:
    # ctypes is imported only when a Ctrl-C comes (it is 2 ms of every start-up)
    import ctypes
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None if exc is None else ctypes.py_object(exc))


def _inject(tid: int) -> None:
    global _sent_at, _injected
    _injected = True
    _set_async_exc(tid, Interrupted)
    _sent_at = time.monotonic()


def _enter(fresh: bool) -> bool:
    """Enter a region in this thread; False when a Ctrl-C already asked to stop."""
    global _tid, _requested, _unanswered
    with _lock:
        if fresh:
            _requested = False
            _unanswered = 0
        if _requested:
            return False
        _tid = threading.get_ident()
        return True


def _leave() -> None:
    global _tid, _requested, _unanswered, _injected
    with _lock:
        tid, _tid = _tid, None
        _requested = False
        _unanswered = 0
        if tid is not None and _injected:
            # an Interrupted sent but not yet raised must not hit later code
            _set_async_exc(tid, None)
            _injected = False


def run(fn, *args, fresh: bool = False):
    """Call `fn(*args)` so that Ctrl-C stops it: `(interrupted, result)`.
    `fresh` forgets a Ctrl-C that came before (the REPL, for each input, as
    `nix repl` does); otherwise an earlier one stops `fn` before it starts.
    Other exceptions from `fn` propagate, the region left all the same."""
    interrupted, result = False, None
    try:
        if _enter(fresh):
            result = fn(*args)
        else:
            interrupted = True
    except KeyboardInterrupt:
        interrupted = True
    finally:
        while True:
            try:
                _leave()
                break
            except KeyboardInterrupt:   # sent while leaving: the region is over all the same
                continue
    return interrupted, result


def request() -> None:
    """Ask the region (if one is running) to stop: what a Ctrl-C does."""
    global _requested, _unanswered
    with _lock:
        _requested = True
        _unanswered += 1
        if _tid is not None:
            _inject(_tid)
        unanswered = _unanswered if _tid is not None else 0
    if unanswered >= GIVE_UP_AFTER:
        try:
            sys.stderr.write(MESSAGE)
            sys.stderr.flush()
        finally:
            os._exit(EXIT_STATUS)


def _resend() -> None:
    with _lock:
        if _requested and _tid is not None and time.monotonic() - _sent_at >= RESEND_SECONDS:
            _inject(_tid)


def _on_sigint(signum, frame) -> None:
    global _signals
    _signals += 1


def _quiet_unraisable(hook):
    """An unraisable-exception hook that says nothing of an `Interrupted`
    swallowed by a `__del__` or a gc callback (it is sent again), and passes
    everything else to `hook`."""
    def unraisable(info):
        if not isinstance(info.exc_value, Interrupted):
            hook(info)
    return unraisable


def wait_for(thread: threading.Thread) -> None:
    """The main thread's side: wait for `thread` to end, turning each SIGINT
    into a `request()`. Python's SIGINT handler is restored afterwards."""
    global _signals
    try:
        previous = signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:            # not the main thread: no signals to handle here
        thread.join()
        return
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_unraisable(hook)
    try:
        seen = _signals
        while thread.is_alive():
            thread.join(0.1)
            if _signals != seen:
                seen = _signals
                request()
            else:
                _resend()
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
