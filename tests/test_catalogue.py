"""The error catalogue (nixlang/errors/catalogue.py) and `pynix explain`.

Every code the code base can raise has an explanation, and the examples
are real: each broken example raises its code and each fixed example
evaluates without error, run the way `pynix explain` tells a learner to run
them (`pynix eval example.nix`, or `pynix instantiate` with the flags an
entry needs). Entries that need a setting are also checked in process, where
the code is visible; the one setting with no command-line flag (E005) is
checked only there, and the test says so."""
from __future__ import annotations

import dataclasses
import gc
import importlib
import io
import pkgutil
import re
import shlex
import sys
import threading
from pathlib import Path

import pytest

import nixlang
from nixlang import cli, errors, records
from nixlang.errors import ALL_CODES, NixError
from nixlang.errors.catalogue import Explanation, all_codes, explanation
from nixlang import ide
from nixlang.ide.diagnostics import LINTS
from nixlang.ide.flakes import CODES as FLAKE_CODES
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.parse import ParseOptions
from nixlang.runtime.stack import in_roomy_frame_stack

ROOT = Path(__file__).resolve().parents[1]
CODE_RE = re.compile(r'\bcode\s*=\s*"(E\d{3})"')
# lint and flake codes written as string literals in the editor tooling
TOOL_CODE_RE = re.compile(r'"([WF]\d{3})"')

# entries whose setting no pynix command line can give (checked in process only)
LIBRARY_ONLY = {"E005"}
# codes that name a family of errors rather than one kind: the broken example
# raises a member of the family, an instance of this class
FAMILIES = {"E000": errors.ParseError}


