"""A real local store on disk: where `pynix instantiate` writes `.drv` files
and the sources and files they refer to.

Store paths stay logical (`/nix/store/…`, the store dir); the objects live
under a root the user picks, at `ROOT/nix/store/…`, as with Nix's
`--store ROOT`. The default root is a per-user data folder, so pynix never
needs root rights or a daemon.

Objects are immutable and named by their hash, so writing one is idempotent:
if the final name exists, it is already right. Every write goes to a
temporary name in the same directory first and is renamed into place, so
two processes writing the same object at once both succeed (the second
rename replaces an identical file, or finds the directory already there),
and a crash leaves at most a `.tmp-…` entry, never a partial object under
its final name. Like Nix, objects are read-only and have mtime 1.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from typing import Callable

from .paths import STORE_DIR

MTIME = 1   # Nix's canonical mtime for store objects


def default_root() -> str:
    """The per-user root: $XDG_DATA_HOME/pynix/store (or ~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "pynix", "store")


class LocalStore:
    def __init__(self, root: str | None = None, store_dir: str = STORE_DIR):
        self.root = os.path.abspath(root if root is not None else default_root())
        self.store_dir = store_dir
        # root "/" is a store kept at its own store dir, as Nix's plain local store
        self.real_dir = self.root.rstrip("/") + store_dir

    def real_path(self, store_path: str) -> str:
        """Where the object `store_path` (a logical /nix/store/… path) lives on disk."""
        if not store_path.startswith(self.store_dir + "/"):
            raise ValueError(f"path '{store_path}' is not in the Nix store")
        return self.real_dir + store_path[len(self.store_dir):]

    def has(self, store_path: str) -> bool:
        return os.path.lexists(self.real_path(store_path))

    def _prepare(self) -> None:
        os.makedirs(self.real_dir, exist_ok=True)

    def add_text(self, store_path: str, data: bytes, references=()) -> str:
        """Write a regular file object (a .drv, a `toFile` result) atomically
        (its `references` are part of its path already)."""
        final = self.real_path(store_path)
        if os.path.lexists(final):
            return final
        self._prepare()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.real_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o444)
            os.utime(tmp, (MTIME, MTIME))
            os.replace(tmp, final)
        except BaseException:
            remove_path(tmp)
            raise
        return final

    def add_tree(self, store_path: str, source: str,
                 path_filter: Callable[[str], bool] | None = None) -> str:
        """Copy a file, symlink or directory (what `"${./src}"` refers to) into
        the store as `store_path`, keeping only what `path_filter` accepts."""
        final = self.real_path(store_path)
        if os.path.lexists(final):
            return final
        self._prepare()
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=self.real_dir)
        try:
            staged = os.path.join(tmp, "object")
            _copy(source, staged, path_filter)
            _canonicalise(staged)
            try:
                os.rename(staged, final)
            except OSError:
                if not os.path.lexists(final):   # someone else won the race: fine
                    raise
        finally:
            remove_path(tmp)
        return final


def _copy(src: str, dst: str, path_filter) -> None:
    st = os.lstat(src)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISREG(st.st_mode):
        shutil.copyfile(src, dst, follow_symlinks=False)
        os.chmod(dst, 0o555 if st.st_mode & 0o100 else 0o444)
    elif stat.S_ISDIR(st.st_mode):
        os.mkdir(dst)
        for name in sorted(os.listdir(src)):
            child = os.path.join(src, name)
            if path_filter is not None and not path_filter(child):
                continue
            _copy(child, os.path.join(dst, name), path_filter)
    else:
        raise ValueError(f"file '{src}' has an unsupported type")


def _canonicalise(path: str) -> None:
    """Read-only directories and mtime 1 everywhere (canonicalisePathMetaData)."""
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for name in filenames:
            p = os.path.join(dirpath, name)
            os.utime(p, (MTIME, MTIME), follow_symlinks=False)
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o555)
            os.utime(p, (MTIME, MTIME), follow_symlinks=False)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o555)
    os.utime(path, (MTIME, MTIME), follow_symlinks=False)


def remove_path(path: str) -> None:
    """Delete a file or a tree, even one made read-only (as store objects are);
    nothing there is not an error."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        for dirpath, dirnames, _ in os.walk(path):
            os.chmod(dirpath, 0o755)
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
