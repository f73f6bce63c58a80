"""Evaluated values in the editor (`nixlang.ide.values`): hover previews,
completion of evaluated attributes, formal names in a call's argument set,
and keywords. No LSP: the functions are called on an `Analysis`.

Fixtures are Nix snippets with `$0` at the cursor; the tables give what the
hover's value part must contain (or None: no value is shown).
"""
from __future__ import annotations

import time

import pytest

from nixlang.ide import values as V
from nixlang.ide.analysis import AnalysisCache
from nixlang.ide.completion import KEYWORDS, completion
from nixlang.ide.hover import hover


@pytest.fixture(autouse=True)
def fresh_cache():
    V.clear_cache()
    yield
    V.clear_cache()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "pkgs.nix").write_text("{ }: { hello = 1; world = 2; }\n")
    (tmp_path / "lib.nix").write_text("let names = [ \"double\" \"triple\" ]; in\n"
                                      "builtins.listToAttrs (map (n: { name = n; value = x: x * 2; }) names)\n")
    (tmp_path / "pkg.nix").write_text("{ name, version ? \"1.0\", ... }: { inherit name version; }\n")
    return tmp_path


def analysis(text: str, path=None):
    i = text.index("$0")
    text = text[:i] + text[i + 2:]
    cache = AnalysisCache()
    cache.update("doc", text, str(path) if path else None)
    return cache.get("doc"), i


def value_part(text: str, path=None, wait: float = 5.0, budget: float = 5.0) -> str | None:
    an, off = analysis(text, path)
    h = hover(an, off, values=wait, budget=budget)
    assert h is not None
    _, sep, after = h.markdown.partition("\n\n---\n\n**")
    if not sep or not after.startswith(("value", "default value")):
        return None
    return "**" + after


HOVER_VALUES = [
    # names of every kind: let binding (use and definition), attribute, rec attribute, inherit
    ("let a = 1; in a$0", "```nix\n1\n```"),
    ("let a$0 = { hello = 1; world = 2; }; in a", "{ hello = 1; world = 2; }"),
    ("{ a = 1; b = { c$0 = 2; }; }", "\n2\n"),
    ("rec { a = 1; b$0 = a + 1; }", "\n2\n"),
    ("let a = 1; in { inherit a$0; }", "\n1\n"),
    ("let s = { x = [ 1 ]; }; in { inherit (s) x$0; }", "[ 1 ]"),
    ("{ a.b.c = 3; d$0 = 4; }", "\n4\n"),
    ("{ a.b$0.c = 3; }", "{ c = 3; }"),
    # selections: the prefix up to the name under the cursor
    ("let s = { a.b.c = 3; }; in s.a.b$0.c", "{ c = 3; }"),
    ("let s = { a.b.c = 3; }; in s.a.b.c$0", "\n3\n"),
    # with-provided names, innermost scopes win as in Nix
    ("with { x = 5; }; x$0", "\n5\n"),
    ("let x = 1; in with { x = 5; }; x$0", "\n1\n"),
    ("let a = 1; in with { b = a + 1; }; let c = 3; in [ a b$0 c ]", "\n2\n"),
    # a formal's default value
    ("{ a$0 ? 1 + 2 }: a", "**default value** (evaluated):\n```nix\n3\n```"),
    # kinds of values
    ("let f = x: x; in f$0", "«lambda»"),
    ("let m = builtins.map; in m$0", "«primop map»"),
    ("let m = builtins.map (x: x); in m$0", "«partially applied primop map»"),
    ("let l = [ 1 2 3 ]; in l$0", "[ 1 2 3 ]"),
    ('let s = "hi\\n"; in s$0', '"hi\\n"'),
    ("let p = ./x; in p$0", "/x\n"),
    ("let n = null; t = true; f = 1.5; in [ n$0 t f ]", "null"),
    ("let f = 1.5; in f$0", "1.5"),
    ('let d = derivation { name = "hello"; system = "x"; builder = "/bin/sh"; }; in d$0',
     "«derivation hello»"),
    ("let e = { }; l = [ ]; in [ e$0 l ]", "{ }"),
    # truncation: long lists, big sets, deep values, long strings
    ("let l = builtins.genList (x: x) 100; in l$0", "[ 0 1 2 3 4 5 6 7 8 9 10 11 … (100 items) ]"),
    ("let s = builtins.listToAttrs (builtins.genList (i: { name = \"a${toString (100 + i)}\"; value = i; }) 30);"
     " in s$0", "a111 = 11; … (30 attributes) }"),
    ("let s = { a = { b = { c = 1; }; }; l = [ [ 1 ] ]; }; in s$0", "{ a = { b = { … }; }; l = [ [ … ] ]; }"),
    ('let s = "' + "x" * 200 + '"; in s$0', '"' + "x" * 80 + '…"'),
    # errors: of the value, and of a part of it
    ('let s = throw "boom"; in s$0', "evaluating it fails:\n```\nboom\n```"),
    ('let s = { a = throw "boom"; b = 2; }; in s$0', "{ a = «error: boom»; b = 2; }"),
    ("let x = x; in x$0", "infinite recursion"),
    # parts that depend on a function argument are not evaluated
    ("{ pkgs }: let s = { a = pkgs.x; b = 2; }; in s$0", "{ a = …; b = 2; }"),
    ("{ pkgs }: let two = 1 + 1; in two$0", "\n2\n"),
]


