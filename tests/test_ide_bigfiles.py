"""Big and broken documents in `nixlang.ide`, in process (issue 15).

- Garbage (random bytes, random token soups, runs of one token, deep
  nesting) is analysed to the end and its diagnostics, as the editor lists
  them (`capped`), are at most 100 errors and one "N more".
- `capped` keeps the first errors and says how many more there are.
- The outline of a 3,000-level set stops at `MAX_SYMBOL_DEPTH`.
- The analysis of a text the document no longer has is abandoned
  (`Cancelled`); `AnalysisCache.get(key, text)` then answers None, and the
  current text is analysed instead.
- Path literals and `<...>` lookups are document links.
- `name.` is completed from the dotted name before the cursor, also asked
  of another analysis (`dotted_completion`).
"""
from __future__ import annotations

import random

import pytest

from nixlang import ide
from nixlang.ide import analysis as analysis_module
from nixlang.ide.analysis import Cancelled
from nixlang.ide.completion import dotted_before, dotted_completion
from nixlang.ide.diagnostics import Diagnostic, capped
from nixlang.ide.links import find_in_search_path, parse_search_path, path_links
from nixlang.ide.navigation import MAX_SYMBOL_DEPTH

TOKENS = ["{", "}", "[", "]", "let ", "in ", " x", " = ", ";", "(", ")", "''", '"', "${", "if ", "then ",
          "else ", "rec ", ":", ".", "./a", "\n"]


def _bytes(n: int, seed: int) -> str:
    return random.Random(seed).randbytes(n).decode("utf-8", "replace")


def _soup(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(TOKENS) for _ in range(n))


def _chars(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("abc{}[]();=.:\"'$ \n+-*/<>!?@,\\0123456789") for _ in range(n))


