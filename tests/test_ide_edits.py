"""Rename and quick fixes (`nixlang.ide.rename`, `nixlang.ide.actions`), no LSP involved.

Fixtures are Nix snippets with `$0` for the cursor and `«...»` for the range
prepareRename must show. Every rename and every fix is applied to the text,
and the result compared with the expected text; results are parsed again to
check they are free of errors (and that the diagnostic fixed is gone).

Renaming a formal (`{ a, b }:`) or a `rec` attribute changes what the
function accepts or what the set holds: callers and readers in *other files*
are not updated (the rename is file-local by design); only uses in this file
are, including `args.a` / `inherit (args) a` through an `args@` pattern and
the sets passed at calls of the function written in this file.
"""
from __future__ import annotations

import pytest

from nixlang import ide
from nixlang.ide import analyze
from nixlang.ide.actions import code_actions
from nixlang.ide.rename import RenameError, apply_edits, is_identifier, prepare_rename, rename

from test_ide import marked


def _errors(text: str) -> list[str]:
    return [d.code for d in ide.diagnostics(analyze(text)) if d.severity == "error"]


def _rename(src: str, new: str) -> str:
    text, cur, _ = marked(src)
    return apply_edits(text, rename(analyze(text), cur, new))


# -- prepareRename ----------------------------------------------------------------------------

PREPARE = [
    ("let «x$0» = 1; in x", "x"),
    ("let x = 1; in «x$0» + x", "x"),
    ("let x = 1; in «x»$0", "x"),                     # cursor just after the name
    ("{ «a$0», b }: a", "a"),
    ("args@{ a, ... }: args.«a$0»", "a"),             # through the @-pattern: the formal
    ("«ar$0gs»@{ a, ... }: args", "args"),
    ("«x$0»: x", "x"),
    ("rec { «a$0» = 1; b = a; }", "a"),
    ("let s = rec { a = 1; }; in s.«a$0»", "a"),      # the rec attribute, through `s`
    ("let x = 1; in { inherit «x$0»; }", "x"),        # the variable `inherit x;` copies
    ('let «"q$0"» = 1; in q', "q"),
]


@pytest.mark.parametrize("src,name", PREPARE)
def test_prepare_rename(src, name):
    text, cur, spans = marked(src)
    t = prepare_rename(analyze(text), cur)
    assert [(t.start, t.end)] == spans
    assert t.name == name


# -- rename -----------------------------------------------------------------------------------