@pytest.mark.parametrize("text,fragment", HOVER_VALUES)
def test_hover_value(text, fragment):
    part = value_part(text)
    assert part is not None and fragment in part, part


NO_VALUE = [
    "{ pkgs }: pkgs$0",                            # a formal without default
    "{ a ? 1 }: a$0",                              # a formal's use: the caller may pass something else
    "x: x$0",                                      # a function argument
    "{ pkgs }: let a = pkgs.hello; in a$0",        # depends on an argument
    "{ pkgs }: with pkgs; hello$0",                # a `with` of an argument
    "builtins.ma$0p",                              # a builtin: its documentation is the hover
    "let a = 1; in b$0",                           # undefined
    "{ a$0 }: a",
]


@pytest.mark.parametrize("text", NO_VALUE)
def test_no_value_is_shown(text):
    an, off = analysis(text)
    h = hover(an, off, values=5.0, budget=5.0)
    assert h is None or ("**value**" not in h.markdown and "**default value**" not in h.markdown)


def test_values_off_by_default_in_the_ide_function():
    an, off = analysis("let a = 1; in a$0")
    assert "**value**" not in hover(an, off).markdown
    assert "**value** (evaluated)" in hover(an, off, values=5.0).markdown


def test_imported_values_and_path_hover(files):
    part = value_part("let pkgs = import ./pkgs.nix { }; in pkgs$0", files / "main.nix")
    assert "{ hello = 1; world = 2; }" in part
    # a path literal shows the file it resolves to
    an, off = analysis("import ./pk$0gs.nix", files / "main.nix")
    assert f"resolves to `{files / 'pkgs.nix'}`" in hover(an, off, values=5.0).markdown


def test_a_value_that_never_finishes_gives_no_preview_and_the_hover_answers():
    slow = "let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in { big = f 60; }.big$0"
    an, off = analysis(slow)
    budget = 4.0
    t0 = time.monotonic()
    h = hover(an, off, values=0.2, budget=budget)
    waited = time.monotonic() - t0
    assert h is not None and "(not evaluated: took too long)" in h.markdown
    assert "`big`" not in h.markdown or "```nix\n" not in h.markdown.split("---")[-1]
    assert waited < budget       # it did not wait for the evaluation's budget (the hover waits 0.2 s)
    # the evaluation is stopped at its budget: asked again later, still no value
    req = V.request(V.hover_probe(an, off)[2], "show", 1.5)
    assert req.wait(10)
    assert req.result().status == "timeout"
    # and the workers go on with other values
    assert "\n7\n" in value_part("let a = 7; in a$0")


