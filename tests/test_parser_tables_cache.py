"""The parser's tables file keeps the driver's compiled tables after the
table itself (nixlang/syntax/parser.py, `_load_compiled`): a Frontend made
from the file has the same actions, gotos and rows as one that builds them,
its callbacks are the new builder's, and a file written for other sources
(or before the compiled part existed) is rebuilt, not trusted."""
from __future__ import annotations

import pickle
import shutil

import pytest

from nixlang.syntax import parser
from nixlang.syntax.printer import show
from nixlang.source import Source


def _shape(tables):
    """The compiled tables with each callback named (comparable across builders)."""
    def name(cb):
        return "first" if cb is parser._first else cb.__func__.__name__

    def act(a):
        return tuple(name(x) if callable(x) else x for x in a)
    return ([{t: act(a) for t, a in row.items()} for row in tables.actions], tables.gotos,
            {t: [None if a is None else act(a) for a in row] for t, row in tables.rows.items()},
            tables.list_states, tables.start_state, tables.end_state)


@pytest.fixture
def table_file(tmp_path, monkeypatch):
    parser.Frontend()     # the real cache file, with its compiled part
    path = tmp_path / "lr-tables.pickle"
    shutil.copy(parser.tables_cache_file(), path)
    monkeypatch.setattr(parser, "tables_cache_file", lambda: str(path))
    return path


def _built(monkeypatch) -> list:
    built = []
    real = parser.Tables.__init__
    monkeypatch.setattr(parser.Tables, "__init__", lambda self, *a, **k: (built.append(1), real(self, *a, **k))[1])
    return built


def test_loaded_tables_equal_built_ones(table_file, monkeypatch):
    built = _built(monkeypatch)
    loaded = parser.Frontend()
    assert built == []                          # taken from the file
    assert loaded.tables.append_run.__self__ is loaded.builder
    some_reduce = next(a for row in loaded.tables.actions for a in row.values() if len(a) > 3 and callable(a[3])
                       and a[3] is not parser._first)
    assert some_reduce[3].__self__ is loaded.builder
    # a file with only the table (as written before): built, then stored whole
    with open(table_file, "rb") as f:
        head = pickle.load(f)
    table_file.write_bytes(pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL))
    fresh = parser.Frontend()
    assert built == [1]
    assert _shape(fresh.tables) == _shape(loaded.tables)
    parser.Frontend()
    assert built == [1]                         # the rewritten file has the compiled part again


def test_other_sources_are_not_trusted(table_file, monkeypatch):
    monkeypatch.setattr(parser, "_compiled_key", lambda: b"another version of lr.py")
    built = _built(monkeypatch)
    parser.Frontend()
    assert built == [1]


@pytest.mark.parametrize("text", ["let a = [ 1 2 3 ]; in { inherit a; b = a.${\"x\"} or 2; }",
                                  "{ x, ... }@args: rec { y = x + 1; z = [ y ] ++ [ \"${y}\" ]; }",
                                  "if a then b else c.d or (x: x) 1 2 // { }"])
def test_parses_alike(table_file, monkeypatch, text):
    options = parser.ParseOptions(check_scopes=False)
    trees = []
    for load in (True, False):
        if not load:
            monkeypatch.setattr(parser, "_load_compiled", lambda *a: None)
        monkeypatch.setattr(parser._local, "frontend", parser.Frontend(), raising=False)
        trees.append(show(parser.parse_syntax(Source(text, "t", "/"), options).ast))
    assert trees[0] == trees[1]
