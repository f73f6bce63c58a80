"""The on-disk parse cache (nixlang/parse_cache.py): a tree loaded from it is
the tree a parse gives, entries are keyed by everything that changes the
tree, a damaged entry is ignored, the cache stays within its size and can be
turned off. Each test has a cache directory of its own."""
from __future__ import annotations

import importlib
import os
import time

import pytest

from nixlang import parse_cache as C
from nixlang.errors import NixError
from nixlang.source import Source
from nixlang.syntax import ast as A
from nixlang.syntax.parser import ParseOptions
from nixlang.syntax.printer import show

P = importlib.import_module("nixlang.parse")   # the module (the package exports a function of that name)

# big enough to be cached; names bound and free, paths, a lambda, `with`, a list of integers
TEXT = ("{ lib, pkgs ? import <nixpkgs> { } }:\nlet\n  inherit (lib) mkIf;\n  f = x: x + 1;\n"
        + "".join(f"  a{k} = {{ b.c = f {k}; d = ./p/{k}; e = with pkgs; [ hello a{k}.b ]; }};\n"
                  for k in range(40))
        + "  l = [ " + " ".join(str(k) for k in range(100)) + " ];\nin { inherit f l; }\n")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "parse-cache"
    monkeypatch.setenv("PYNIX_PARSE_CACHE_DIR", str(d))
    monkeypatch.delenv("PYNIX_PARSE_CACHE", raising=False)
    monkeypatch.setattr(P, "_cache", {})        # nothing from the in-process memo
    return d


def _entries(d):
    return sorted(p for p in d.rglob("*") if p.is_file()) if d.exists() else []


def _dump(node):
    """Every node with its fields (resolution included), for comparing trees."""
    seen, out, stack = set(), [], [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        row = [type(n).__name__]
        for cls in type(n).__mro__:
            for f in getattr(cls, "__slots__", ()):
                v = getattr(n, f)
                if f == "binding":
                    v = None if v is None else (type(v).__name__, v.start, v.end)
                elif isinstance(v, (A.Node, list, dict, A.ListElems)):
                    continue
                row.append((f, v))
        out.append(tuple(row))
        stack.extend(A.children(n))
        if type(n) in (A.Select, A.HasAttr):
            stack.extend(n.path)
        if type(n) is A.List:
            stack.extend(n.elems)
    return out


def _fresh(text=TEXT, origin="/src/default.nix", options=None):
    P._cache.clear()
    return P.parse_cached(Source(text, origin, os.path.dirname(origin)), options)


def test_a_loaded_tree_is_the_parsed_tree(cache_dir):
    parsed = P.parse_full(Source(TEXT, "/src/default.nix", "/src")).ast
    first = _fresh()
    assert len(_entries(cache_dir)) == 1
    loaded = _fresh()
    assert loaded is not first
    for tree in (first, loaded):
        assert show(tree) == show(parsed)
        assert _dump(tree) == _dump(parsed)


@pytest.mark.parametrize("change", [
    dict(text=TEXT.replace("a39", "z39")),
    dict(origin="/elsewhere/default.nix"),          # paths resolve against the directory
    dict(origin="/src/other.nix"),                  # warnings name the file
    dict(options=ParseOptions(pipe_operators=True)),
    dict(options=ParseOptions(home="/home/x")),
    dict(options=ParseOptions(lints=(("short-path-literals", "warn"),))),
    # entries hold resolved scopes: what resolution sees is part of the key
    dict(options=ParseOptions(extra_globals=("extra",))),
    dict(options=ParseOptions(check_scopes=False)),
])
def test_what_changes_the_tree_changes_the_entry(cache_dir, change):
    _fresh()
    _fresh(**change)
    assert len(_entries(cache_dir)) == 2


def test_entries_hold_resolved_scopes(cache_dir):
    """A loaded tree is resolved as a parsed one is (levels, slots, links to
    definitions), without the resolver running again."""
    first = _fresh()
    calls = []
    real = P.Resolver

    class Counting(real):
        def resolve(self, node):
            calls.append(node)
            return super().resolve(node)
    P.Resolver = Counting
    try:
        again = _fresh()
    finally:
        P.Resolver = real
    assert calls == []
    assert _dump(again) == _dump(first)
    assert any(row[0] == "Var" and dict(row[1:]).get("binding") is not None for row in _dump(again))


def test_warnings_come_from_the_cache_too(cache_dir):
    text = TEXT + "# " + "x" * 10
    text = text.replace("d = ./p/", "d = p/")
    opts = ParseOptions(lints=(("short-path-literals", "warn"),))
    got = []
    for _ in range(2):
        P._cache.clear()
        warned = []
        P.parse_cached(Source(text, "/src/w.nix", "/src"), opts, lambda m, s, o: warned.append((m, o)))
        got.append(warned)
    assert got[0] and got[0] == got[1]
    assert len(_entries(cache_dir)) == 1


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_damaged_entry_is_ignored_and_replaced(cache_dir, damage):
    want = show(_fresh())
    entry, = _entries(cache_dir)
    data = entry.read_bytes()
    entry.write_bytes(data[:len(data) // 2] if damage is None else damage)
    assert show(_fresh()) == want
    assert show(_fresh()) == want                 # from the rewritten entry
    assert entry.read_bytes() == data


def test_errors_are_not_cached(cache_dir):
    bad = TEXT + " }"
    for _ in range(2):
        with pytest.raises(NixError):
            _fresh(bad)
    assert _entries(cache_dir) == []


def test_small_and_deep_sources_are_not_cached(cache_dir):
    _fresh("{ a = 1; }")
    _fresh("x: " + " + ".join(["x"] * (C.MAX_DEPTH + 10)) + " # " + "pad " * C.MIN_CHARS)
    assert _entries(cache_dir) == []


@pytest.mark.parametrize("off", ["0", "off", "no", "false"])
def test_the_cache_can_be_turned_off(cache_dir, monkeypatch, off):
    monkeypatch.setenv("PYNIX_PARSE_CACHE", off)
    _fresh()
    assert _entries(cache_dir) == []


def test_pruning_keeps_the_recently_used(tmp_path):
    top = tmp_path / "c"
    now = time.time()
    for k in range(10):
        d = top / f"{k:02d}"
        d.mkdir(parents=True)
        p = d / f"{k:02d}entry"
        p.write_bytes(b"x" * 100)
        os.utime(p, (now - 1000 + k, now - 1000 + k))      # entry 0 is the oldest
    C.prune(top, 2000)                                      # within the limit: nothing goes
    assert len(_entries(top)) == 10
    C.prune(top, 800)                                       # down to 600 bytes: the 6 newest
    assert [p.name for p in _entries(top)] == [f"{k:02d}entry" for k in range(4, 10)]
