"""The official Nix language suite, evaluation cases (read from ../shared).

The shared scorer runs every eval-okay / eval-fail case against the real
`pynix instantiate` command line, exactly as the reference harness does,
and writes one PASS/FAIL line per case. Each case is then a test here: a
case listed in conformance_xfail.txt must fail (so the list shrinks as
pynix improves, and a fixed case is noticed), every other case must pass.
Cases that need the suite's symlinks are listed with the links they need:
they must fail where a copy of ../shared stores those as plain files, and
pass where it keeps them as links (PYNIX_SHARED points the tests at a copy).
Regenerate the list with `python tests/conformance_xfail.py --update`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from conformance_xfail import Entry, expected_failures, read_list, regenerate
from conftest import ROOT, SHARED, SUITE, needs_suite

# the expected failures with the suite as it is stored here (a case that needs
# the suite's symlinks is expected to fail only where they are plain files)
XFAIL = expected_failures()


def _cases():
    if not SUITE.is_dir():
        return []
    out = []
    for p in sorted(SUITE.glob("eval-*.nix")):
        name = p.name[:-4]
        if name.startswith("eval-okay-") and (SUITE / (name + ".exp-disabled")).exists():
            continue
        if name.startswith(("eval-okay-", "eval-fail-")):
            out.append(name)
    return out


def run_scorer(kinds=("eval-okay", "eval-fail")) -> dict[str, bool]:
    scorer = SHARED / "tools" / "nix-lang-suite"
    cmd = f"{sys.executable} -m nixlang instantiate"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "results")
        args = [sys.executable, str(scorer), "--cmd", cmd, "--list", listing, "-j", "2", "--timeout", "120"]
        for k in kinds:
            args += ["-k", k]
        subprocess.run(args, capture_output=True, text=True, timeout=3000, env=env)
        results = {}
        with open(listing) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    results[parts[1]] = parts[2] == "PASS"
    return results


@pytest.fixture(scope="session")
def eval_results():
    return run_scorer()


@needs_suite
@pytest.mark.parametrize("name", _cases())
def test_eval_case(eval_results, name):
    assert name in eval_results, f"the scorer did not report {name}"
    if name in XFAIL:
        assert not eval_results[name], f"{name} passes now: remove it from tests/conformance_xfail.txt"
    else:
        assert eval_results[name], f"{name} fails: run ../shared/tools/nix-lang-suite -v {name}"


# -- the list itself -------------------------------------------------------------------------

@needs_suite
def test_listed_links_are_paths_of_the_suite():
    for e in read_list().values():
        for rel in e.needs_links:
            assert (SUITE / rel).is_symlink() or (SUITE / rel).is_file(), f"{e.name}: no {rel} in the suite"


def _suite(tmp_path, links: bool):
    (tmp_path / "d").mkdir(parents=True)
    (tmp_path / "d" / "target").write_text("")
    if links:
        (tmp_path / "d" / "l").symlink_to("target")
    else:
        (tmp_path / "d" / "l").write_text("target")
    return tmp_path


# (entry, expected to fail with plain files, with links)
ENTRIES = [
    (Entry("eval-okay-plain-failure"), True, True),
    (Entry("eval-okay-needs-link", ("d/l",)), True, False),
    (Entry("eval-okay-needs-two", ("d/l", "d/target")), True, True),   # d/target is never a link
]


@pytest.mark.parametrize("entry,on_plain,on_links", ENTRIES)
def test_an_entry_is_expected_to_fail_by_the_data_s_form(tmp_path, entry, on_plain, on_links):
    assert entry.expected_to_fail(_suite(tmp_path / "plain", False)) is on_plain
    assert entry.expected_to_fail(_suite(tmp_path / "links", True)) is on_links


def test_regenerating_keeps_conditions_that_explain_the_outcome(tmp_path):
    old = {e.name: e for e in [Entry("a", ("d/l",), "needs a link"), Entry("b", ("d/l",)), Entry("c")]}
    plain, links = _suite(tmp_path / "plain", False), _suite(tmp_path / "links", True)
    # on plain files: a fails as expected (kept), b passes anyway (dropped), c fails (kept), d is new
    got = regenerate({"a": False, "b": True, "c": False, "d": False}, old, plain)
    assert [e.line() for e in got] == ["a  if-plain d/l  # needs a link", "c", "d"]
    # with links: a passes (kept, for plain copies), b fails although its link is there (now unconditional)
    got = regenerate({"a": True, "b": False, "c": True}, old, links)
    assert [e.line() for e in got] == ["a  if-plain d/l  # needs a link", "b"]
