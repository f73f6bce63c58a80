"""Finding nixpkgs as Nix would (`nixlang.ide.nixpkgs.locate`), and its package names.

`locate` is checked on made-up folders (a folder counts as nixpkgs when it
holds default.nix and lib/default.nix): each row gives the places that hold one and which
must win. The package names are computed from the shared nixpkgs tree
(skipped without it) in a background worker, then read from the disk cache.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nixlang.ide import nixpkgs as N

# places: "setting", "search" (the editor's -I entries), "env" (NIX_PATH), "conf" (nix.conf's nix-path),
# "channels" (~/.nix-defexpr/channels); the row's first element is the set of places holding a nixpkgs
ORDER = [
    ({"setting", "search", "env", "conf", "channels"}, "setting"),
    ({"search", "env", "conf", "channels"}, "search path"),
    ({"env", "conf", "channels"}, "NIX_PATH"),
    ({"conf", "channels"}, "nix.conf"),
    ({"channels"}, "channels"),
    (set(), None),
]


def _tree(folder: Path) -> Path:
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "default.nix").write_text("{ }\n")
    (folder / "default.nix").write_text("{ ... }: { }\n")
    return folder


@pytest.mark.parametrize("present,winner", ORDER, ids=[w or "none" for _, w in ORDER])
def test_locate_order(tmp_path, present, winner):
    home = tmp_path / "home"
    home.mkdir()
    trees = {p: _tree(tmp_path / p) for p in present if p != "channels"}
    if "channels" in present:
        trees["channels"] = _tree(home / ".nix-defexpr" / "channels" / "nixpkgs")
    missing = tmp_path / "missing"
    found = N.locate(
        setting=str(trees.get("setting", missing)),
        search_path=[("nixpkgs", str(trees.get("search", missing)))],
        folders=(),
        environ={"NIX_PATH": f"nixpkgs={trees.get('env', missing)}"},
        home=str(home),
        nix_conf_path=[f"nixpkgs={trees.get('conf', missing)}"])
    if winner is None:
        assert found is None or found.how == "channels" and not found.path.startswith(str(tmp_path))
    else:
        assert found is not None and found.how == winner
        key = {"search path": "search", "NIX_PATH": "env", "nix.conf": "conf"}.get(winner, winner)
        assert found.path == str(trees[key])


def test_search_path_entry_without_prefix(tmp_path):
    """`-I /folder` (no prefix): `<nixpkgs>` is /folder/nixpkgs, as in Nix."""
    _tree(tmp_path / "nixpkgs")
    found = N.locate(search_path=[("", str(tmp_path))], environ={}, home=str(tmp_path), nix_conf_path=[])
    assert found == N.Found(str(tmp_path / "nixpkgs"), "search path")


def test_a_flake_lock_whose_source_is_not_in_the_store_is_passed_over(tmp_path):
    lock = {"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}}, "nixpkgs": {"locked": {
        "type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "0" * 40,
        "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}}, "root": "root", "version": 7}
    (tmp_path / "flake.lock").write_text(json.dumps(lock))
    assert N.flake_nixpkgs(str(tmp_path)) is None
    assert N.locate(folders=(str(tmp_path),), environ={}, home=str(tmp_path), nix_conf_path=[]) is None


def test_a_file_or_a_folder_without_lib_is_not_nixpkgs(tmp_path):
    (tmp_path / "f").write_text("x")
    assert not N.is_nixpkgs(str(tmp_path)) and not N.is_nixpkgs(str(tmp_path / "f")) and not N.is_nixpkgs(None)
    assert N.locate(setting=str(tmp_path), environ={}, home=str(tmp_path), nix_conf_path=[]) is None


def test_revision_key_follows_the_files_that_decide_the_names(tmp_path):
    tree = _tree(tmp_path / "np")
    (tree / "pkgs" / "top-level").mkdir(parents=True)
    f = tree / "pkgs" / "top-level" / "all-packages.nix"
    f.write_text("{ }")
    before = N.revision_key(str(tree))
    assert N.revision_key(str(tree)) == before
    os.utime(f, ns=(1, 1))
    assert N.revision_key(str(tree)) != before


def test_package_names_in_the_background_then_from_the_cache(monkeypatch, tmp_path):
    from conftest import shared_nixpkgs
    tree = str(shared_nixpkgs())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    names = N.PackageNames()
    first = names.get(tree)            # never waits: None while the worker computes them
    got = names.wait(tree, 600)
    assert got is not None and {"hello", "curl", "python3", "stdenv", "lib"} <= set(got)
    assert first is None or first == got
    assert N.read_cached(tree) == got                      # on disk, for the next session
    assert N.PackageNames().get(tree) == got               # a new session reads it at once
