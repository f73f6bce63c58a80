"""nixlang.records, the stand-in for `dataclasses` on the start-up path:
the classes it makes behave as the dataclasses they replaced. The pickles
and reprs below were recorded from the dataclass versions (main at 24f8e1c),
so parse-cache entries written before the change still load."""
from __future__ import annotations

import pickle

import pytest

from nixlang import records
from nixlang.evaluator import EvalOptions
from nixlang.settings import Setting
from nixlang.source import Span
from nixlang.syntax import ast as A
from nixlang.syntax.parser import ParseOptions

# (value, its pickle at the highest protocol as the dataclass wrote it, its repr)
RECORDED = [
    (Span(3, 7), b"\x80\x05\x95'\x00\x00\x00\x00\x00\x00\x00\x8c\x0enixlang.source\x94\x8c\x04Span\x94\x93\x94)"
                 b"\x81\x94]\x94(K\x03K\x07eb.", "Span(start=3, end=7)"),
    (A.Var(1, 4, "x", level=2, index=0),
     b"\x80\x05\x95\x8e\x00\x00\x00\x00\x00\x00\x00\x8c\x12nixlang.syntax.ast\x94\x8c\x03Var\x94\x93\x94)\x81\x94N}"
     b"\x94(\x8c\x04name\x94\x8c\x01x\x94\x8c\tsynthetic\x94\x89\x8c\x05level\x94K\x02\x8c\x05index\x94K\x00\x8c\t"
     b"from_with\x94\x89\x8c\x07binding\x94N\x8c\x0bwith_levels\x94)\x8c\x05start\x94K\x01\x8c\x03end\x94K\x04u\x86"
     b"\x94b.",
     "Var(start=1, end=4, name='x', synthetic=False, level=2, index=0, from_with=False, binding=None, with_levels=())"),
    (ParseOptions(), None,
     "ParseOptions(pipe_operators=False, url_literals=True, home=None, check_scopes=True, extra_globals=(), lints=())"),
]


@pytest.mark.parametrize("value,pickled,text", RECORDED, ids=lambda v: type(v).__name__)
def test_pickle_and_repr_as_the_dataclasses(value, pickled, text):
    assert repr(value) == text
    if pickled is not None:
        assert pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) == pickled
        back = pickle.loads(pickled)
        assert repr(back) == text and type(back) is type(value)


def test_equality_hash_and_frozen():
    assert Span(1, 2) == Span(1, 2) and Span(1, 2) != Span(1, 3)
    assert hash(Span(1, 2)) == hash(Span(1, 2)) and len({Span(1, 2), Span(1, 2)}) == 1
    with pytest.raises(AttributeError):
        Span(1, 2).start = 5
    assert Setting("a", "bool") == Setting("a", "bool", None, (), None)
    assert ParseOptions() == ParseOptions() and ParseOptions() != ParseOptions(url_literals=False)
    with pytest.raises(TypeError):
        hash(ParseOptions())          # eq without frozen: unhashable, as a dataclass
    a, b = A.Int(0, 1, 5), A.Int(0, 1, 5)
    assert a != b and hash(a) != hash(b)     # eq=False: identity


def test_defaults_factories_and_slots():
    one, two = EvalOptions(), EvalOptions()
    assert one.search_path == [] and one.search_path is not two.search_path
    assert A.Attrs(0, 1).attrs == {} and A.Attrs(0, 1).attrs is not A.Attrs(0, 1).attrs
    assert not hasattr(A.Int(0, 1, 2), "__dict__")       # slots, through the base Node too
    assert A.Int(0, 1, 2).span == Span(0, 1)             # class attributes kept
    assert [f.name for f in records.fields(A.Select)] == ["start", "end", "expr", "path", "default"]
    assert records.is_record(A.Int(0, 1, 2)) and not records.is_record(3)


def test_replace():
    p = records.replace(ParseOptions(), check_scopes=False)
    assert p == ParseOptions(check_scopes=False)
    assert records.replace(Span(1, 2), end=9) == Span(1, 9)


@records.record(frozen=True, slots=True)
class _Pair:
    a: int
    b: int = 2


@records.record(frozen=True, slots=True)
class _Loaded:
    a: int
    b: int = 2


def test_methods_are_written_at_first_use():
    written = lambda cls: cls.__dict__["__init__"].__code__.co_name == "__init__"   # noqa: E731
    assert not written(_Pair)
    assert _Pair(1) == _Pair(1, 2) and hash(_Pair(1)) == hash((1, 2)) and repr(_Pair(1)) == "_Pair(a=1, b=2)"
    assert written(_Pair)
    assert _Pair.__init__.__qualname__ == "_Pair.__init__"
    # unpickling (a tree from the parse cache) writes them too, at its first
    # __setstate__, which then sets the fields without a loop
    loaded = _Loaded.__new__(_Loaded)
    assert not written(_Loaded)
    loaded.__setstate__([1, 3])
    assert written(_Loaded) and _Loaded.__setstate__.__qualname__ == "_Loaded.__setstate__"
    assert (loaded.a, loaded.b) == (1, 3) and loaded == _Loaded(1, 3)
    assert pickle.loads(pickle.dumps([_Pair(4), _Loaded(5)])) == [_Pair(4, 2), _Loaded(5, 2)]
    with pytest.raises(records.FrozenInstanceError):
        loaded.a = 2


def test_methods_code_comes_from_the_code_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNIX_CACHE_DIR", str(tmp_path))

    def make():
        @records.record
        class Local:
            x: int
            y: str = "d"
        return Local
    first, second = make(), make()
    assert first(1) == first(1, "d")
    files = [p for p in (tmp_path / "records").rglob("*") if p.is_file()]
    assert len(files) == 1                          # the methods' text, compiled once and kept
    assert repr(second(2)) == "test_methods_code_comes_from_the_code_cache.<locals>.make.<locals>.Local(x=2, y='d')"
    assert [p for p in (tmp_path / "records").rglob("*") if p.is_file()] == files   # read back, not written