RENAMES = [
    # let bindings, from the definition or a use, in strings too
    ("let x$0 = 1; in x + x", "y", "let y = 1; in y + y"),
    ("let x = 1; in x + x$0", "y", "let y = 1; in y + y"),
    ("let x$0 = 1; in ''${x}'' + \"${x}\"", "yy", "let yy = 1; in ''${yy}'' + \"${yy}\""),
    ("let\n  x$0 = 1;\n  y = x;\nin y", "count", "let\n  count = 1;\n  y = count;\nin y"),
    ("let x$0 = 1; in let y = 2; in x", "z", "let z = 1; in let y = 2; in z"),
    # a shadowed name: only the uses of this binding
    ("let x$0 = 1; in [ x (let x = 2; in x) ]", "y", "let y = 1; in [ y (let x = 2; in x) ]"),
    ("let x = 1; in [ x (let x$0 = 2; in x) ]", "y", "let x = 1; in [ x (let y = 2; in y) ]"),
    # `inherit x;` keeps the attribute's name
    ("let x$0 = 1; in { inherit x; }", "y", "let y = 1; in { x = y; }"),
    ("let x = 1; in { inherit x$0; }", "y", "let y = 1; in { x = y; }"),
    ("let x$0 = 1; z = 2; in { inherit z x; }", "y", "let y = 1; z = 2; in { inherit z; x = y; }"),
    ("let x$0 = 1; z = 2; in { inherit x z; }", "y", "let y = 1; z = 2; in { inherit z; x = y; }"),
    ("let x = 1; in rec { inherit x; y = x$0; }", "z", "let x = 1; in rec { z = x; y = z; }"),
    # renaming a binding made by `inherit`
    ("let x = 1; in let inherit x; in x$0", "y", "let x = 1; in let y = x; in y"),
    ("pkgs: let inherit (pkgs) hello; in hello$0", "h", "pkgs: let h = pkgs.hello; in h"),
    ("pkgs: let inherit (pkgs) hello world; in hello$0", "h", "pkgs: let inherit (pkgs) world; h = pkgs.hello; in h"),
    # a let binding may take a name a `with` provides: it shadows the `with` for its own uses
    ("with { y = 1; }; let x$0 = 2; in x", "y", "with { y = 1; }; let y = 2; in y"),
    # a builtin's name is fine while nothing in scope uses the builtin
    ("let x$0 = 1; in [ x ]", "map", "let map = 1; in [ map ]"),
    # formals (file-local: callers elsewhere are not updated), defaults included
    ("{ a$0, b ? a }: a + b", "c", "{ c, b ? c }: c + b"),
    ("{ a, b ? a$0 }: a + b", "c", "{ c, b ? c }: c + b"),
    ("{ a$0, ... }: { inherit a; }", "c", "{ c, ... }: { a = c; }"),
    # calls this file shows of the function: the sets passed follow (curried calls, `inherit` too)
    ("let f = { a$0, b }: a + b; in f { a = 1; b = 2; }", "c", "let f = { c, b }: c + b; in f { c = 1; b = 2; }"),
    ("a: ({ a$0 }: a) { inherit a; }", "b", "a: ({ b }: b) { b = a; }"),
    ("({ }: { x$0, y }: x + y) { } { x = 1; y = 2; }", "z", "({ }: { z, y }: z + y) { } { z = 1; y = 2; }"),
    ("let f = { a$0 ? 1 }: a; in f { }", "b", "let f = { b ? 1 }: b; in f { }"),
    # across @-patterns: `args.a` and `inherit (args) a` follow the formal
    ("args@{ a$0, ... }: args.a", "c", "args@{ c, ... }: args.c"),
    ("args@{ a, ... }: args.a$0 + args.b", "c", "args@{ c, ... }: args.c + args.b"),
    ("{ a$0, ... }@args: args ? a", "c", "{ c, ... }@args: args ? c"),
    ("args@{ a$0, ... }: { inherit (args) a; }", "c", "args@{ c, ... }: { a = args.c; }"),
    ("ar$0gs@{ a, ... }: f args", "all", "all@{ a, ... }: f all"),
    # plain function arguments
    ("x$0: x", "y", "y: y"),
    ("x: y: x$0 y", "z", "z: y: z y"),
    # rec attributes: uses inside, `s.a` and `inherit (s) a` in this file
    ("rec { a$0 = 1; b = a; }", "y", "rec { y = 1; b = y; }"),
    ("let s = rec { a = 1; b = a; }; in s.a$0 + s.b", "y", "let s = rec { y = 1; b = y; }; in s.y + s.b"),
    ("let s = rec { a$0 = 1; b = a; }; in { inherit (s) a b; }", "y",
     "let s = rec { y = 1; b = y; }; in { inherit (s) b; a = s.y; }"),
    ("rec { a$0 = 1; b = { inherit a; }; }", "y", "rec { y = 1; b = { a = y; }; }"),
    # an attribute path with one part
    ("let a$0.b = 1; in a.b", "h", "let h.b = 1; in h.b"),
    # a quoted name becomes a plain one
    ('let "q$0" = 1; in q', "r", "let r = 1; in r"),
    # names with the characters Nix allows
    ("let x$0 = 1; in x", "x'-_2", "let x'-_2 = 1; in x'-_2"),
    # the same name: nothing to do
    ("let x$0 = 1; in x", "x", "let x = 1; in x"),
]


@pytest.mark.parametrize("src,new,expected", RENAMES)
def test_rename(src, new, expected):
    assert _rename(src, new) == expected
    assert _errors(expected) == _errors(marked(src)[0])


