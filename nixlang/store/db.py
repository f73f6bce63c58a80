"""The store database: Nix's SQLite file of valid paths, next to the objects.

A store path is *valid* when the database says so: its row in `ValidPaths`
holds the NAR hash (`sha256:<base16>`, as Nix stores it), the NAR size, the
registration time, the deriver and the content address; `Refs` holds its
references; `DerivationOutputs` maps a `.drv` to its output paths. The file is
`ROOT/nix/var/nix/db/db.sqlite` with Nix 2.8's schema (version 10, written
to `db/schema` after the tables exist), so real Nix opens a store pynix wrote
and pynix reads a store Nix wrote.

Registration mirrors LocalStore::registerValidPaths: all the paths of one
call in one transaction, references either valid already or in the same
call, cycles refused with Nix's message, a `.drv`'s outputs read from the
file on disk (the object is complete before it is registered). While the
database is open, `db/big-lock` is held shared, as Nix holds its global lock.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..atomicfile import write_atomically
from .errors import StoreError
from .hashes import Hash
from .paths import STORE_DIR

SCHEMA_VERSION = 10

# Nix 2.8's schema.sql (facts: table and column names, types, constraints,
# indices and the trigger, as `nix-store --init` creates them)
SCHEMA = [
    """create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer, -- null implies "false"
    sigs             text, -- space-separated
    ca               text -- if not null, an assertion that the path is content-addressed; see ValidPathInfo
)""",
    """create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
)""",
    "create index if not exists IndexReferrer on Refs(referrer)",
    "create index if not exists IndexReference on Refs(reference)",
    """create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end""",
    """create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null, -- symbolic output id, usually "out"
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
)""",
    "create index if not exists IndexDerivationOutputs on DerivationOutputs(path)",
]


@dataclass
class PathInfo:
    """ValidPathInfo: what the database knows of one valid store path."""
    path: str
    nar_hash: Hash
    nar_size: int
    references: frozenset = frozenset()
    deriver: str | None = None
    registration_time: int = 0
    ultimate: bool = False
    sigs: tuple = ()
    ca: str | None = None

    def to_json(self, closure_size: int | None = None) -> dict:
        """Nix 2.8's pathInfoToJSON (impure info included, SRI hashes)."""
        j: dict = {"path": self.path, "narHash": self.nar_hash.sri, "narSize": self.nar_size,
                   "references": sorted(self.references, key=_base)}
        if self.ca:
            j["ca"] = self.ca
        if closure_size is not None:
            j["closureSize"] = closure_size
        if self.deriver:
            j["deriver"] = self.deriver
        if self.registration_time:
            j["registrationTime"] = self.registration_time
        if self.ultimate:
            j["ultimate"] = True
        if self.sigs:
            j["signatures"] = list(self.sigs)
        return j


def _base(path: str) -> str:
    return path.rpartition("/")[2]


def db_dir(root: str) -> str:
    return os.path.join(root, "nix", "var", "nix", "db")


