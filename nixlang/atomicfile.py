"""Files written whole or not at all.

Every file pynix keeps between runs (the code and parse caches, the
parser's tables, fetched blobs, store objects and their registrations, the
editor's caches) is written the same way: to a temporary file beside its
target, then renamed over it. A rename within one folder is atomic, so a
reader (another pynix, real Nix reading the store) sees the old file or
the new one, never half of one, and a writer that dies leaves only a
temporary file behind, never a truncated target.

The temporary name carries the process id and a per-process counter, so
two writers (processes or threads) never share one. This module imports
nothing beyond `os` and `itertools`: it is loaded at start-up (the code
cache), where `tempfile` would pull in `shutil`, `random` and more.
"""
from __future__ import annotations

import itertools
import os

_serial = itertools.count()     # next() of a count is atomic under the GIL


def temporary_name(path: str, prefix: str | None = None) -> str:
    """A fresh name beside `path` for the file that will replace it:
    `prefix` (by default `.tmp-<name>.`) then `<pid>-<serial>`, with no dot
    after the prefix (the store's sweep of dead writers' files reads the
    object's name back from everything before the last dot)."""
    folder, base = os.path.split(os.fspath(path))
    if prefix is None:
        prefix = f".tmp-{base}."
    return os.path.join(folder, f"{prefix}{os.getpid()}-{next(_serial)}")


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class replacing:
    """`with replacing(path) as f:` writes `f` (binary, or text when
    `encoding` is given) to a temporary file that replaces `path` when the
    block ends normally; when it raises, the temporary file is removed and
    `path` is untouched. `mode` is set exactly (not through the umask),
    `fsync` makes the bytes durable before the rename, `mtime` sets the
    file's modification and access times (the store's canonical 1)."""

    __slots__ = ("path", "tmp", "file", "mode", "fsync", "mtime", "encoding", "prefix")

    def __init__(self, path, *, mode: int = 0o644, fsync: bool = False, mtime: int | None = None,
                 encoding: str | None = None, prefix: str | None = None):
        self.path = os.fspath(path)
        self.mode, self.fsync, self.mtime = mode, fsync, mtime
        self.encoding, self.prefix = encoding, prefix
        self.tmp = self.file = None

    def __enter__(self):
        self.tmp = temporary_name(self.path, self.prefix)
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            self.file = (os.fdopen(fd, "w", encoding=self.encoding) if self.encoding
                         else os.fdopen(fd, "wb"))
        except BaseException:
            os.close(fd)
            _unlink_quietly(self.tmp)
            raise
        return self.file

    def __exit__(self, kind, value, tb) -> bool:
        try:
            if kind is None:
                self.file.flush()
                if self.fsync:
                    os.fsync(self.file.fileno())
                os.fchmod(self.file.fileno(), self.mode)
            self.file.close()
            if kind is None:
                if self.mtime is not None:
                    os.utime(self.tmp, (self.mtime, self.mtime))
                os.replace(self.tmp, self.path)
                return False
        except BaseException:
            _unlink_quietly(self.tmp)
            raise
        _unlink_quietly(self.tmp)
        return False


def write_atomically(path, data: bytes | str, **options) -> None:
    """Replace `path` by `data` (bytes, or str written as UTF-8), atomically;
    `options` as for `replacing`. Errors (OSError) reach the caller, with no
    temporary file left behind."""
    if isinstance(data, str):
        options.setdefault("encoding", "utf-8")
    with replacing(path, **options) as f:
        f.write(data)