def test_one_slow_attribute_costs_only_itself():
    text = ("let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1);\n"
            "    s = { a = 1; b = f 60; c = 3; };\nin s$0")
    assert "{ a = 1; b = …; c = 3; }" in value_part(text, wait=10.0, budget=1.5)


def test_a_value_finished_in_the_background_is_shown_next_time():
    text = "let l = builtins.genList (x: x) 300000; n = builtins.foldl' (a: b: a + b) 0 l; in n$0"
    an, off = analysis(text)
    first = hover(an, off, values=0.0, budget=30)
    assert "(not evaluated: took too long)" in first.markdown
    req = V.request(V.hover_probe(an, off)[2], "show", 30)
    assert req.wait(60)
    assert "44999850000" in hover(an, off, values=0.0, budget=30).markdown


def test_printer_limits_are_exact():
    from nixlang.runtime.values import Attrs
    assert V.show_value(list(range(5))) == "[ 0 1 2 3 4 ]"
    assert V.show_value(Attrs({"b": 2, "a": "x"})) == '{ a = "x"; b = 2; }'
    assert V.show_value(Attrs({"a b": 1})) == '{ "a b" = 1; }'
    inner = [[1, 2, 3, 4, 5, 6, 7, 8]]
    assert V.show_value(inner) == "[ [ 1 2 3 4 5 6 … ] ]"
    assert len(V.show_value(Attrs({f"k{i}": "y" * 70 for i in range(12)}))) < V.MAX_CHARS + 120


# -- completion -------------------------------------------------------------------------------

def labels(text: str, path=None, values: float | None = 5.0):
    an, off = analysis(text, path)
    return [c.label for c in completion(an, off, values=values, budget=5.0)]


EVALUATED_COMPLETION = [
    # (text, labels wanted, labels that must not appear)
    ("let s = builtins.listToAttrs [ { name = \"zz\"; value = 1; } ]; in s.$0", ["zz"], []),
    ("let s = { a = 1; } // builtins.listToAttrs [ { name = \"b\"; value = 1; } ]; in s.$0", ["a", "b"], []),
    ("let s = builtins.mapAttrs (n: v: v) { p = 1; q = 2; }; in [ s.q$0 ]", ["p", "q"], []),
    ("let s = { x.y = builtins.listToAttrs [ { name = \"deep\"; value = 1; } ]; }; in s.x.y.$0", ["deep"], []),
    ("{ pkgs }: pkgs.$0", [], ["hello"]),
    ("let s = 1; in s.$0", [], []),
]


@pytest.mark.parametrize("text,want,absent", EVALUATED_COMPLETION)
def test_completion_of_evaluated_attributes(text, want, absent):
    got = labels(text)
    assert set(want) <= set(got), got
    assert not set(absent) & set(got)


def test_evaluated_completion_needs_values_turned_on():
    text = "let s = builtins.listToAttrs [ { name = \"zz\"; value = 1; } ]; in s.$0"
    assert labels(text, values=None) == []
    assert labels(text) == ["zz"]


def test_completion_of_imported_values(files):
    assert labels("let lib = import ./lib.nix; in lib.$0", files / "main.nix") == ["double", "triple"]
    assert labels("(import ./lib.nix).$0", files / "main.nix") == ["double", "triple"]
    assert sorted(labels("let pkgs = import ./pkgs.nix { }; in pkgs.$0", files / "main.nix")) == ["hello", "world"]
    an, off = analysis("let lib = import ./lib.nix; in lib.$0", files / "main.nix")
    item = completion(an, off, values=5.0)[0]
    assert item.kind == "function" and "evaluated" in item.detail


def test_evaluated_completion_gives_up_quietly_on_slow_values():
    slow = "let f = n: if n == 0 then { } else f (n - 1) // f (n - 1); in (f 60).$0"
    assert labels(slow, values=0.1) == []