class StoreDB:
    """The database of the store under `root` (objects at ROOT + store_dir).
    `create=False` opens only an existing database (queries); a missing one
    then reads as an empty store. `state_dir` moves it (Nix's NIX_STATE_DIR)."""

    def __init__(self, root: str, store_dir: str = STORE_DIR, create: bool = True,
                 state_dir: str | None = None):
        self.root = root
        self.store_dir = store_dir
        # Nix's NIX_STATE_DIR (ROOT/nix/var/nix by default) holds db/
        self.dir = os.path.join(state_dir, "db") if state_dir else db_dir(root)
        self.file = os.path.join(self.dir, "db.sqlite")
        self.conn = None            # a sqlite3.Connection once open
        self._lock_fd: int | None = None
        if not create and not os.path.exists(self.file):
            return
        self._open(create)

    @classmethod
    def empty(cls, root: str, store_dir: str = STORE_DIR) -> "StoreDB":
        """A store without a database: nothing is valid."""
        db = cls.__new__(cls)
        db.root, db.store_dir, db.dir, db.file = root, store_dir, "", ""
        db.conn = db._lock_fd = None
        return db

    # -- opening -----------------------------------------------------------------------------

    def _open(self, create: bool) -> None:
        schema_file = os.path.join(self.dir, "schema")
        try:
            if create:
                os.makedirs(self.dir, exist_ok=True)
            # LocalStore's globalLock, held shared while the database is open
            self._lock_fd = os.open(os.path.join(self.dir, "big-lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if create or exc.errno not in (13, 30):   # EACCES, EROFS: read without the lock
                raise StoreError(f"cannot open the Nix database in '{self.dir}': {exc.strerror}") from None
            self._lock_fd = None
        version = _read_schema(schema_file)
        if version > SCHEMA_VERSION:
            self.close()
            raise StoreError(f"current Nix store schema is version {version}, but I only support "
                             f"{SCHEMA_VERSION}")
        _flock(self._lock_fd, "LOCK_SH")
        self._connect()
        if version == 0 and create:
            # a new store: the tables are made in one immediate transaction
            # ("if not exists": a racing process made them first, or a crash
            # came before the schema file was written), then the schema file
            self.conn.execute("begin immediate")
            try:
                for stmt in SCHEMA:
                    self.conn.execute(stmt)
                self.conn.execute("commit")
            except BaseException:
                self.conn.execute("rollback")
                raise
            write_atomically(schema_file, str(SCHEMA_VERSION).encode(), fsync=True)

    def _connect(self) -> None:
        if self.conn is not None:
            return
        import sqlite3      # imported when a database is used (the playground's Python has none)
        try:
            self.conn = sqlite3.connect(self.file, timeout=3600, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("pragma foreign_keys = 1")
            self.conn.execute("pragma synchronous = normal")
            try:
                self.conn.execute("pragma main.journal_mode = wal")
            except sqlite3.OperationalError:
                pass    # a read-only database stays in the mode it has
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the Nix database '{self.file}': {exc}") from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- registration ------------------------------------------------------------------------

    def register_valid_paths(self, infos: Iterable[PathInfo],
                             read_derivation: Callable[[str], dict] | None = None) -> None:
        """LocalStore::registerValidPaths: make every `info` valid in one
        transaction. References must be valid already or registered in the same
        call; a cycle among the new paths is refused. For a `.drv`,
        `read_derivation(path)` gives its outputs ({name: store path or None})
        for DerivationOutputs."""
        infos = list(infos)
        if not infos:
            return
        if self.conn is None:
            raise StoreError(f"the store at '{self.root}' has no database")
        by_path = {i.path: i for i in infos}
        for info in infos:
            for ref in info.references:
                if ref not in by_path and ref != info.path and not self.is_valid(ref):
                    raise StoreError(f"cannot register path '{info.path}': its reference '{ref}' "
                                     "is not valid")
        # refuse cycles among the new paths (topoSortPaths' message)
        topo_sort(by_path, lambda p: by_path[p].references)
        outputs = {}
        for info in infos:
            if info.path.endswith(".drv") and read_derivation is not None:
                outputs[info.path] = read_derivation(info.path)
        c = self.conn
        try:
            c.execute("begin immediate")
            for info in infos:
                row = c.execute("select id from ValidPaths where path = ?", (info.path,)).fetchone()
                values = (info.nar_hash.to_string("base16"), info.nar_size, 1 if info.ultimate else None,
                          " ".join(info.sigs) if info.sigs else None, info.ca)
                if row is None:
                    c.execute("insert into ValidPaths (path, hash, registrationTime, deriver, narSize, "
                              "ultimate, sigs, ca) values (?, ?, ?, ?, ?, ?, ?, ?)",
                              (info.path, values[0], info.registration_time or int(time.time()),
                               info.deriver, *values[1:]))
                else:
                    c.execute("update ValidPaths set hash = ?, narSize = ?, ultimate = ?, sigs = ?, "
                              "ca = ? where id = ?", (*values, row[0]))
                for name, out in outputs.get(info.path, {}).items():
                    if out is not None:
                        c.execute("insert or replace into DerivationOutputs (drv, id, path) values "
                                  "((select id from ValidPaths where path = ?), ?, ?)",
                                  (info.path, name, out))
            for info in infos:
                for ref in info.references:
                    c.execute("insert or replace into Refs (referrer, reference) values "
                              "((select id from ValidPaths where path = ?), "
                              "(select id from ValidPaths where path = ?))", (info.path, ref))
            c.execute("commit")
        except BaseException:
            if c.in_transaction:
                c.execute("rollback")
            raise

    # -- queries -----------------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple = ()) -> list:
        if self.conn is None:
            return []
        import sqlite3
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"reading the Nix database '{self.file}': {exc}") from None

    def is_valid(self, path: str) -> bool:
        return bool(self._rows("select 1 from ValidPaths where path = ?", (path,)))

    def query_path_info(self, path: str) -> PathInfo | None:
        rows = self._rows("select id, hash, registrationTime, deriver, narSize, ultimate, sigs, ca "
                          "from ValidPaths where path = ?", (path,))
        if not rows:
            return None
        id_, h, reg, deriver, size, ultimate, sigs, ca = rows[0]
        try:
            nar_hash = Hash.parse_any_prefixed(h)
        except StoreError:
            raise StoreError(f"invalid hash '{h}' of path '{path}' in the Nix database") from None
        refs = frozenset(r for (r,) in self._rows(
            "select path from Refs join ValidPaths on reference = id where referrer = ?", (id_,)))
        return PathInfo(path, nar_hash, size or 0, refs, deriver or None, reg or 0, bool(ultimate),
                        tuple(sigs.split()) if sigs else (), ca or None)

    def references(self, path: str) -> frozenset:
        info = self.query_path_info(path)
        if info is None:
            raise StoreError(f"path '{path}' is not valid")
        return info.references

    def referrers(self, path: str) -> frozenset:
        return frozenset(r for (r,) in self._rows(
            "select path from Refs join ValidPaths on referrer = id where reference = "
            "(select id from ValidPaths where path = ?)", (path,)))

    def valid_derivers(self, path: str) -> list[str]:
        """queryValidDerivers: the valid .drv files that have `path` as an output."""
        return [d for (d,) in self._rows(
            "select v.path from DerivationOutputs d join ValidPaths v on d.drv = v.id where d.path = ?",
            (path,))]

    def derivation_outputs(self, drv_path: str) -> dict[str, str]:
        """queryPartialDerivationOutputMap: output name -> path, as registered."""
        return dict(self._rows(
            "select d.id, d.path from DerivationOutputs d join ValidPaths v on d.drv = v.id "
            "where v.path = ?", (drv_path,)))

    def all_valid_paths(self) -> list[str]:
        return [p for (p,) in self._rows("select path from ValidPaths")]


# -- graph algorithms over references (Nix's computeFSClosure, topoSortPaths) --------------

def topo_sort(paths: Iterable[str], children: Callable[[str], Iterable[str]]) -> list[str]:
    """Nix's topoSort: referrers before their references, visiting paths and
    children in store path order; a cycle raises Nix's message."""
    items = set(paths)
    order = sorted(items, key=_base)
    result: list[str] = []
    visited: set[str] = set()
    parents: set[str] = set()
    # iterative depth-first search (closures can be deep)
    for start in order:
        if start in visited:
            continue
        visited.add(start)
        parents.add(start)
        stack = [(start, iter(sorted(children(start), key=_base)))]
        while stack:
            node, it = stack[-1]
            for child in it:
                if child == node or child not in items:
                    continue
                if child in parents:
                    raise StoreError(f"cycle detected in the references of '{child}' from '{node}'")
                if child in visited:
                    continue
                visited.add(child)
                parents.add(child)
                stack.append((child, iter(sorted(children(child), key=_base))))
                break
            else:
                stack.pop()
                parents.discard(node)
                result.append(node)
    result.reverse()
    return result


def closure(starts: Iterable[str], edges: Callable[[str], Iterable[str]]) -> set[str]:
    """computeFSClosure: the starts and everything reachable along `edges`."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(edges(p))
    return seen


# -- small file helpers ----------------------------------------------------------------------

def _read_schema(path: str) -> int:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return 0
    try:
        return int(text)
    except ValueError:
        raise StoreError(f"Nix database schema file '{path}' is corrupt") from None


def _flock(fd: int | None, op: str) -> None:
    if fd is not None:
        import fcntl
        fcntl.flock(fd, getattr(fcntl, op))
