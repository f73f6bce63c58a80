"""`pynix store query`, `pynix path-info` and `pynix why-depends` print what
`nix-store -q`, `nix path-info` and `nix why-depends` print.

The build graph of tests/store/closure.nix, its outputs built, is queried
three ways, each against the answers recorded from Nix 2.8 on a store Nix
instantiated and built (tests/store/expected.json, registration times
masked; `python tests/store_support.py` records again):

- on a store pynix wrote, its outputs registered by a stand-in builder
  through LocalStore.register_valid_paths;
- on the database Nix wrote (recorded as SQL), so pynix reads Nix's stores;
- with nix-bin installed, live: Nix builds what pynix instantiated, then
  pynix and Nix answer every query on that same store.
"""
from __future__ import annotations

import os
import sqlite3

import pytest

from store_support import (HAVE_NIX, fake_build, load, nix_realise, pynix, pynix_instantiate, run_nix,
                           run_pynix)
from nixlang.store import LocalStore

EXPECTED = load()
CASES = EXPECTED["queries"]
IDS = [" ".join(c["cmd"]).replace("/nix/store/", "")[:90] for c in CASES]
needs_root_nix = pytest.mark.skipif(not HAVE_NIX or os.geteuid() != 0,
                                    reason="needs nix-bin, and root for Nix's build sandbox")


@pytest.fixture(scope="module")
def pynix_store(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("pynix-built"))
    drv = pynix_instantiate(root)
    store = LocalStore(root)
    fake_build(store, drv)
    store.close()
    return root


@pytest.fixture(scope="module")
def nix_db_store(tmp_path_factory):
    """An empty store whose database is the one Nix 2.8 wrote (from its SQL)."""
    root = tmp_path_factory.mktemp("nix-db")
    db = root / "nix/var/nix/db"
    db.mkdir(parents=True)
    (root / "nix/store").mkdir()
    c = sqlite3.connect(db / "db.sqlite")
    c.executescript("\n".join(EXPECTED["nix_built_db"]))
    c.close()
    (db / "schema").write_text("10")
    return str(root)


def test_the_recording_is_of_this_graph(pynix_store):
    """pynix instantiates closure.nix to the recorded .drv, and the stand-in
    builder's outputs are the recorded ones, byte for byte (same NAR hashes,
    sizes, references and derivers as Nix's build)."""
    from store_support import db_rows
    assert pynix_instantiate(pynix_store) == EXPECTED["drv"]
    rows = db_rows(pynix_store)
    assert rows["Refs"] == EXPECTED["built"]["Refs"]
    assert rows["DerivationOutputs"] == EXPECTED["built"]["DerivationOutputs"]
    assert rows["ValidPaths"] == EXPECTED["built"]["ValidPaths"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_query_on_a_pynix_store(pynix_store, case):
    assert run_pynix(case["cmd"], pynix_store) == {k: case[k] for k in ("rc", "stdout", "stderr")}


# --precise reads the objects' files, and of Nix's store only the database is recorded
DB_CASES = [c for c in CASES if "--precise" not in c["cmd"]]


@pytest.mark.parametrize("case", DB_CASES, ids=[i for c, i in zip(CASES, IDS) if c in DB_CASES])
def test_query_on_a_database_nix_wrote(nix_db_store, case):
    assert run_pynix(case["cmd"], nix_db_store) == {k: case[k] for k in ("rc", "stdout", "stderr")}


@needs_root_nix
def test_nix_builds_what_pynix_wrote_and_both_answer_alike(tmp_path):
    root = str(tmp_path / "store")
    drv = pynix_instantiate(root)
    nix_realise(root, drv)
    mismatches = [c["cmd"] for c in CASES if run_pynix(c["cmd"], root) != run_nix(c["cmd"], root)]
    assert mismatches == []


# -- arguments and errors --------------------------------------------------------------------

ERRORS = [
    (["path-info", "/nix/store/00000000000000000000000000000000-x"],
     "error: path '/nix/store/00000000000000000000000000000000-x' is not valid\n"),
    (["store", "query", "--requisites", "/nix/store/zz"], "error: 'zz' is too short to be a valid store path\n"),
    (["store", "query", "--deriver", "/etc/passwd"], "error: path '/etc/passwd' is not in the Nix store\n"),
    (["store", "query", "--tree", "--graph", "/nix/store/x"], "error: query type already specified\n"),
    (["store", "query", "/nix/store/00000000000000000000000000000000-x.drv"],
     "error: path '/nix/store/00000000000000000000000000000000-x.drv' is not valid\n"),
    (["store", "list"], None),
    (["path-info", "-x", "/nix/store/x"], "error: unrecognised flag '-x'\n"),
    (["path-info"], None),
    (["why-depends", "/nix/store/x"], None),
    (["why-depends", "--bogus", "a", "b"], "error: unrecognised flag '--bogus'\n"),
    (["why-depends", "--derivation", "/nix/store/8sr6hlg0kxypfhdaddcsya2jqizp5a5y-greeting.txt",
      "/nix/store/8sr6hlg0kxypfhdaddcsya2jqizp5a5y-greeting.txt"],
     "error: '/nix/store/8sr6hlg0kxypfhdaddcsya2jqizp5a5y-greeting.txt' does not have a known deriver\n"),
    (["path-info", "--store", "unix:///tmp/socket", "/nix/store/x"], None),
]


@pytest.mark.parametrize("argv,first", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_bad_input_is_a_pynix_error(pynix_store, argv, first):
    store_at = 2 if argv[0] == "store" else 1
    if "--store" not in argv:
        argv = argv[:store_at] + ["--store", pynix_store] + argv[store_at:]
    rc, out, err = pynix(*argv)
    assert rc == 1 and out == ""
    assert err.startswith("error: ") and "Traceback" not in err
    if first is not None:
        assert err.splitlines(keepends=True)[0] == first


def test_a_result_link_and_a_path_inside_an_object_name_the_object(pynix_store, tmp_path):
    app = EXPECTED["outputs"]["app"]
    store = LocalStore(pynix_store)
    (tmp_path / "result").symlink_to(store.real_path(app))
    expected = pynix("path-info", "--store", pynix_store, app)
    assert pynix("path-info", "--store", pynix_store, str(tmp_path / "result")) == expected
    assert pynix("path-info", "--store", pynix_store, app + "/bin-ref") == expected
    (tmp_path / "logical").symlink_to(app)          # a link as Nix makes it: to the logical path
    assert pynix("path-info", "--store", pynix_store, str(tmp_path / "logical")) == expected


def test_help_texts():
    for argv in (["store", "--help"], ["store", "query", "--help"], ["path-info", "--help"],
                 ["why-depends", "--help"]):
        rc, out, _ = pynix(*argv)
        assert rc == 0 and out.startswith("usage: pynix ")
    rc, out, _ = pynix("--help")
    assert all(c in out for c in ("store query", "path-info", "why-depends"))


def test_graph_draws_a_closure_of_a_local_store(pynix_store):
    """`pynix graph` reads references and sizes from the database of a local store."""
    import json
    rc, out, err = pynix("graph", "--store", pynix_store, "--format", "json", EXPECTED["outputs"]["app"])
    assert rc == 0, err
    built = {row[0]: row[3] for row in EXPECTED["built"]["ValidPaths"] if not row[0].endswith(".drv")}
    assert {n["id"]: n["narSize"] for n in json.loads(out)["nodes"]} == built
