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
                if f == "binding":   # a LazyAttrDef is an AttrDef whose value loads late
                    v = None if v is None else ("AttrDef" if isinstance(v, A.AttrDef) else type(v).__name__,
                                                v.start, v.end)
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


# a package set: a big `rec` attrset in a function, whose values use formals,
# lambda arguments, siblings, inner `let`s and lambdas of their own
BIG = ("{ lib, stdenv ? null }: self: rec {\n"
       + "".join(f"  p{k} = {{ n ? {k} }}: let q = n + {k}; in {{ v = q + lib.x; w = p{(k + 1) % 70}; s = self; }};\n"
                 for k in range(70))
       + "  c = 1;\n  v = lib;\n  l = [ c v ];\n  f = a: b: a + b + c;\n  g = x: y: z: throw \"g: ${toString x}\";\n"
       + "  inherit lib;\n  inherit (lib) y;\n}\n")


def _lazy_defs(tree):
    return [d for d in tree.body.body.attrs.values() if type(d) is A.LazyAttrDef]


def test_big_attrsets_load_their_values_when_read(cache_dir):
    parsed = P.parse_full(Source(BIG, "/src/default.nix", "/src")).ast
    _fresh(BIG)
    loaded = _fresh(BIG)
    lazy = _lazy_defs(loaded)
    # constants, variables and `inherit`s are loaded at once; the rest waits
    assert {n for n, d in loaded.body.body.attrs.items() if type(d) is A.LazyAttrDef} == \
        {f"p{k}" for k in range(70)} | {"l", "f", "g"}
    assert not any(d.loaded() for d in lazy)
    p3 = loaded.body.body.attrs["p3"]
    value = p3.value
    assert p3.loaded() and p3.value is value              # unpickled once
    assert sum(d.loaded() for d in lazy) == 1
    # links to binders outside the value lead to the loaded tree's own nodes
    bindings = {}
    stack = [value]
    while stack:
        n = stack.pop()
        if type(n) is A.Var and n.binding is not None:
            bindings[n.name] = n.binding
        stack.extend(A.children(n))
    outer_lambda, rec = loaded, loaded.body.body
    assert bindings["lib"] is rec.attrs["lib"]            # `inherit lib;` in the rec set
    assert rec.attrs["lib"].value.binding is outer_lambda.formals[0]
    assert bindings["self"] is outer_lambda.body
    assert bindings["p4"] is rec.attrs["p4"]
    assert bindings["n"] is value.formals[0]
    # the whole tree, read, is the parsed one
    assert show(loaded) == show(parsed)
    assert _dump(loaded) == _dump(parsed)


def test_lazily_loaded_values_evaluate_as_parsed_ones(cache_dir, tmp_path):
    from nixlang.evaluator import Evaluator
    from nixlang.runtime.printer import print_value
    f = tmp_path / "big.nix"
    f.write_text(BIG)
    expr = (f"let s = import {f} {{ lib = {{ x = 1; y = 2; }}; }} s; in "
            "[ (s.p3 { }).v (s.p69 { n = 5; }).w.__functor or null s.l (s.f 1 2) "
            "(builtins.tryEval (s.g 1 2 3)).success ]")
    got = []
    for _ in range(3):            # parsed (and stored), then loaded twice
        P._cache.clear()
        ev = Evaluator()
        got.append(print_value(ev.eval_string(expr)))
    assert got[0] == got[1] == got[2] == "[ 7 null [ 1 { x = 1; y = 2; } ] 4 false ]"
    assert len(_entries(cache_dir)) == 1


def test_lambdas_in_lazy_values_keep_their_names(cache_dir, tmp_path):
    """Nix names a lambda after its attribute (in traces); a value unpickled
    late is named as one compiled at once."""
    from nixlang.errors import render_nix_eval
    from nixlang.evaluator import Evaluator
    f = tmp_path / "big.nix"
    f.write_text(BIG)
    texts = []
    for _ in range(2):
        P._cache.clear()
        with pytest.raises(NixError) as e:
            Evaluator().eval_string(f"(import {f} {{ lib = {{ }}; }} {{ }}).g 1 2 3")
        texts.append(render_nix_eval(e.value, show_trace=True))
    assert "while calling 'g'" in texts[0]
    assert texts[0] == texts[1]


def test_scoped_imports_resolve_trees_of_their_own(cache_dir, tmp_path):
    """scopedImport resolves the file's tree in its own scope: loaded from the
    cache, each import has a tree of its own, so scopes never leak between
    scopedImports of one file, nor into its plain import (parsed, stored,
    then loaded: the same answers each time)."""
    from nixlang.evaluator import Evaluator
    from nixlang.runtime.printer import print_value
    f = tmp_path / "big.nix"
    f.write_text(BIG.replace("inherit (lib) y;", "t = builtins.typeOf lib; z = toString 1;"))
    expr = (f"let args = {{ lib = {{ x = 1; y = 2; }}; }};"
            f" a = builtins.scopedImport {{ lib = \"scoped\"; }} {f} args args;"
            f" b = builtins.scopedImport {{ toString = x: \"s${{builtins.toString x}}\"; }} {f} args args;"
            f" c = import {f} args c; in"
            " [ a.t a.z a.lib b.t b.z c.t c.z ((b.p2 { }).v) ]")
    got = []
    for _ in range(3):
        P._cache.clear()
        ev = Evaluator()
        got.append(print_value(ev.deep_force(ev.eval_string(expr))))
    assert got[0] == got[1] == got[2] == \
        '[ "set" "1" { x = 1; y = 2; } "set" "s1" "set" "1" 5 ]'
    # the scoped imports' unresolved tree, the import's resolved one, the expression
    assert len(_entries(cache_dir)) == 3


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


def test_an_entry_of_another_format_is_ignored_and_replaced(cache_dir):
    """An entry written by an older pynix under the same name (the layout of
    FORMAT 2: no binders) is dropped, never half-read."""
    import pickle
    want = show(_fresh(BIG))
    entry, = _entries(cache_dir)
    name = entry.name
    entry.write_bytes(pickle.dumps((2, name, A.Int(0, 1, 1), {}, [])))
    assert C.load(name) is None and not entry.exists()
    assert show(_fresh(BIG)) == want
    assert _lazy_defs(_fresh(BIG))                 # the new entry has its values apart again


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


@pytest.mark.parametrize("age, marked", [(2 * C.FRESH_SECONDS, True), (60, False), (-3600, True)])
def test_loading_marks_an_entry_used_unless_it_was_lately(cache_dir, age, marked):
    """`prune` goes by the entries' times: a load marks its entry used, but
    not again within FRESH_SECONDS (no write for every load of a warm
    cache); a time in the future is marked too."""
    _fresh()
    [entry] = _entries(cache_dir)
    then = time.time() - age
    os.utime(entry, (then, then))
    assert show(_fresh()) == show(P.parse_full(Source(TEXT, "/src/default.nix", "/src")).ast)
    assert (abs(entry.stat().st_mtime - then) > 1) == marked


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