GARBAGE = {
    "200 KB of random bytes": lambda: _bytes(200_000, 1),
    "a random token soup": lambda: _soup(60_000, 2),
    "random characters of code": lambda: _chars(200_000, 3),
    "200,000 closing parentheses": lambda: ")" * 200_000,
    "nested openings, unclosed": lambda: "[ { a = (" * 2000,
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_is_analysed_and_listed_briefly(name):
    text = GARBAGE[name]()
    an = ide.analyze(text)
    listed = capped(ide.diagnostics(an))
    errors = [d for d in listed if d.severity == "error"]
    assert errors, "garbage has errors"
    assert len(errors) <= 101
    if len(ide.diagnostics(an)) > 101:
        assert "more error" in errors[-1].message
    for d in listed:
        assert 0 <= d.start <= d.end <= len(text)


def _d(start: int, severity: str = "error", code: str = "E001") -> Diagnostic:
    return Diagnostic(start, start + 1, severity, code, f"problem at {start}")


@pytest.mark.parametrize("errors, warnings, kept_errors, kept_warnings, note", [
    (3, 2, 3, 2, None),
    (100, 0, 100, 0, None),
    (101, 0, 101, 0, None),                                # the 101st is shown, nothing more to say
    (102, 5, 101, 5, "(and 1 more error after this one"),
    (5000, 1200, 101, 1001, "(and 4899 more errors after this one"),
])
def test_capped_lists_the_first_errors_and_says_how_many_more(errors, warnings, kept_errors, kept_warnings, note):
    diags = sorted([_d(i) for i in range(errors)] + [_d(i, "warning", "W001") for i in range(warnings)],
                   key=lambda d: (d.start, d.end, d.code))
    out = capped(diags)
    got_errors = [d for d in out if d.severity == "error"]
    assert len(got_errors) == kept_errors
    assert len([d for d in out if d.severity != "error"]) == kept_warnings
    assert [d.start for d in got_errors] == list(range(kept_errors))
    if note is None:
        assert all("more error" not in d.message for d in out)
    else:
        assert got_errors[-1].message.startswith("problem at 100\n" + note)


def test_the_outline_of_a_deep_set_stops_at_the_depth_cap():
    text = "{ a = " * 3000 + "1" + "; }" * 3000
    symbols = ide.document_symbols(ide.analyze(text))
    depth = 0
    while symbols:
        depth += 1
        assert len(symbols) == 1 and symbols[0].name == "a"
        symbols = symbols[0].children
    assert depth == MAX_SYMBOL_DEPTH


def test_an_analysis_is_abandoned_when_asked():
    with pytest.raises(Cancelled):
        analysis_module.analyze("let a = 1; in a", cancelled=lambda: True)
    assert analysis_module.analyze("let a = 1; in a", cancelled=lambda: False).ast is not None


def test_the_analysis_of_a_replaced_text_gives_way_to_the_current_one(monkeypatch):
    """While `one` is parsed, the document becomes `two`: the analysis of `one`
    stops at its next checkpoint; asked for `one`, the cache answers None,
    asked for the document, it analyses `two`."""
    cache = ide.AnalysisCache()
    one, two = "let a = 1; in a", "let b = 2; in b"
    cache.update("doc", one)
    real = analysis_module.parse_recover
    parsed = []

    def parse_then_type(source, *args):
        parsed.append(source.text)
        if source.text == one:
            cache.update("doc", two)       # the user types while the parse runs
        return real(source, *args)
    monkeypatch.setattr(analysis_module, "parse_recover", parse_then_type)
    assert cache.get("doc", one) is None
    an = cache.get("doc")
    assert an.text == two and parsed == [one, two]
    assert cache.get("doc", two) is an


def test_path_literals_and_lookups_are_links(tmp_path):
    (tmp_path / "pkgs").mkdir()
    (tmp_path / "pkgs" / "default.nix").write_text("{ }")
    (tmp_path / "lib.nix").write_text("{ }")
    (tmp_path / "src").mkdir()                      # a folder without default.nix
    (tmp_path / "channel" / "nixpkgs" / "lib").mkdir(parents=True)
    (tmp_path / "channel" / "nixpkgs" / "default.nix").write_text("{ }")
    (tmp_path / "channel" / "nixpkgs" / "lib" / "default.nix").write_text("{ }")
    text = ("[ ./lib.nix ./pkgs ./src ./missing.nix ./${x}.nix <nixpkgs> <nixpkgs/lib> <nope> ]")
    an = ide.analyze(text, str(tmp_path / "doc.nix"))
    search = parse_search_path(f"nixpkgs={tmp_path / 'channel' / 'nixpkgs'}:/no/such/folder")
    got = {text[l.start:l.end]: l.target for l in path_links(an, search)}
    assert got == {
        "./lib.nix": (tmp_path / "lib.nix").as_uri(),
        "./pkgs": (tmp_path / "pkgs" / "default.nix").as_uri(),
        "<nixpkgs>": (tmp_path / "channel" / "nixpkgs" / "default.nix").as_uri(),
        "<nixpkgs/lib>": (tmp_path / "channel" / "nixpkgs" / "lib" / "default.nix").as_uri(),
    }
    # without a search path, `<...>` is no link
    assert {text[l.start:l.end] for l in path_links(an)} == {"./lib.nix", "./pkgs"}


@pytest.mark.parametrize("entries, name, found", [
    (["nixpkgs=/a", "/b"], "nixpkgs", "/a"),
    (["nixpkgs=/a", "/b"], "nixpkgs/lib", "/a/lib"),
    (["nixpkgs=/a", "/b"], "nixpkgsx", "/b/nixpkgsx"),     # a prefix matches whole path components
    (["/b", "nixpkgs=/a"], "nixpkgs", "/b/nixpkgs"),       # the first entry that has it wins
    (["nixpkgs=https://example.org/x.tar.gz"], "nixpkgs", None),
])
def test_lookups_follow_nix_search_path_rules(tmp_path, entries, name, found):
    for sub in ("a", "a/lib", "b/nixpkgsx", "b/nixpkgs"):
        (tmp_path / sub.lstrip("/")).mkdir(parents=True, exist_ok=True)
        (tmp_path / sub.lstrip("/") / "default.nix").write_text("{ }")
    rooted = [e.replace("=/", f"={tmp_path}/") if "=/" in e else
              (str(tmp_path) + e if e.startswith("/") else e) for e in entries]
    got = find_in_search_path(parse_search_path(rooted), name)
    assert got == (None if found is None else str(tmp_path) + found + "/default.nix")


@pytest.mark.parametrize("before, found", [
    ("in lib.", ("lib", ["lib"])),
    ("in lib.ma", ("lib", ["lib"])),
    ("x = pkgs . lib . ", ("pkgs . lib", ["pkgs", "lib"])),
    ("in lib", None),
    ("in 1.", None),
])
def test_the_dotted_name_before_the_cursor(before, found):
    got = dotted_before(before, len(before))
    if found is None:
        assert got is None
    else:
        assert (before[got[0]:got[1]], got[2]) == found


def test_dotted_completion_asks_an_analysis_where_the_name_was_written():
    good = "let pkgs = { hello = 1; world = 2; }; in pkgs"
    an = ide.analyze(good)
    start = good.rindex("pkgs")
    items = dotted_completion(an, start, start + 4, ["pkgs"])
    assert [i.label for i in items] == ["hello", "world"]