REFUSALS = [
    # the new name
    ("let x$0 = 1; in x", "in", "keyword"),
    ("let x$0 = 1; in x", "1x", "not a valid Nix name"),
    ("let x$0 = 1; in x", "a b", "not a valid Nix name"),
    ("let x$0 = 1; in x", "", "not a valid Nix name"),
    # capture: a use of the renamed binding by an inner binding
    ("let x$0 = 1; in let y = 2; in x + y", "y", "'y' on line 1 would then refer to the let binding 'y'"),
    ("x$0: y: x", "y", "would then refer to the function argument 'y'"),
    # capture: another use of the new name by the renamed binding
    ("let x$0 = 1; in [ x map ]", "map", "'map' on line 1 would then refer to the let binding 'map'"),
    ("let x$0 = 1; in with s; [ x y ]", "y", "'y' on line 1 would then refer to the let binding"),
    ("let x$0 = 1; in y", "y", "would then refer to the let binding"),               # was undefined
    ("let x$0 = 1; in x - 1", "__sub", "'__sub' on line 1"),                          # `-` calls __sub
    ("pkgs: let inherit (pkgs) hello; in hello$0", "pkgs", "'pkgs' on line 1"),
    ("let\n  x$0 = 1;\nin\n  let f = y: x + y; in f", "y",
     "'y' on line 4 would then refer to the function argument 'y'"),
    # the new name is already defined in the same place
    ("let x$0 = 1; y = 2; in x + y", "y", "'y' is already defined"),
    ("{ a$0, b }: a + b", "b", "'b' is already defined"),
    ("rec { a$0 = 1; b = a; }", "b", "'b' is already defined"),
    # a call passing a set the rename cannot see into
    ("let f = { a$0 }: a; s = { a = 1; }; in f s", "b", "called on line 1 with a set pynix cannot see into"),
    # what cannot be renamed at all
    ("ma$0p", "f", "is a builtin"),
    ("builtins.ma$0p", "f", "is a builtin"),
    ("with s; a$0", "b", "comes from a `with`"),
    ("undefine$0d", "b", "not defined"),
    ("let x = 1; in { inherit map$0; }", "b", "is a builtin"),
    ("{ a$0 = 1; }", "b", "plain (non-rec) set"),
    ("let s = { a = 1; }; in s.a$0", "b", "plain (non-rec) set"),
    ("{ a = { b$0 = 1; }; }", "c", "plain (non-rec) set"),
    ("x: x.a$0", "b", "cannot tell which set"),
    ("let a.b = 1; a.c = 2; in a$0", "h", "defined in several parts"),
    ("let __sub = x: y: 1; in __sub$0 (2 - 1)", "h", "used by an operator"),
    ("rec { a$0 = 1; ${x} = 2; b = a; }", "c", "computed names"),
    ("args@{ a$0, ... }: f args", "c", "used as a whole on line 1"),
    ("args@{ a$0, ... }: args.${x}", "c", "computed name"),
    ("let { a = 1; bo$0dy = a; }", "c", "legacy `let"),
    ("rec { __overrides = { }; a$0 = 1; }", "b", "`__overrides`"),
    ("./some/pa$0th.nix", "c", "a path"),
    ("let x = 1; in  $0 x", "y", "no name here"),
]


@pytest.mark.parametrize("src,new,fragment", REFUSALS)
def test_rename_refused(src, new, fragment):
    text, cur, _ = marked(src)
    with pytest.raises(RenameError) as e:
        rename(analyze(text), cur, new)
    assert fragment in e.value.message


PREPARE_REFUSED = [(src, frag) for src, new, frag in REFUSALS[REFUSALS.index(("ma$0p", "f", "is a builtin")):]]


@pytest.mark.parametrize("src,fragment", PREPARE_REFUSED)
def test_prepare_rename_refused(src, fragment):
    """Refusals that do not depend on the new name are said before the user types one."""
    text, cur, _ = marked(src)
    with pytest.raises(RenameError) as e:
        prepare_rename(analyze(text), cur)
    assert fragment in e.value.message


@pytest.mark.parametrize("name,ok", [("x", True), ("_x", True), ("x'", True), ("a-b", True), ("-a", False),
                                     ("'a", False), ("if", False), ("or", False), ("a.b", False), ("", False)])
def test_identifiers(name, ok):
    assert is_identifier(name) == ok


def test_no_rename_in_flake_lock(tmp_path):
    text = '{ "nodes": { "root": { } }, "root": "root", "version": 7 }'
    an = analyze(text, str(tmp_path / "flake.lock"))
    with pytest.raises(RenameError, match="written by Nix"):
        prepare_rename(an, text.index("nodes"))


def test_rename_in_a_file_with_errors_elsewhere():
    text, cur, _ = marked("let x$0 = 1; in [ x (1 + ) ]")
    an = analyze(text)
    assert an.parse_diagnostics
    assert apply_edits(text, rename(an, cur, "y")).startswith("let y = 1; in [ y ")


# -- code actions ------------------------------------------------------------------------------

