"""What the store knows of a valid path (Nix's ValidPathInfo), and where the
builder registers and reads it.

`ValidPathInfo` carries the fields of a row of Nix's database (`ValidPaths`
plus its `Refs`): the NAR hash (the database keeps `sha256:<base16>`;
`nix-store -q --hash` prints it `sha256:<nix32>`), the NAR size, the
references, the deriver, the registration time, `ultimate` (built here) and
the content address (`fixed:r:sha256:<nix32>`, `text:sha256:<nix32>`, ...).

Registration goes to the store's database when the store has one (a
`register_valid_paths(infos)` method, one transaction); a store without one
keeps each path's info in a small JSON file beside the objects
(`ROOT/nix/var/pynix/valid/<base name>.json`). Only the three functions at
the end know which: `register_valid_paths`, `query_path_info`, `is_valid`.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Iterable

from ..atomicfile import write_atomically
from .hashes import Hash


@dataclass
class ValidPathInfo:
    path: str
    nar_hash: Hash
    nar_size: int
    references: frozenset = field(default_factory=frozenset)
    deriver: str | None = None
    registration_time: int = 0
    ultimate: bool = False
    sigs: tuple = ()
    ca: str | None = None

    @property
    def db_hash(self) -> str:
        """The NAR hash as the database's `hash` column holds it."""
        return self.nar_hash.to_string("base16")

    def to_json(self) -> dict:
        return {"path": self.path, "narHash": self.db_hash, "narSize": self.nar_size,
                "references": sorted(self.references), "deriver": self.deriver,
                "registrationTime": self.registration_time, "ultimate": self.ultimate,
                "sigs": list(self.sigs), "ca": self.ca}

    @classmethod
    def from_json(cls, obj: dict) -> "ValidPathInfo":
        return cls(obj["path"], Hash.parse_any_prefixed(obj["narHash"]), int(obj["narSize"]),
                   frozenset(obj.get("references", ())), obj.get("deriver"),
                   int(obj.get("registrationTime", 0)), bool(obj.get("ultimate")),
                   tuple(obj.get("sigs", ())), obj.get("ca"))


def _database(store, method: str):
    """The object that does `method` (`register_valid_paths`,
    `query_path_info`) for the store's database: the store itself or its
    `db`; None when the store has no database."""
    if hasattr(store, method):
        return store
    db = getattr(store, "db", None) if getattr(store, "database", False) else None
    return db if db is not None and hasattr(db, method) else None


def _sidecar(store, path: str) -> str:
    return os.path.join(store.root, "nix", "var", "pynix", "valid", path.rpartition("/")[2] + ".json")


def check_registrable(store) -> None:
    """Refuse to register in (and so to build into) a store Nix keeps a
    database for, when this store object cannot write that database: the
    JSON files would not tell Nix, and paths valid for Nix would look
    invalid here (and be built again over the top of them)."""
    if _database(store, "register_valid_paths") is not None:
        return
    db = os.path.join(store.root, "nix", "var", "nix", "db", "db.sqlite")
    if os.path.exists(db):
        from .errors import StoreError
        raise StoreError(f"the store at '{store.root}' has Nix's database ('{db}'), which this pynix cannot "
                         "register paths in: build into another store (--store ROOT)")


def register_valid_paths(store, infos: Iterable[ValidPathInfo]) -> None:
    """registerValidPaths: make every info valid (the database: in one
    transaction; the JSON files: each written atomically, the referrers last)."""
    infos = list(infos)
    now = int(time.time())
    for info in infos:
        info.registration_time = info.registration_time or now
    db = _database(store, "register_valid_paths")
    if db is not None:
        db.register_valid_paths(infos)
        return
    for info in infos:
        target = _sidecar(store, info.path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_atomically(target, json.dumps(info.to_json(), sort_keys=True), mode=0o600)


def query_path_info(store, path: str) -> ValidPathInfo | None:
    """queryPathInfo: the info of a valid path whose object exists, else None."""
    if not store.has(path):
        return None
    db = _database(store, "query_path_info")
    if db is not None:
        return db.query_path_info(path)
    try:
        with open(_sidecar(store, path)) as f:
            return ValidPathInfo.from_json(json.load(f))
    except (OSError, ValueError, KeyError):
        return None


def is_valid(store, path: str) -> bool:
    return query_path_info(store, path) is not None
