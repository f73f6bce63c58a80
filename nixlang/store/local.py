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

As in Nix's LocalStore::addToStore, a write takes the object's lock file
(`<object>.lock`), and only once the object is complete under its final
name is it registered in the store database (db.py): valid means complete.
An object found on disk but not valid is removed and written again; the
temporary entries of writers that died are swept when the database opens.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Iterable

from ..atomicfile import write_atomically
from .db import PathInfo, StoreDB
from .errors import StoreError
from .hashes import hash_bytes, hash_file
from .nar import nar_hash as nar_hash_of
from .paths import STORE_DIR

MTIME = 1   # Nix's canonical mtime for store objects


def default_root() -> str:
    """The per-user root: $XDG_DATA_HOME/pynix/store (or ~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "pynix", "store")


class LocalStore:
    """The store under `root`. With `database` (the default) every object is
    registered in Nix's SQLite database (db.py) once it is complete; without
    it (a scratch copy for reading objects back) files are only written."""

    def __init__(self, root: str | None = None, store_dir: str = STORE_DIR, database: bool = True,
                 state_dir: str | None = None):
        self.root = os.path.abspath(root if root is not None else default_root())
        self.store_dir = store_dir
        # root "/" is a store kept at its own store dir, as Nix's plain local store
        self.real_dir = self.root.rstrip("/") + store_dir
        self.database = database
        # where db/ lives (Nix's state dir): ROOT/nix/var/nix unless given
        self.state_dir = state_dir or os.path.join(self.root, "nix", "var", "nix")
        self._db: StoreDB | None = None
        self._reader: StoreDB | None = None     # opened only to read (open_db_for_reading)

    def real_path(self, store_path: str) -> str:
        """Where the object `store_path` (a logical /nix/store/… path) lives on disk."""
        if not store_path.startswith(self.store_dir + "/"):
            raise ValueError(f"path '{store_path}' is not in the Nix store")
        return self.real_dir + store_path[len(self.store_dir):]

    def has(self, store_path: str) -> bool:
        return os.path.lexists(self.real_path(store_path))

    @property
    def db(self) -> StoreDB:
        """The database, opened (and created) on first use; opening it also
        sweeps what crashed writers left behind."""
        if self._db is None:
            self._prepare()
            self._db = StoreDB(self.root, self.store_dir, state_dir=self.state_dir)
            self.sweep_temporaries()
        return self._db

    def close(self) -> None:
        for db in (self._db, self._reader):
            if db is not None:
                db.close()
        self._db = self._reader = None

    def is_valid(self, store_path: str) -> bool:
        return self.has(store_path) and (not self.database or self.db.is_valid(store_path))

    def query_path_info(self, store_path: str) -> PathInfo | None:
        """What the database records of `store_path` (None: not valid)."""
        return self.open_db_for_reading().query_path_info(store_path)

    def open_db_for_reading(self) -> StoreDB:
        """The database as it is, for queries: never created (a store without
        one reads as empty)."""
        if self._db is not None:
            return self._db
        if not self.database:
            return StoreDB.empty(self.root, self.store_dir)
        if self._reader is None:
            self._reader = StoreDB(self.root, self.store_dir, create=False, state_dir=self.state_dir)
        return self._reader

    def _prepare(self) -> None:
        os.makedirs(self.real_dir, exist_ok=True)

    def add_text(self, store_path: str, data: bytes, references: Iterable[str] = (),
                 ca: str | None = None) -> str:
        """Write a regular file object (a .drv, a `toFile` result) atomically and
        register it. `ca` defaults to Nix's `text:sha256:…` of the bytes."""
        final = self.real_path(store_path)

        def write(tmp_prefix: str) -> None:
            write_atomically(final, data, mode=0o444, fsync=True, mtime=MTIME, prefix=tmp_prefix)

        def text_ca() -> str:
            return ca or "text:sha256:" + hash_bytes("sha256", data).nix32

        return self._add(store_path, write, references, text_ca)

    def add_tree(self, store_path: str, source: str,
                 path_filter: Callable[[str], bool] | None = None, method: str = "fixed:r:sha256") -> str:
        """Copy a file, symlink or directory (what `"${./src}"` refers to) into
        the store as `store_path`, keeping only what `path_filter` accepts, and
        register it. `method` is how its path was made (as for the daemon
        store): `fixed:r:ALGO`, the NAR hashed with ALGO (a copied source), or
        `fixed:ALGO`, a flat file's bytes; its content address is that hash."""
        final = self.real_path(store_path)

        def write(tmp_prefix: str) -> None:
            tmp = tempfile.mkdtemp(prefix=tmp_prefix, dir=self.real_dir)
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

        def fixed_ca() -> str:
            algo = method.rpartition(":")[2]
            if method.startswith("fixed:r:"):
                h = nar_hash_of(final, algo)[0]
            elif method.startswith("fixed:"):
                h = hash_file(algo, final)
            else:
                raise StoreError(f"unsupported content-address method '{method}' for '{store_path}'")
            return f"{method}:{h.nix32}"

        return self._add(store_path, write, (), fixed_ca)

    def _add(self, store_path: str, write, references, make_ca) -> str:
        """addToStore's steps: lock the path; if it is not valid, remove what
        is there, write to a temporary name, rename into place, register."""
        final = self.real_path(store_path)
        if not self.database:
            if not os.path.lexists(final):
                self._prepare()
                write(_temp_prefix(store_path))
            return final
        db = self.db
        if os.path.lexists(final) and db.is_valid(store_path):
            return final
        with self.lock_path(store_path):
            if os.path.lexists(final) and db.is_valid(store_path):
                return final
            remove_path(final)
            write(_temp_prefix(store_path))
            nar_hash, nar_size = nar_hash_of(final, "sha256")
            self.register_valid_paths([PathInfo(store_path, nar_hash, nar_size, frozenset(references),
                                                ca=make_ca())])
        return final

    def register_valid_paths(self, infos: Iterable[PathInfo]) -> None:
        """Make complete objects valid, all in one transaction (what a builder
        calls once the outputs of a build are in place under their final
        names; each PathInfo carries NAR hash and size, references, deriver)."""
        self.db.register_valid_paths(infos, self._derivation_outputs)

    def _derivation_outputs(self, drv_path: str) -> dict:
        from .derivation import read_derivation_file
        return read_derivation_file(self.real_path(drv_path), self.store_dir).output_paths()

    @contextmanager
    def lock_path(self, store_path: str, wait: bool = True):
        """Nix's PathLocks on one path: an exclusive lock on `<object>.lock`
        beside the object; the holder deletes the file and marks it stale
        ("d") before letting go, so a waiter that wakes on a stale lock file
        tries again. Yields False when `wait` is off and another holds it."""
        import fcntl
        lock = self.real_path(store_path) + ".lock"
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                yield False
                return
            if os.fstat(fd).st_size == 0:
                break
            os.close(fd)
        try:
            yield True
        finally:
            try:
                os.unlink(lock)
            except OSError:
                pass
            os.write(fd, b"d")
            os.close(fd)

    def sweep_temporaries(self) -> list[str]:
        """Remove the temporary entries writers that crashed left in the store
        dir: `.tmp-<object>.…` when nobody holds the object's lock (a live
        writer always does), and older nameless `.tmp-…` entries after a day."""
        removed = []
        try:
            names = os.listdir(self.real_dir)
        except OSError:
            return removed
        for name in names:
            if not name.startswith(TEMP_PREFIX):
                continue
            full = os.path.join(self.real_dir, name)
            base = name[len(TEMP_PREFIX):].rpartition(".")[0]
            if len(base) > 33 and base[32] == "-":
                with self.lock_path(self.store_dir + "/" + base, wait=False) as got:
                    if got:
                        remove_path(full)
                        removed.append(name)
            else:
                try:
                    old = os.lstat(full).st_mtime < time.time() - 86400
                except OSError:
                    continue
                if old:
                    remove_path(full)
                    removed.append(name)
        return removed


TEMP_PREFIX = ".tmp-"


def _temp_prefix(store_path: str) -> str:
    return TEMP_PREFIX + store_path.rpartition("/")[2] + "."


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