# (text, code of the diagnostic, title fragment, the text after the fix, preferred)
ACTIONS = [
    # the missing ';' goes where it belongs, not where the parser noticed
    ("{\n  a = 1\n  b = 2;\n}", "E001", "Add the missing `;` at the end of line 2", "{\n  a = 1;\n  b = 2;\n}", True),
    ("let\n  a = 1 # one\n  b = 2;\nin a + b", "E001", "end of line 2", "let\n  a = 1; # one\n  b = 2;\nin a + b",
     True),
    ("{ a = 1 }", "E001", "Add the missing `;` on line 1", "{ a = 1; }", True),
    ("let\n  a = { x = 1; }\n  b = 2;\nin a", "E001", "end of line 2", "let\n  a = { x = 1; };\n  b = 2;\nin a", True),
    # did you mean
    ("let pkgs = 1; in pkgz", "E013", "Change `pkgz` to `pkgs`", "let pkgs = 1; in pkgs", True),
    ("toStrin 1", "E013", "Change `toStrin` to `toString`", "toString 1", True),
    # an undefined name becomes an argument of the enclosing `{ ... }:`
    ("{ a }: a + b", "E013", "Add `b` to the function's arguments", "{ a, b }: a + b", False),
    ("{ a, ... }: a + b", "E013", "Add `b`", "{ a, b, ... }: a + b", False),
    ("{}: b", "E013", "Add `b`", "{ b }: b", False),
    ("{ a, }: a + b", "E013", "Add `b`", "{ a, b, }: a + b", False),
    ("{\n  a,\n  ...\n}: a + b", "E013", "Add `b`", "{\n  a,\n  b,\n  ...\n}: a + b", False),
    ("{\n  a\n}: a + b", "E013", "Add `b`", "{\n  a,\n  b\n}: a + b", False),
    ("{\r\n  a\r\n}: a + b", "E013", "Add `b`", "{\r\n  a,\r\n  b\r\n}: a + b", False),     # CR LF kept
    ("{ a ? 1 }: a + b", "E013", "Add `b`", "{ a ? 1, b }: a + b", False),
    ("{ pkgs }: x: x + b", "E013", "Add `b`", "{ pkgs, b }: x: x + b", False),
    # W001 unused let binding
    ("let\n  a = 1;\n  b = 2;\nin b", "W001", "Remove the unused binding `a`", "let\n  b = 2;\nin b", True),
    ("let a = 1; b = 2; in b", "W001", "Remove the unused binding `a`", "let b = 2; in b", True),
    ("let a = 1; in 2", "W001", "and the `let` that only holds it", "2", True),
    ("let a = { x = [ 1 ]; }; b = 2; in b", "W001", "Remove", "let b = 2; in b", True),
    ("let a.b.c = 1; b = 2; in b", "W001", "Remove", "let b = 2; in b", True),
    ("x: let inherit x; y = 1; in y", "W001", "Remove", "x: let y = 1; in y", True),
    ("x: let inherit (x) a b; in b", "W001", "Remove", "x: let inherit (x) b; in b", True),
    ("let a = 1; b = 2; in b", "W001", "Rename `a` to `_a`", "let _a = 1; b = 2; in b", False),
    ("x: let inherit x; y = 1; in y", "W001", "Rename `x` to `_x`", "x: let _x = x; y = 1; in y", False),
    # W002 unused formal
    ("{ lib, pkgs, ... }: lib", "W002", "Remove the unused argument `pkgs`", "{ lib, ... }: lib", True),
    ("{ lib, pkgs }: pkgs", "W002", "callers that pass it will then fail", "{ pkgs }: pkgs", False),
    ("{ lib ? 1, pkgs }: pkgs", "W002", "Remove", "{ pkgs }: pkgs", False),
    ("{\n  lib,\n  pkgs,\n}: lib", "W002", "Remove", "{\n  lib,\n}: lib", False),
    ("{\n  pkgs,\n  lib,\n  ...\n}: lib", "W002", "Remove", "{\n  lib,\n  ...\n}: lib", True),
    # W003, W004, W005, W006
    ("with { a = 1; }; 2", "W003", "Remove the unused `with { a = 1; };`", "2", True),
    ("{ pkgs }: with pkgs;\n[ 1 ]", "W003", "Remove the unused `with pkgs;`", "{ pkgs }: [ 1 ]", True),
    ("rec { a = 1; b = 2; }", "W004", "Remove the useless `rec`", "{ a = 1; b = 2; }", True),
    ("let in 1", "W005", "Remove the empty `let … in`", "1", True),
    ("{\n  inherit;\n  a = 1;\n}", "W006", "Remove the empty `inherit`", "{\n  a = 1;\n}", True),
    ("x: { inherit (x); a = 1; }", "W006", "Remove the empty `inherit`", "x: { a = 1; }", True),
]


def _action(text: str, code: str, fragment: str):
    an = analyze(text)
    acts = [a for a in code_actions(an, 0, len(text)) if a.diagnostic.code == code and fragment in a.title]
    assert acts, [(a.diagnostic.code, a.title) for a in code_actions(an, 0, len(text))]
    return acts[0]


