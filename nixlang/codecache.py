"""A cache of compiled generated code between runs, keyed by the generated text.

Generating Python text is cheap; `compile()` of it is not (0.2 ms for a
ten-line function, about a millisecond for a tier-2 body, more than a
second for all of a NixOS system's). Three generators use it: tier 2 (the
code of hot Nix function bodies, `compile.codegen`), `records` (the
methods of record classes, written at first use in every process) and
`binder` (the binding of a lambda's formals, `runtime.calls.make_binder`). The
text alone decides the code, so the code object compiled from it is kept
on disk, marshalled, under the SHA-256 of the text and this Python's
bytecode magic: the same text always gives the same code, so an entry can
never be stale, and a different Python never reads another's entries.

The cache lives in `$PYNIX_CACHE_DIR` or `$XDG_CACHE_HOME/pynix` (default
`~/.cache/pynix`), under `tier2/`, `records/` and `binder/` (the `kind` of the code).
`PYNIX_CACHE=off` turns it off. Writes are
atomic (a temporary file renamed into place); an unreadable or corrupt
entry is ignored and written again; any failure to write is silent (the
code was compiled anyway).
"""
from __future__ import annotations

import marshal
import os
from types import CodeType as _CodeType

from .atomicfile import write_atomically
from .digest import sha256

try:
    # what importlib.util re-exports, without the imports of importlib.util
    # (contextlib and more: a sixth of the start-up's imports)
    from _frozen_importlib_external import MAGIC_NUMBER as _MAGIC_BYTES
except ImportError:     # another Python's import system
    from importlib.util import MAGIC_NUMBER as _MAGIC_BYTES
_MAGIC = _MAGIC_BYTES.hex()


_root_memo: tuple = (None, None)     # (the environment it was computed from, the root)


def cache_root() -> str | None:
    env = os.environ
    given = (env.get("PYNIX_CACHE"), env.get("PYNIX_CACHE_DIR"), env.get("XDG_CACHE_HOME"), env.get("HOME"))
    global _root_memo
    if _root_memo[0] == given:
        return _root_memo[1]
    if given[0] == "off":
        root = None
    else:
        root = given[1]
        if not root:
            xdg = given[2] or os.path.join(os.path.expanduser("~"), ".cache")
            root = os.path.join(xdg, "pynix")
    _root_memo = (given, root)
    return root


def read_whole(path: str) -> bytes:
    """The bytes of the file at `path` (OSError if it cannot be read): one
    open, fstat, read and close, without the file objects of `open()`
    (half the cost for a code-cache entry)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) != size:       # a short read: read on to the end
            parts = [data]
            while True:
                more = os.read(fd, 1 << 20)
                if not more:
                    break
                parts.append(more)
            data = b"".join(parts)
        return data
    finally:
        os.close(fd)


def compile_cached(text: str, filename: str, kind: str = "tier2"):
    """`compile(text, filename, "exec")`, through the on-disk cache's `kind` folder."""
    root = cache_root()
    if root is None:
        return compile(text, filename, "exec")
    key = sha256(filename.encode("utf-8", "surrogatepass") + b"\0"
                         + text.encode("utf-8", "surrogatepass")).hexdigest()
    folder = os.path.join(root, kind, _MAGIC, key[:2])
    path = os.path.join(folder, key)
    try:
        code = marshal.loads(read_whole(path))
        if type(code) is _CodeType and code.co_filename == filename:
            return code
    except (OSError, ValueError, EOFError, TypeError):
        pass
    code = compile(text, filename, "exec")
    try:
        os.makedirs(folder, exist_ok=True)
        write_atomically(path, marshal.dumps(code))
    except OSError:
        pass
    return code
