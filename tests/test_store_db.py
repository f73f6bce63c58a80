"""The store database pynix writes is the one Nix keeps (nixlang/store/db.py).

- its schema is Nix 2.8's, table for table (recorded from `nix-store --init`
  in tests/store/expected.json; checked live when nix-bin is installed);
- `pynix instantiate --store ROOT` registers every object as Nix's
  nix-instantiate does: NAR hash and size, content address, references,
  derivation outputs (the recorded rows, and live against Nix);
- real Nix accepts the store: `nix-store --verify --check-contents` is clean;
- registration is one transaction: a missing reference or a cycle leaves
  the database as it was, with Nix's message;
- nothing is lost: objects appear only complete and registered, what a
  crashed writer left is swept, an unregistered object is written again.
"""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess

import pytest

from store_support import (EXPECTED, HAVE_NIX, db_rows, eval_copied, load, nix_instantiate, pynix,
                           pynix_instantiate, schema)
from nixlang.store import LocalStore, PathInfo, StoreError, hash_bytes
from nixlang.store.db import StoreDB

RECORDED = load(EXPECTED)
needs_nix = pytest.mark.skipif(not HAVE_NIX, reason="needs nix-bin (nix-store, nix-instantiate)")
NOTE = "/nix/store/7p7kcpfvvl1mcksmawc3653jl6qvkc5f-note.txt"
SRC = "/nix/store/8sr6hlg0kxypfhdaddcsya2jqizp5a5y-greeting.txt"


def db_file(root) -> str:
    return os.path.join(str(root), "nix/var/nix/db/db.sqlite")


# -- the schema ------------------------------------------------------------------------------

def test_schema_is_nix_2_8s(tmp_path):
    LocalStore(str(tmp_path)).db
    assert schema(db_file(tmp_path)) == RECORDED["schema"]
    assert (tmp_path / "nix/var/nix/db/schema").read_text() == "10"


@needs_nix
def test_recorded_schema_is_what_nix_creates(tmp_path):
    subprocess.run(["nix-store", "--store", str(tmp_path), "--init"], check=True)
    assert schema(db_file(tmp_path)) == RECORDED["schema"]


def test_a_newer_schema_is_refused(tmp_path):
    d = tmp_path / "nix/var/nix/db"
    d.mkdir(parents=True)
    (d / "schema").write_text("11")
    with pytest.raises(StoreError, match="current Nix store schema is version 11, but I only support 10"):
        StoreDB(str(tmp_path))


# -- what instantiate registers ----------------------------------------------------------------

def test_instantiate_registers_as_nix_does(tmp_path):
    pynix_instantiate(str(tmp_path))
    assert db_rows(str(tmp_path)) == RECORDED["instantiated"]


@needs_nix
def test_recorded_rows_are_what_nix_instantiate_writes(tmp_path):
    nix_instantiate(str(tmp_path))
    assert db_rows(str(tmp_path)) == RECORDED["instantiated"]


def test_copied_paths_register_as_nix_does(tmp_path):
    """Flat and NAR copies, a fetched file and a filtered source: their
    content addresses (`fixed:sha256:…`, `fixed:r:sha256:…`) and NAR hashes."""
    import sys
    eval_copied([sys.executable, "-m", "nixlang", "instantiate"], str(tmp_path))
    assert db_rows(str(tmp_path)) == RECORDED["copied"]


@needs_nix
def test_recorded_copies_are_what_nix_writes(tmp_path):
    eval_copied(["nix-instantiate"], str(tmp_path))
    assert db_rows(str(tmp_path)) == RECORDED["copied"]


def test_registration_time_is_now_and_lock_files_are_gone(tmp_path):
    import time
    before = int(time.time())
    pynix_instantiate(str(tmp_path))
    c = sqlite3.connect(db_file(tmp_path))
    times = {t for (t,) in c.execute("select registrationTime from ValidPaths")}
    c.close()
    assert all(before <= t <= int(time.time()) for t in times)
    assert [n for n in os.listdir(tmp_path / "nix/store") if n.endswith(".lock") or n.startswith(".")] == []