def codes_in_source() -> dict[str, list[str]]:
    """Every `code = "E..."` in nixlang/**.py, with the files defining it."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "nixlang").rglob("*.py")):
        for m in CODE_RE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1), []).append(str(path.relative_to(ROOT)))
    return found


def tool_codes() -> dict[str, str | None]:
    """code -> title of every lint (W) and flake (F) code the editor tooling
    can report: the tables `ide.LINTS` and `flakes.CODES`, and every `"W..."` /
    `"F..."` literal in nixlang/ide and lsp (a code reported without a table
    entry has no title there: None)."""
    found: dict[str, str | None] = {}
    for folder in (ROOT / "nixlang" / "ide", ROOT / "lsp"):
        for path in sorted(folder.rglob("*.py")):
            for m in TOOL_CODE_RE.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(m.group(1), None)
    for table in (LINTS, FLAKE_CODES):
        for code, (title, _hint) in table.items():
            found[code] = title
    return found


def raisable_codes() -> set[str]:
    """Every code the code base can raise or report."""
    return set(ALL_CODES) | set(codes_in_source()) | set(error_classes()) | set(tool_codes())


def tool_diagnostics(e: Explanation, which: str, folder: Path) -> list[str]:
    """The codes the language server's diagnostics report for an example:
    its files are written to `folder` and the first one is analysed."""
    files = e.example_files(which)
    for name, content in files:
        (folder / name).write_text(content, encoding="utf-8")
    name, content = files[0]
    return [d.code for d in ide.diagnostics(ide.analyze(content, str(folder / name)))]


def error_classes() -> dict[str, set[str]]:
    """code -> titles of every NixError subclass, once all nixlang modules are imported."""
    for mod in pkgutil.walk_packages(nixlang.__path__, "nixlang."):
        if mod.name.startswith("nixlang.grammar") or mod.name.endswith("__main__"):
            continue
        importlib.import_module(mod.name)
    titles: dict[str, set[str]] = {}
    todo = [NixError]
    while todo:
        cls = todo.pop()
        titles.setdefault(cls.code, set()).add(cls.title)
        todo.extend(cls.__subclasses__())
    return titles


def in_big_stack(fn):
    """Run `fn()` as `pynix` runs its work (cli.main): in a thread with a
    large stack, a high recursion limit and a roomy frame stack, which deep
    examples need. The cyclic garbage collector pauses meanwhile: the test
    process holds far more objects than the command, and scanning them
    during a deep parse would double its time."""
    box: dict = {}

    def target():
        try:
            box["value"] = in_roomy_frame_stack(fn)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    old_limit, old_gc = sys.getrecursionlimit(), gc.isenabled()
    sys.setrecursionlimit(200000)
    gc.disable()
    old_size = threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=target)
        t.start()
    finally:
        threading.stack_size(old_size)
    t.join()
    sys.setrecursionlimit(old_limit)
    if old_gc:
        gc.enable()
    if "error" in box:
        raise box["error"]
    return box["value"]


def pynix(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = in_big_stack(lambda: cli.run(list(argv), out, err))
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty folder as the current directory, with no user settings and
    a private fetcher cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIX_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    return tmp_path


def setup_files(e: Explanation, folder: Path) -> None:
    for name, content in e.files:
        (folder / name).write_text(content, encoding="utf-8")


def code_in_process(e: Explanation, path: Path) -> str | None:
    """Evaluate the file at `path` completely with the entry's settings;
    the code of the error it raises, or None."""
    opts = dict(e.options)
    url_literals = opts.pop("url_literals", True)

    def go():
        ev = Evaluator(EvalOptions(**opts))
        ev.parse_options = records.replace(ev.parse_options, url_literals=url_literals)
        ev.deep_force(ev.eval_file(str(path)))

    try:
        in_big_stack(go)
    except NixError as exc:
        family = FAMILIES.get(e.code)
        if family is not None:
            assert isinstance(exc, family), (e.code, type(exc))
            return e.code
        return exc.code
    return None


# -- coverage ------------------------------------------------------------------------------------

def test_the_scan_sees_the_codes_defined_outside_errors():
    found = codes_in_source()
    # error classes of builtins modules define their own codes; the scan must see them
    assert "E213" in found and any("builtins/flakes.py" in p for p in found["E213"])
    assert {"E211", "E212"} <= set(found)
    assert set(ALL_CODES) <= set(found)


def test_the_scan_sees_the_lint_and_flake_codes():
    found = tool_codes()
    assert {f"W00{i}" for i in range(1, 10)} <= set(found)
    # F004/F005 are reported by flake.lock checks; the scan finds them even
    # where the table of titles does not list them
    assert {f"F00{i}" for i in range(1, 6)} <= set(found)


def test_every_code_in_the_code_base_is_explained():
    missing = sorted(raisable_codes() - set(all_codes()))
    assert missing == [], f"codes without an explanation: {missing}"


def test_no_explanation_for_a_code_that_does_not_exist():
    assert sorted(set(all_codes()) - raisable_codes()) == []


def test_the_catalogue_is_exactly_the_codes_the_code_base_can_raise():
    assert set(all_codes()) == raisable_codes()


def test_titles_are_those_of_the_error_classes():
    titles = error_classes()
    tools = tool_codes()
    for code in all_codes():
        if code in tools:
            # the language server's titles come from the tables; a code the
            # tables do not list yet has only the catalogue's title
            if tools[code] is not None:
                assert explanation(code).title == tools[code], code
            continue
        assert explanation(code).title in titles[code], code


def test_the_catalogue_does_not_import_the_editor_tooling():
    # layering: errors sit below ide; the test imports ide, the catalogue must not
    text = (ROOT / "nixlang" / "errors" / "catalogue.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+(\.\.|nixlang\.)", text, re.M)


@pytest.mark.parametrize("code", all_codes())
def test_entry_is_complete(code):
    e = explanation(code)
    assert e.code == code
    for part in ("What happened:", "Why:", "How to fix:"):
        assert part in e.text, (code, part)
    assert len(e.text.split()) >= 60, "an explanation is a few sentences, not a hint"
    assert e.broken.strip() and e.fixed.strip() and e.broken != e.fixed
    assert e.stage in ("parse", "eval", "input", "lint", "flake")
    expected_stage = ("lint" if code.startswith("W") else "flake" if code.startswith("F") else
                      "input" if code.startswith("E09") else "parse" if code.startswith("E0") else "eval")
    assert e.stage == expected_stage
    if e.stage == "flake":
        for which in ("broken", "fixed"):
            names = [name for name, _ in e.example_files(which)]
            assert names and names[0] in ("flake.nix", "flake.lock") and len(set(names)) == len(names)
            assert all(content.strip() for _, content in e.example_files(which))
    else:
        assert e.example_files() == [("example.nix", e.broken)]
    assert set(e.options) <= {"max_call_depth", "lints", "experimental_features", "url_literals"}


def test_lookup_is_case_insensitive_and_strict():
    assert explanation("e202") is explanation("E202")
    with pytest.raises(KeyError):
        explanation("E999")


def test_only_the_library_only_entries_lack_flags():
    assert {c for c in all_codes() if explanation(c).flags() is None} == LIBRARY_ONLY


# -- the examples are real --------------------------------------------------------------------------

TOOL_CODES = [c for c in all_codes() if explanation(c).stage in ("lint", "flake")]


@pytest.mark.parametrize("code", TOOL_CODES)
def test_tool_broken_example_reports_the_code(code, tmp_path):
    # run through the language server's analysis, as an editor shows it:
    # exactly this code, nothing else
    assert tool_diagnostics(explanation(code), "broken", tmp_path) == [code]


@pytest.mark.parametrize("code", TOOL_CODES)
def test_tool_fixed_example_is_clean(code, tmp_path):
    assert tool_diagnostics(explanation(code), "fixed", tmp_path) == []


@pytest.mark.parametrize("code", TOOL_CODES)
def test_tool_examples_through_pynix_check(code, tmp_path):
    # what the entry's "Try it" line says: `pynix check` reports the code for
    # the broken example and nothing for the fixed one
    e = explanation(code)
    for which, expect in (("broken", True), ("fixed", False)):
        folder = tmp_path / which
        folder.mkdir()
        files = e.example_files(which)
        for name, content in files:
            (folder / name).write_text(content, encoding="utf-8")
        rc, out, err = pynix("check", str(folder / files[0][0]))
        assert (f": {code} " in out) is expect, out + err
        if not expect:
            assert (rc, out) == (0, "")
    assert "pynix check" in e.command()


@pytest.mark.parametrize("code", [c for c in TOOL_CODES if explanation(c).stage == "lint"])
def test_lint_examples_both_evaluate(code, workdir):
    # a lint is a warning about code that works: both versions give a value,
    # and the same one
    e = explanation(code)
    results = []
    for text in (e.broken, e.fixed):
        (workdir / "example.nix").write_text(text, encoding="utf-8")
        rc, out, err = pynix("eval", "example.nix")
        assert (rc, err) == (0, ""), err
        results.append(out)
    if code not in ("W001", "W002", "W006"):     # their fix uses what was unused or missing
        assert results[0] == results[1]


def test_flake_fixed_lock_files_are_what_nix_writes():
    # the lock files of the examples are valid version-7 lock files, keys sorted
    import json
    for code in TOOL_CODES:
        e = explanation(code)
        if e.stage != "flake":
            continue
        for name, content in e.example_files("fixed"):
            if name == "flake.lock":
                data = json.loads(content)
                assert data["version"] == 7 and data["root"] == "root"
                assert content == json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("code", [c for c in all_codes() if c not in TOOL_CODES])
def test_broken_example_raises_the_code(code, workdir):
    e = explanation(code)
    setup_files(e, workdir)
    if e.stage == "input":
        argv = shlex.split(e.broken)
        assert argv[0] == "pynix"
        rc, out, err = pynix(*argv[1:])
        assert rc == 1 and out == ""
        # the command's error is the one reading its file raises
        with pytest.raises(NixError) as info:
            cli._read_input(argv[-1])
        assert info.value.code == code
        assert err == errors.render_nix(info.value)
        return
    example = workdir / "example.nix"
    example.write_text(e.broken, encoding="utf-8")
    flags = e.flags()
    if flags == []:
        # exactly what `pynix explain` says to run; the friendly output shows the code
        rc, out, err = pynix("eval", "example.nix")
        assert rc == 1 and out == "", err
        shown = re.findall(r"^  \[(E\d{3})\] ", err, re.M)
        assert len(shown) == 1, err
        if code in FAMILIES:
            assert issubclass(ALL_CODES[shown[0]], FAMILIES[code]), shown
        else:
            assert shown == [code], err
        return
    assert code_in_process(e, example) == code
    if flags is not None:
        rc, out, err = pynix("instantiate", "--eval", "--strict", *flags, "example.nix")
        assert rc == 1 and out == "" and err.startswith("error:"), err
    else:
        assert code in LIBRARY_ONLY


@pytest.mark.parametrize("code", [c for c in all_codes() if c not in TOOL_CODES])
def test_fixed_example_evaluates(code, workdir):
    e = explanation(code)
    setup_files(e, workdir)
    if e.stage == "input":
        argv = shlex.split(e.fixed)
        assert argv[0] == "pynix"
        rc, out, err = pynix(*argv[1:])
        assert (rc, err) == (0, ""), err
        assert out.strip()
        return
    example = workdir / "example.nix"
    example.write_text(e.fixed, encoding="utf-8")
    flags = e.flags()
    if flags == []:
        rc, out, err = pynix("eval", "example.nix")
        assert (rc, err) == (0, ""), err
        assert out.strip()
        return
    assert code_in_process(e, example) is None
    if flags is not None:
        rc, out, err = pynix("instantiate", "--eval", "--strict", *flags, "example.nix")
        assert (rc, err) == (0, ""), err
    else:
        assert code in LIBRARY_ONLY


def test_library_only_setting_is_what_makes_the_difference():
    # E005's broken example is fine without its setting: the setting is the cause
    e = explanation("E005")
    nixlang.parse(e.broken)
    with pytest.raises(NixError) as info:
        nixlang.parse(e.broken, ParseOptions(url_literals=False))
    assert info.value.code == "E005"


def test_lint_example_is_an_error_only_at_fatal(workdir):
    # E015's broken example is legal Nix; the lint setting is what rejects it
    e = explanation("E015")
    (workdir / "example.nix").write_text(e.broken, encoding="utf-8")
    assert pynix("instantiate", "--eval", "--strict", "example.nix")[0] == 0
    rc, _, err = pynix("instantiate", "--eval", "--strict", *e.flags()[:-1], "warn", "example.nix")
    assert rc == 0 and err.startswith("warning: absolute path literals are not portable")


def test_not_implemented_example_needs_its_feature(workdir):
    # without the experimental feature, Nix itself refuses BLAKE3 (E200, not E299)
    e = explanation("E299")
    (workdir / "example.nix").write_text(e.broken, encoding="utf-8")
    assert code_in_process(dataclasses.replace(e, options={}), workdir / "example.nix") == "E200"


# -- pynix explain ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", all_codes())
def test_explain_prints_the_whole_entry(code):
    e = explanation(code)
    rc, out, err = pynix("explain", code.lower())
    assert rc == 0 and err == ""
    assert out.startswith(f"{code}: {e.title}\n\n")
    assert e.text in out
    broken = out.index("\nBroken:\n")
    fixed = out.index("\nFixed:\n")
    assert broken < fixed
    shown = lambda s: "".join(f"    {line}".rstrip() + "\n" for line in s.replace("\0", "\u2400").splitlines())
    assert out[broken:fixed].endswith(shown(e.broken))
    assert shown(e.fixed) in out[fixed:]
    if e.stage != "input":
        assert e.command() in out
    for name, _ in e.files:
        assert name in out.splitlines()[-1]


def test_explain_list_names_every_code_with_its_title():
    rc, out, err = pynix("explain", "--list")
    assert rc == 0 and err == ""
    rows = [line.split("  ", 1) for line in out.splitlines()]
    assert [code for code, _ in rows] == all_codes()
    assert all(title == explanation(code).title for code, title in rows)
    listed = {code for code, _ in rows}
    assert {"W001", "W009", "F001", "F005", "E015", "E220"} <= listed


def test_explain_of_a_flake_entry_shows_both_files():
    rc, out, err = pynix("explain", "F001")
    assert rc == 0 and err == ""
    broken, fixed = out.split("\nBroken:\n")[1].split("\nFixed:\n")
    for part in (broken, fixed):
        assert "    ==> flake.nix <==" in part and "    ==> flake.lock <==" in part
    assert "pynix lsp" in out.splitlines()[-1]


@pytest.mark.parametrize("argv,phrase", [
    (["E999"], "unknown error code 'E999'"),
    (["E201", "E202"], "give one error code"),
])
def test_explain_usage_errors(argv, phrase):
    rc, out, err = pynix("explain", *argv)
    assert rc == 1 and out == "" and phrase in err
