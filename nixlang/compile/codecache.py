"""A cache of compiled tier-2 code between runs, keyed by the generated text.

Generating the Python text of a hot body is cheap; `compile()` of it is
not (about a millisecond per body, more than a second on a NixOS system).
The text depends only on the Nix source of the body, so the code object
compiled from it is kept on disk, marshalled, under the SHA-256 of the text
and this Python's bytecode magic: the same text always gives the same
code, so an entry can never be stale, and a different Python never reads
another's entries.

The cache lives in `$PYNIX_CACHE_DIR` or `$XDG_CACHE_HOME/pynix` (default
`~/.cache/pynix`), under `tier2/`. `PYNIX_CACHE=off` turns it off. Writes are
atomic (a temporary file renamed into place); an unreadable or corrupt
entry is ignored and written again; any failure to write is silent (the
code was compiled anyway).
"""
from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import tempfile

_MAGIC = importlib.util.MAGIC_NUMBER.hex()


def cache_root() -> str | None:
    if os.environ.get("PYNIX_CACHE") == "off":
        return None
    base = os.environ.get("PYNIX_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "pynix")
    return base


def compile_cached(text: str, filename: str):
    """`compile(text, filename, "exec")`, through the on-disk cache."""
    root = cache_root()
    if root is None:
        return compile(text, filename, "exec")
    key = hashlib.sha256(filename.encode("utf-8", "surrogatepass") + b"\0"
                         + text.encode("utf-8", "surrogatepass")).hexdigest()
    folder = os.path.join(root, "tier2", _MAGIC, key[:2])
    path = os.path.join(folder, key)
    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    code = compile(text, filename, "exec")
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass
    return code
