"""Start-up stays small: an evaluation that builds, fetches and writes
nothing does not import the store layer, the builder or the archive and
network modules (they are imported at first use; see builtins.lazy_module,
EvalStore.hasher and the CLI's lazy build settings). Each row runs `pynix
instantiate` in a fresh interpreter and lists the modules it loaded."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = """\
import json, sys
from nixlang import cli
cli.main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

# modules an evaluation of plain values never needs; `dataclasses` (with `inspect`,
# `ast`, `dis`, `tokenize`) and `typing` cost a sixth of `-E 1`: see nixlang/records.py
NOT_LOADED = ["nixlang.store", "nixlang.store.build", "nixlang.store.derivation", "nixlang.store.local",
              "shutil", "tempfile", "bz2", "lzma", "tarfile", "subprocess",
              "dataclasses", "inspect", "typing", "ctypes",
              # imported at the first call of one of their builtins (builtins.DEFERRED)
              "nixlang.builtins.fetchers", "nixlang.builtins.flakes"]

CASES = [
    (["instantiate", "--eval", "--strict", "-E", "1"], "1\n"),
    (["instantiate", "--eval", "--strict", "-E", "let f = x: { a = x; }; in (f 2).a"], "2\n"),
    (["instantiate", "--eval", "--strict", "-E", "builtins.toJSON { a = [ 1 \"x\" ]; }"],
     '"{\\"a\\":[1,\\"x\\"]}"\n'),
]


@pytest.mark.parametrize("argv,out", CASES, ids=[c[0][-1] for c in CASES])
def test_plain_evaluation_loads_no_store_or_builder(argv, out):
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert r.stdout == out
    loaded = set(json.loads(r.stderr.strip().splitlines()[-1]))
    assert [m for m in NOT_LOADED if m in loaded] == []


# what `-E 1` itself needs none of, in an interpreter started without `site`
# (no editable-install finder, which imports pathlib on its own): pathlib with
# urllib.parse and ipaddress, hashlib's OpenSSL (nixlang/digest.py), json,
# importlib.util, the `signal` module's enums (interrupt.py takes `_signal`)
# and the serialisers (a DEFERRED theme): a fifth of its start-up in all
NOT_LOADED_BY_ONE = ["pathlib", "urllib.parse", "ipaddress", "fnmatch", "hashlib", "_hashlib", "json",
                     "importlib.util", "signal", "nixlang.builtins.serialize"]


def test_minus_e_1_loads_only_what_it_needs():
    probe = "import sys\nfrom nixlang import cli\ncli.main(sys.argv[1:])\nprint(' '.join(sys.modules), file=sys.stderr)"
    r = subprocess.run([sys.executable, "-S", "-c", probe, "instantiate", "--eval", "--strict", "-E", "1"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.stdout == "1\n", r.stderr
    loaded = set(r.stderr.strip().splitlines()[-1].split())
    assert "nixlang.cli" in loaded and [m for m in NOT_LOADED_BY_ONE if m in loaded] == []


def test_a_derivation_still_loads_the_store():
    # the lazy imports are really made when needed
    argv = ["instantiate", "--eval", "--strict", "-E",
            'builtins.stringLength (derivation { name = "x"; system = "s"; builder = "/b"; }).drvPath']
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().isdigit()
    loaded = set(json.loads(r.stderr.strip().splitlines()[-1]))
    assert "nixlang.store.derivation" in loaded


def test_deferred_builtins_work_through_values_made_before_their_import():
    # the base environment and a partial application hold the PrimOp made at
    # start-up: the module's import completes that object
    argv = ["instantiate", "--eval", "--strict", "-E",
            'let p = builtins.parseFlakeRef; s = builtins.flakeRefToString; in '
            '[ (map p [ "github:a/b" ]) (s { type = "github"; owner = "a"; repo = "b"; }) '
            '(builtins.isFunction builtins.fetchurl) ]']
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert r.stdout == '[ [ { owner = "a"; repo = "b"; type = "github"; } ] "github:a/b" true ]\n'
    loaded = set(json.loads(r.stderr.strip().splitlines()[-1]))
    assert "nixlang.builtins.flakes" in loaded and "nixlang.builtins.fetchers" not in loaded


def test_deferred_builtins_have_their_docs_when_complete():
    probe = ("import json; from nixlang.builtins import DEFERRED, load_all\n"
             "before = {n: load_all()[n].doc for n in DEFERRED}\n"
             "after = {n: load_all(complete=True)[n].doc for n in DEFERRED}\n"
             "print(json.dumps([before, after]))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    before, after = json.loads(r.stdout)
    assert set(before.values()) == {""} and all(after.values()), after


def test_deferred_lists_every_builtin_of_its_modules():
    # DEFERRED repeats, by hand, which builtins the deferred modules define and
    # their arity: a builtin added to one of them but not to DEFERRED would be
    # missing from `builtins` until something imported its module
    probe = ("import json; from nixlang import builtins as B\n"
             "B.load_all()\n"
             "seen = []\n"
             "real = B.builtin\n"
             "def spy(name, arity):\n"
             "    seen.append([name, arity]); return real(name, arity)\n"
             "B.builtin = spy\n"
             "for theme in sorted({t for t, _ in B.DEFERRED.values()}):\n"
             "    __import__('nixlang.builtins.' + theme)\n"
             "print(json.dumps([seen, {n: a for n, (_, a) in B.DEFERRED.items()}]))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    seen, deferred = json.loads(r.stdout)
    assert seen and dict(seen) == deferred
