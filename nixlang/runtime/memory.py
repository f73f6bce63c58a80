"""The garbage-collection policy of an evaluation.

Nix values live in reference-counted Python objects, and most garbage is
freed by reference counting the moment it becomes garbage. What reference
counting cannot free are cycles, and an evaluation makes them all the time:
a `let` or `rec { }` frame holds thunks that hold the frame, a function
bound in a `let` holds the frame it is bound in. A thunk drops its frame
once forced, so only frames of thunks nobody ever forced, and functions
stored in their own frame, stay cyclic garbage.

CPython's cyclic collector is a poor fit for this heap. It is generational,
but a Nix evaluation keeps almost everything it makes until the end (every
attribute of every package set, every thunk forced once and kept), so each
full collection scans a large and nearly all-live heap, and CPython starts
one whenever the heap has grown by a quarter. On a NixOS system evaluation
that was 61 s of a 76 s run, to free about a tenth of the memory.

So a one-shot evaluation (`pynix instantiate`, `pynix eval`) does what a
generous Boehm heap does: it does not collect while memory is plentiful.
The REPL does the same: its scope keeps what it loads (`:l <nixpkgs>` is
the whole package set), and collections while it loads halved its speed.
The collector is disabled, and a watchdog thread looks at the resident
size a few times a second; when it passes a threshold (a quarter of the
machine's memory, at least 2 GiB) it runs one full collection, and sets the
next threshold to 1.5 times what is left, so collections stay rare even on
a heap that really is that large. The language server, which makes
garbage with every edit, keeps the collector, tuned by `tune_gc` for a
mostly-live heap.

A one-shot command also ends without tearing its heap down: freeing tens
of millions of objects one by one took longer than some evaluations. The
CLI keeps the evaluator alive (`keep_alive`), flushes its output and leaves
with `os._exit` (see `nixlang.cli.entry`).
"""
from __future__ import annotations

import gc
import os
import threading

_gc_frozen = False
_kept: list = []
ONE_SHOT = False   # set by the CLI's entry point for commands that evaluate once


def tune_gc() -> None:
    """Make the cyclic collector cheaper for a long-running process: what
    exists now (modules, parser tables, builtins) lives until the process
    ends, so it is moved out of the collected generations (once per
    process), and the youngest generation is collected every 50,000
    allocations instead of 700. Cyclic garbage is still collected."""
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.freeze()
    gc.set_threshold(50000, 10, 10)


def _page_size() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4096


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def resident_bytes() -> int:
    """The resident set size of this process (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _page_size()
    except (OSError, ValueError, IndexError):
        return 0


class _Watchdog:
    def __init__(self, first_threshold: int, interval: float):
        self.threshold = first_threshold
        self.floor = first_threshold
        self.interval = interval
        self.collections = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            rss = resident_bytes()
            if rss and rss > self.threshold:
                gc.collect()
                self.collections += 1
                self.threshold = max(self.floor, int(resident_bytes() * 1.5))


_watchdog: _Watchdog | None = None


def collect_only_under_pressure(threshold: int | None = None, interval: float = 0.25) -> None:
    """The one-shot policy: no collections until the resident size passes
    `threshold` (default: a quarter of physical memory, at least 2 GiB;
    PYNIX_GC_THRESHOLD_MB overrides it), checked every `interval` seconds."""
    global _watchdog
    tune_gc()
    gc.disable()
    if _watchdog is not None:
        return
    if threshold is None:
        env = os.environ.get("PYNIX_GC_THRESHOLD_MB")
        if env and env.isdigit():
            threshold = int(env) << 20
        else:
            threshold = max(2 << 30, _physical_memory() // 4)
    _watchdog = _Watchdog(threshold, interval)
    threading.Thread(target=_watchdog.run, name="pynix-gc-watchdog", daemon=True).start()


def collect_before(resident: int) -> None:
    """Collect no later than at `resident` bytes: the memory guard
    (runtime/memory_guard.py) allows less than the threshold, and garbage
    cycles must be freed before it trips."""
    if _watchdog is not None and resident < _watchdog.threshold:
        _watchdog.threshold = _watchdog.floor = resident


def keep_alive(obj) -> None:
    """Keep `obj` (an evaluator and everything it reaches) until the process
    ends, so that it is not freed object by object just before exit."""
    _kept.append(obj)