@pytest.mark.parametrize("text,code,fragment,expected,preferred", ACTIONS)
def test_code_action(text, code, fragment, expected, preferred):
    a = _action(text, code, fragment)
    assert a.kind == "quickfix"
    assert a.preferred == preferred
    after = apply_edits(text, a.edits)
    assert after == expected
    # the diagnostic it fixes is gone, and no error is left that was not there before
    before_errors = [c for c in _errors(text) if c != code]
    assert _errors(after) == before_errors
    fixed = a.diagnostic
    assert not any(d.code == code and d.message == fixed.message for d in ide.diagnostics(analyze(after))) \
        or code == "E001"


NO_ACTION = [
    # `args` may read the formal: removing it is not safe
    ("args@{ lib, pkgs }: args", "W002"),
    # defined in two statements: not removed
    ("let a.b = 1; a.c = 2; in 2", "W001"),
    # a syntax error that is not a missing ';'
    ("[ 1 2 ) 3 ]", "E001"),
]


@pytest.mark.parametrize("text,code", NO_ACTION)
def test_no_code_action(text, code):
    an = analyze(text)
    assert any(d.code == code for d in ide.diagnostics(an))
    acts = [a for a in code_actions(an, 0, len(text)) if a.diagnostic.code == code
            and not a.title.startswith("Rename")]
    assert acts == []


def test_code_actions_only_for_the_range():
    text = "let\n  pkgs = 1;\n  b = 2;\nin pkgz"
    an = analyze(text)
    a_at = text.index("b =")
    got = {a.diagnostic.code for a in code_actions(an, a_at, a_at)}
    assert got == {"W001"}
    z = text.index("pkgz") + 2
    got = {(a.diagnostic.code, a.title.split("`")[1]) for a in code_actions(an, z, z)}
    assert ("E013", "pkgz") in got and all(c == "E013" for c, _ in got)
    assert code_actions(an, text.index("in "), text.index("in ")) == []


def test_code_actions_use_the_given_diagnostics():
    """With lints turned off (the server passes its own list), no lint fixes."""
    text = "let pkgs = 1; b = 2; in pkgz"
    an = analyze(text)
    assert {a.diagnostic.code for a in code_actions(an, 0, len(text))} == {"W001", "E013"}
    acts = code_actions(an, 0, len(text), ide.diagnostics(an, lints=False))
    assert {a.diagnostic.code for a in acts} == {"E013"}


def test_two_missing_semicolons_fixed_one_by_one():
    text = "let\n  a = 1\n  b = 2\nin a + b"
    an = analyze(text)
    acts = [a for a in code_actions(an, 0, len(text)) if a.diagnostic.code == "E001"]
    assert [a.title for a in acts] == ["Add the missing `;` at the end of line 2",
                                       "Add the missing `;` at the end of line 3"]
    both = apply_edits(text, [e for a in acts for e in a.edits])
    assert both == "let\n  a = 1;\n  b = 2;\nin a + b"
    assert _errors(both) == []


BROKEN = ["", "{", "let", "let a = ; in", "{ a, b ? }: ", "x: { inherit (x", "rec { a = 1; inherit", "''${",
          "with ; a", "let a = 1\nb", "{ a = 1; inherit a; }", "let in", "a: b: c", '"${x}"', "{ ... }@: 1"]


@pytest.mark.parametrize("text", BROKEN)
def test_never_crashes(text):
    an = analyze(text)
    for off in range(len(text) + 1):
        try:
            prepare_rename(an, off)
            rename(an, off, "renamed")
        except RenameError as e:
            assert e.message
        for a in code_actions(an, off, off):
            apply_edits(text, a.edits)


# -- `inherit` of a name the same set defines -------------------------------------------------

INHERIT_DUPLICATES = [
    ("{\n  «a» = 1;\n  inherit a;\n}", "`inherit a;` means `a = a;`, so this set defines the attribute 'a' twice",
     "first defined here"),
    ("let «a» = 1; inherit a; in a", "`inherit a;` in a `let` means `a = a;` with the 'a' from outside the `let`",
     "first defined here"),
    ("x: { inherit «x»; x = 1; }", "so this set defines the attribute 'x' twice", "first defined here (by `inherit`)"),
    ("x: { «a» = 1; inherit (x) a; }", "`inherit (...) a;` means `a = (...).a;`", "first defined here"),
]


@pytest.mark.parametrize("src,message,related", INHERIT_DUPLICATES)
def test_inherit_of_a_name_the_set_defines(src, message, related):
    text, _, spans = marked(src)
    ds = ide.diagnostics(analyze(text))
    d = next(d for d in ds if d.code == "E010")
    assert d.message.startswith("attribute '")
    assert message in d.message
    assert [(r.start, r.end) for r in d.related] == spans
    assert d.related[0].message == related
    assert "W006" not in [x.code for x in ds]      # `inherit (x) a;` is not empty: its `a` is the duplicate