@needs_nix
def test_nix_verifies_a_store_pynix_wrote(tmp_path):
    pynix_instantiate(str(tmp_path))
    p = subprocess.run(["nix-store", "--store", str(tmp_path), "--verify", "--check-contents"],
                       capture_output=True, text=True)
    assert p.returncode == 0
    assert p.stderr.splitlines() == ["reading the Nix store...", "checking path existence...",
                                     "checking link hashes...", "checking store hashes..."]


@needs_nix
def test_nix_notices_a_modified_object(tmp_path):
    """The check above can fail: a changed object is reported."""
    pynix_instantiate(str(tmp_path))
    real = LocalStore(str(tmp_path)).real_path(NOTE)
    os.chmod(real, 0o644)
    with open(real, "a") as f:
        f.write("changed")
    p = subprocess.run(["nix-store", "--store", str(tmp_path), "--verify", "--check-contents"],
                       capture_output=True, text=True)
    assert f"path '{NOTE}' was modified!" in p.stderr


# -- registration: one transaction, Nix's refusals --------------------------------------------

def _text(store: LocalStore, name: str, data: bytes, refs=()) -> PathInfo:
    from nixlang.store import store_path_for_text, nar_hash
    path = store_path_for_text(name, data, set(refs))
    real = store.real_path(path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "wb") as f:
        f.write(data)
    h, size = nar_hash(real)
    return PathInfo(path, h, size, frozenset(refs))


def test_a_missing_reference_registers_nothing(tmp_path):
    store = LocalStore(str(tmp_path))
    a = _text(store, "a", b"a")
    b = _text(store, "b", b"b " + SRC.encode(), [SRC])
    with pytest.raises(StoreError, match=f"its reference '{SRC}' is not valid"):
        store.register_valid_paths([a, b])
    assert store.db.all_valid_paths() == []


def test_a_cycle_is_refused_with_nixs_message(tmp_path):
    store = LocalStore(str(tmp_path))
    a = _text(store, "a", b"a")
    b = _text(store, "b", b"b")
    a.references = frozenset({b.path})
    b.references = frozenset({a.path})
    with pytest.raises(StoreError, match="cycle detected in the references of '/nix/store/"):
        store.register_valid_paths([a, b])
    assert store.db.all_valid_paths() == []


def test_a_batch_with_references_among_itself_and_a_deriver(tmp_path):
    store = LocalStore(str(tmp_path))
    a = _text(store, "a", b"a")
    b = _text(store, "b", b"b " + a.path.encode(), [a.path])
    b.deriver = "/nix/store/00000000000000000000000000000000-b.drv"
    b.ultimate = True
    store.register_valid_paths([b, a])
    info = store.db.query_path_info(b.path)
    assert info.references == {a.path} and info.deriver == b.deriver and info.ultimate
    assert info.nar_hash == b.nar_hash and info.nar_size == b.nar_size
    assert store.db.referrers(a.path) == {b.path}


def test_the_database_is_rolled_back_when_a_write_fails_midway(tmp_path):
    store = LocalStore(str(tmp_path))
    a = _text(store, "a", b"a")
    bad = PathInfo(a.path + "x", a.nar_hash, a.nar_size)
    bad.sigs = (object(),)               # cannot be written: fails inside the transaction
    with pytest.raises(TypeError):
        store.register_valid_paths([a, bad])
    assert store.db.all_valid_paths() == []


# -- nothing lost ---------------------------------------------------------------------------

def test_a_failed_write_registers_nothing(tmp_path):
    store = LocalStore(str(tmp_path))
    path = "/nix/store/00000000000000000000000000000000-x"
    with pytest.raises(TypeError):
        store.add_text(path, object())
    assert not store.has(path) and not store.db.is_valid(path)
    assert os.listdir(store.real_dir) == []


def test_leftover_temporaries_are_swept_unless_their_writer_lives(tmp_path):
    root = str(tmp_path)
    store = LocalStore(root)
    store.add_text(NOTE, b"x")
    store.close()
    dead = os.path.join(store.real_dir, ".tmp-" + NOTE.rpartition("/")[2] + ".abc123")
    live = os.path.join(store.real_dir, ".tmp-" + SRC.rpartition("/")[2] + ".def456")
    for t in (dead, live):
        os.mkdir(t)
        open(os.path.join(t, "object"), "w").close()
    holder = LocalStore(root)
    with holder.lock_path(SRC):          # a writer of SRC is at work
        LocalStore(root).db
        assert not os.path.exists(dead) and os.path.exists(live)
    LocalStore(root).db
    assert not os.path.exists(live)


