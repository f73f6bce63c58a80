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
from nixlang import cli, errors
from nixlang.errors import ALL_CODES, NixError
from nixlang.errors.catalogue import Explanation, all_codes, explanation
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.parse import ParseOptions
from nixlang.runtime.stack import in_roomy_frame_stack

ROOT = Path(__file__).resolve().parents[1]
CODE_RE = re.compile(r'\bcode\s*=\s*"(E\d{3})"')

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
        ev.parse_options = dataclasses.replace(ev.parse_options, url_literals=url_literals)
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


def test_every_code_in_the_code_base_is_explained():
    wanted = set(ALL_CODES) | set(codes_in_source()) | set(error_classes())
    missing = sorted(wanted - set(all_codes()))
    assert missing == [], f"codes without an explanation: {missing}"


def test_no_explanation_for_a_code_that_does_not_exist():
    known = set(ALL_CODES) | set(codes_in_source())
    assert sorted(set(all_codes()) - known) == []


def test_titles_are_those_of_the_error_classes():
    titles = error_classes()
    for code in all_codes():
        assert explanation(code).title in titles[code], code


@pytest.mark.parametrize("code", all_codes())
def test_entry_is_complete(code):
    e = explanation(code)
    assert e.code == code
    for part in ("What happened:", "Why:", "How to fix:"):
        assert part in e.text, (code, part)
    assert len(e.text.split()) >= 60, "an explanation is a few sentences, not a hint"
    assert e.broken.strip() and e.fixed.strip() and e.broken != e.fixed
    assert e.stage in ("parse", "eval", "input")
    expected_stage = "input" if code.startswith("E09") else "parse" if code.startswith("E0") else "eval"
    assert e.stage == expected_stage
    assert set(e.options) <= {"max_call_depth", "lints", "experimental_features", "url_literals"}


def test_lookup_is_case_insensitive_and_strict():
    assert explanation("e202") is explanation("E202")
    with pytest.raises(KeyError):
        explanation("E999")


def test_only_the_library_only_entries_lack_flags():
    assert {c for c in all_codes() if explanation(c).flags() is None} == LIBRARY_ONLY


# -- the examples are real --------------------------------------------------------------------------

@pytest.mark.parametrize("code", all_codes())
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


@pytest.mark.parametrize("code", all_codes())
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


@pytest.mark.parametrize("argv,phrase", [
    (["E999"], "unknown error code 'E999'"),
    (["E201", "E202"], "give one error code"),
])
def test_explain_usage_errors(argv, phrase):
    rc, out, err = pynix("explain", *argv)
    assert rc == 1 and out == "" and phrase in err