FORMALS = [
    # (text, labels in order, absent)
    ('let f = { name, version ? "1", ... }: name; in f { $0 }', ["name", "version", "inherit"], []),
    ('let f = { name, version ? "1", ... }: name; in f { na$0 }', ["name", "version", "inherit"], []),
    ('let f = { name, version ? "1", ... }: name; in f { name = "x"; $0 }', ["version", "inherit"], ["name"]),
    ('let f = { name, version ? "1" }: name; in f {\n  version = "2";\n  $0\n}', ["name", "inherit"],
     ["version"]),
    ('let f = a: { name, b ? 1 }: name; in f 1 { $0 }', ["name", "b", "inherit"], []),
    ("let f = x: x; in f { $0 }", None, []),            # not a formals lambda: names in scope instead
    ("{ f }: f { $0 }", None, []),                       # unknown function
]


@pytest.mark.parametrize("text,want,absent", FORMALS)
def test_formal_completion(text, want, absent):
    got = labels(text, values=None)
    if want is None:
        assert "if" in got and "inherit" in got    # the ordinary list
    else:
        assert got == want
    assert not set(absent) & set(got)


EVALUATED_FORMALS = [
    ('let lib = builtins.listToAttrs [ { name = "mk"; value = { name, v ? 1 + 1 }: name; } ]; in lib.mk { $0 }',
     ["name", "v", "inherit"]),
    ("let mk = a: { name, v ? 1 }: name; in (builtins.head [ mk ]) 1 { v = 2; $0 }", ["name", "inherit"]),
]


@pytest.mark.parametrize("text,want", EVALUATED_FORMALS)
def test_formal_completion_of_evaluated_functions(text, want):
    assert labels(text, values=5.0) == want
    assert labels(text, values=None) != want          # the source alone does not tell
    an, off = analysis(text)
    items = {c.label: c for c in completion(an, off, values=5.0)}
    if "v" in items:
        assert items["v"].detail == "optional argument, default: 1 + 1"


def test_formal_completion_details_and_files(files):
    an, off = analysis('let f = {\n  /** Who. */\n  name, version ? "1", ... }: name; in f { $0 }')
    items = {c.label: c for c in completion(an, off)}
    assert items["name"].detail == "required argument" and items["name"].documentation == "Who."
    assert items["version"].detail == 'optional argument, default: "1"'
    assert items["name"].sort_text < items["version"].sort_text
    main = files / "main.nix"
    assert labels("import ./pkg.nix { $0 }", main, None) == ["name", "version", "inherit"]
    assert labels("let p = import ./pkg.nix; in p { version = 2; $0 }", main, None) == ["name", "inherit"]
    an, off = analysis("{ callPackage }: callPackage ./pkg.nix { $0 }", main)
    items = {c.label: c for c in completion(an, off)}
    assert "callPackage" in items["name"].detail and "default" in items["version"].detail


@pytest.mark.parametrize("text", ["$0", "let a = $0", "[ $0 ]", "f ($0)", "{ a = 1; b = [ 1 $0 ]; }",
                                  'let a = 1; in "${$0}"', "if $0"])
def test_keywords_where_an_expression_starts(text):
    got = set(labels(text, values=None))
    assert set(KEYWORDS) <= got
    assert {"let", "if", "with", "rec", "assert"} <= got


@pytest.mark.parametrize("text", ["# let $0", '"some text $0"', "let pkgs = { a = 1; }; in pkgs.$0"])
def test_no_keywords_in_comments_strings_or_after_a_dot(text):
    assert not set(KEYWORDS) & set(labels(text, values=None))


GARBAGE = ["{ a = ${ $0", "let in in in $0", "f { a = ; $0 }", "x: x.$0.y", "(import $0).", "{ $0 ",
           "let f = { a }: a; in f { a = 1; a = 2; $0 }", "with $0; x", "a.b.$0c.d or"]


@pytest.mark.parametrize("text", GARBAGE)
def test_never_raises(text):
    an, off = analysis(text)
    completion(an, off, values=1.0, budget=1.0)
    for o in range(len(an.text) + 1):
        hover(an, o, values=0.5, budget=1.0)
