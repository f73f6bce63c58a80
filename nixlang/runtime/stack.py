"""Deep evaluations without frame-stack churn.

Nix programs recurse deeply (a thunk forces a thunk that calls a function
that forces a thunk ...), and each level is several Python frames. The CLI
runs evaluation in a thread with a large C stack and a high recursion limit
(a Python `RecursionError` becomes Nix's "stack overflow" error), and
`max-call-depth` catches runaway Nix recursion long before that.

CPython 3.11 keeps Python frames in per-thread "data stack chunks" of 16 KiB,
allocated with mmap and freed with munmap *as soon as* the frame at the start
of a chunk returns. Recursion that goes back and forth across a chunk boundary
(`fib 25` does so about 90,000 times) therefore makes two system calls and
several page faults per crossing: more than a second of system time for
`fib 25`. `in_roomy_frame_stack` avoids this: it runs the work under a frame
whose code declares a huge (never used, never touched) value stack. CPython
sizes a new chunk as the smallest power of two that fits the frame, so this
frame gets a chunk of twice its size, and every frame of the evaluation fits
in the free half of that same chunk: no more chunk pushes and pops. The
memory is only reserved; pages are touched when the recursion really gets
that deep, exactly as with small chunks.
"""
from __future__ import annotations

import types

# value-stack slots (8 bytes each) the trampoline's frame declares: 16 MiB,
# which CPython rounds up to a 32 MiB chunk, leaving ~16 MiB (some 100,000
# typical frames) for the evaluation. Deeper recursion just goes on in new
# chunks, as usual.
_ROOM_SLOTS = 1 << 21


def _trampoline(fn):
    return fn()


try:
    _roomy = types.FunctionType(_trampoline.__code__.replace(co_stacksize=_ROOM_SLOTS), {})
except (AttributeError, TypeError, ValueError):   # another Python: no such frame stack
    _roomy = _trampoline


def in_roomy_frame_stack(fn):
    """Call `fn()` under a frame with room for deep recursion after it."""
    return _roomy(fn)
