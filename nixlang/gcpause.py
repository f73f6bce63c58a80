"""Pausing Python's cyclic garbage collector while a big structure is built.

Parsing allocates a few objects per token (nodes, lists, names) and keeps
almost all of them: the AST lives as long as the file is loaded. With the
collector on, those allocations trigger collection after collection, each
examining young objects that all survive, and now and then a full
collection of the whole heap: on a 50,000-line file that was half of the
parse time. Paused, the new objects are examined once, afterwards.

`paused(keep=True)` says the structure built is kept (a file's tree, as the
evaluator keeps it): then the new objects are not examined at all by the
collections that follow. When the pause ends they are handed straight to
the oldest generation (`gc.freeze()` then `gc.unfreeze()`, two list
splices, as CPython's `gc_freeze_impl` / `gc_unfreeze_impl` do them), where
only a full collection looks at them. Left in the youngest generation, the
first allocation after the pause started a collection that walked the whole
new tree (0.12-0.17 s of a 0.8 s parse of 50,000 lines), and a later one
walked it again in the middle generation, only to find it all alive. Cycles
made meanwhile (a resolved name points back at its binding) are still
freed, by the next full collection.

Only kept structures are handed over: garbage there waits for a full
collection, which CPython starts only once enough objects have *survived*
into the oldest generation (handed-over ones do not count), so an editor's
analyses, replaced at every change, must stay young to be collected soon.
The hand-over is skipped too when the pause made fewer than HANDOVER_MIN
objects (cheap to examine young), and when the process has frozen objects
of its own (`runtime.memory.tune_gc`: the CLI; the language server's big
documents): unfreezing would put those back under collection.

`paused()` nests and may be entered from several threads (the language
server analyses in a thread pool): the first one in pauses the collector,
the last one out resumes it, unless it was off already; the first one's
`keep` decides the hand-over.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

HANDOVER_MIN = 100_000    # objects made during a pause: fewer stay in the youngest generation

_lock = threading.Lock()
_depth = 0
_was_enabled = True
_keep = False
_young_at_start = 0       # the young generation's count when the outermost pause began


@contextmanager
def paused(keep: bool = False):
    global _depth, _was_enabled, _keep, _young_at_start
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            _keep = keep
            gc.disable()
            _young_at_start = gc.get_count()[0]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if _keep:
                    _to_oldest_generation()
                gc.enable()


def _to_oldest_generation() -> None:
    """Move every object the collector tracks into its oldest generation,
    without examining any (see the module's docstring); nothing when the
    process keeps objects frozen, or when the pause made few objects."""
    # (no collection runs during the pause, so the young count grew by what it made)
    if gc.get_count()[0] - _young_at_start >= HANDOVER_MIN and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