def test_an_unregistered_object_is_written_again(tmp_path):
    """A crash between rename and registration (or a store from before the
    database) leaves an object that is not valid: it is replaced."""
    store = LocalStore(str(tmp_path))
    os.makedirs(store.real_dir)
    with open(store.real_path(NOTE), "w") as f:
        f.write("garbage")
    store.add_text(NOTE, b"see " + SRC.encode() + b"\n")
    with open(store.real_path(NOTE), "rb") as f:
        assert f.read() == b"see " + SRC.encode() + b"\n"
    info = store.db.query_path_info(NOTE)
    assert info.ca == "text:sha256:" + hash_bytes("sha256", b"see " + SRC.encode() + b"\n").nix32


def _instantiate(root):
    rc, _, err = pynix("instantiate", "--store", root, os.path.join(os.path.dirname(__file__), "store",
                                                                      "closure.nix"))
    return rc, err


def test_processes_instantiating_into_one_store(tmp_path):
    root = str(tmp_path / "root")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.map(_instantiate, [root] * 6)
    assert all(rc == 0 for rc, _ in results), results
    assert db_rows(root) == RECORDED["instantiated"]
    assert sorted(os.listdir(os.path.join(root, "nix/store"))) == sorted(
        p.rpartition("/")[2] for p, *_ in RECORDED["instantiated"]["ValidPaths"])


# -- NIX_STORE_DIR without --store: Nix's state dir, never the system's for another store dir --

def _with_store_dir(tmp_path, extra: dict) -> tuple[int, str]:
    import sys
    env = dict(os.environ, NIX_STORE_DIR=str(tmp_path / "store"), **extra)
    p = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--read-write-mode", "-E",
                        'builtins.toFile "t" "hi"'], capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout.strip().strip('"')


def test_nix_state_dir_holds_the_database(tmp_path):
    rc, path = _with_store_dir(tmp_path, {"NIX_STATE_DIR": str(tmp_path / "state")})
    assert rc == 0 and os.path.exists(path)
    assert StoreDB("/", str(tmp_path / "store"), create=False,
                   state_dir=str(tmp_path / "state")).all_valid_paths() == [path]


def test_another_store_dir_is_not_registered_in_the_systems_database(tmp_path, monkeypatch):
    from nixlang.builtins.derivations import local_store
    monkeypatch.setenv("NIX_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("NIX_STATE_DIR", raising=False)
    store = local_store(None)
    assert store.database is False
    store.add_text(str(tmp_path / "store") + "/hxk820apsjsq6709id0vbfsikipvfka6-t", b"hi")
    assert store.open_db_for_reading().all_valid_paths() == []


# -- a broken database is an error, never a traceback -------------------------------------------

BROKEN = [
    ({"db.sqlite": "garbage\n", "schema": "10"}, "file is not a database"),
    ({"db.sqlite": None, "schema": "bad"}, "Nix database schema file '{db}/schema' is corrupt"),
    ({"db.sqlite": None, "schema": "11"}, "current Nix store schema is version 11, but I only support 10"),
]


@pytest.mark.parametrize("files,message", BROKEN, ids=["not-sqlite", "bad-schema-file", "newer-schema"])
@pytest.mark.parametrize("argv", [["path-info", "/nix/store/00000000000000000000000000000000-x"],
                                  ["instantiate", "--eval", "--read-write-mode", "-E", 'builtins.toFile "x" "y"']],
                         ids=["query", "write"])
def test_a_broken_database_is_a_pynix_error(tmp_path, files, message, argv):
    db = tmp_path / "nix/var/nix/db"
    db.mkdir(parents=True)
    for name, text in files.items():
        if text is None:                   # an empty SQLite database
            sqlite3.connect(db / name).execute("create table t (x)").connection.close()
        else:
            (db / name).write_text(text)
    rc, out, err = pynix(argv[0], "--store", str(tmp_path), *argv[1:])
    assert rc == 1 and out == "" and "Traceback" not in err
    assert message.format(db=db) in err
