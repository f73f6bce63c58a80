"""Real nixpkgs and real NixOS systems give Nix's exact answers (issue 20).

On the whole nixpkgs tree of ../shared/nixpkgs (unpacked by
../shared/tools/nixpkgs-unpack), pynix must give what Nix 2.8 gives for:

- `attrs`: the values of tests/nixpkgs/attrs.nix, one `--eval --strict --json`
  process: the drvPaths of 40-odd attributes across the tree (packages
  built with autotools, CMake, Rust, Go; python3Packages and perlPackages;
  pkgsStatic, pkgsMusl, pkgsi686Linux and pkgsCross for aarch64, riscv64,
  mingwW64, raspberryPi; override and overrideAttrs; trivial builders and
  fixed-output fetchers), the outputs of curl, hello's meta and the number of
  attributes of the package set;
- `closure`: hello's whole `.drv` closure written to an empty store by
  `pynix instantiate --store ROOT -A hello TREE`, every object's name and
  bytes (as one digest over the names and NAR hashes);
- `nixos small` / `nixos desktop`: the toplevel drvPaths of the two systems
  of benchmarks/nixos/;
- `broken ...`: the small system of benchmarks/nixos/small.nix broken on
  purpose (tests/nixpkgs/broken.nix adds a module through scopedImport): a
  misspelled option, a string given to a bool option, no root file system
  (the assertion fails). The message of the error must be
  Nix's, word for word; the frames above it are not compared, since Nix 2.8
  prints none without --show-trace and pynix prints Nix 2.36's.

Nix's answers are recorded in tests/nixpkgs/expected.json, so the tests run
without Nix; when nix-instantiate is installed, a second test per entry runs
Nix again and checks the recording (and the closure test compares pynix's
store with a store Nix writes, file by file). To record again, with Nix 2.8
installed:

    .venv/bin/python tests/test_nixpkgs.py --record

Paths into the tree and into this checkout are written `<nixpkgs>` and
`<repo>` in the recording. Everything here is the slow tier: a NixOS system
costs pynix about 25 s of CPU, so the pynix runs of this module go two at a
time, started as soon as its first test asks for one.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, error_message, nixpkgs_env, shared_nixpkgs
from nixlang.store.nar import nar_hash

HERE = Path(__file__).resolve().parent / "nixpkgs"
NIXOS_DIR = ROOT / "benchmarks" / "nixos"
EXPECTED = HERE / "expected.json"
NIX = shutil.which("nix-instantiate")

pytestmark = [pytest.mark.slow]

BROKEN = ["unknown-option", "type-error", "no-root-fs"]


def job_argv(name: str, tree: Path, store: Path | None) -> list[str]:
    """The nix-instantiate arguments of a run (the same for pynix and Nix)."""
    if name == "attrs":
        return ["--readonly-mode", "--eval", "--strict", "--json", str(HERE / "attrs.nix")]
    if name == "closure":
        return ["--store", str(store), "-A", "hello", "--arg", "config", "{ }", "--arg", "overlays", "[ ]",
                str(tree)]
    if name.startswith("nixos "):
        return ["--readonly-mode", "--eval", str(NIXOS_DIR / f"{name.split()[1]}.nix")]
    assert name.startswith("broken ")
    return ["--readonly-mode", "--eval", str(HERE / "broken.nix"), "--argstr", "case", name.split()[1]]


JOBS = ["attrs", "closure", "nixos small", "nixos desktop"] + [f"broken {case}" for case in BROKEN]


# -- what a run gives --------------------------------------------------------------------------

def anonymous(text: str, tree: Path) -> str:
    """`text` with the paths of this machine written <nixpkgs> and <repo>."""
    return text.replace(str(tree), "<nixpkgs>").replace(str(ROOT), "<repo>")


def store_objects(root: Path) -> dict[str, str]:
    """The objects of the store under `root`: name -> sha256 of their NAR."""
    store = root / "nix" / "store"
    return {p.name: nar_hash(str(p))[0].digest.hex() for p in sorted(store.iterdir()) if not p.name.startswith(".")}


def closure_summary(stdout: str, objects: dict[str, str]) -> dict:
    digest = hashlib.sha256()
    for name, nar in sorted(objects.items()):
        digest.update(f"{name}\0{nar}\n".encode())
    drvs = sum(name.endswith(".drv") for name in objects)
    return {"printed": stdout, "drv files": drvs, "other objects": len(objects) - drvs,
            "sha256": digest.hexdigest()}


def answer(name: str, proc: subprocess.CompletedProcess, tree: Path, store: Path | None):
    """What a run answered, in the form the recording keeps."""
    if name.startswith("broken "):
        return {"exit": proc.returncode, "message": anonymous(error_message(proc.stderr), tree)}
    assert proc.returncode == 0, f"{name} failed (exit {proc.returncode}):\n{proc.stderr[-6000:]}"
    if name == "closure":
        return closure_summary(proc.stdout, store_objects(store))
    return json.loads(proc.stdout)      # attrs: an attrset; nixos: a string


def run(command: list[str], name: str, tree: Path, scratch: Path) -> tuple[subprocess.CompletedProcess, Path]:
    store = scratch / name.replace(" ", "-") / "root"
    home = store.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(command + job_argv(name, tree, store), capture_output=True, text=True,
                          env=nixpkgs_env(tree, home), cwd=ROOT, timeout=1800)
    return proc, store


PYNIX = [sys.executable, "-m", "nixlang", "instantiate"]


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tree() -> Path:
    return shared_nixpkgs()


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text())


class Runs:
    """The pynix runs of this module, two at a time in the background."""

    def __init__(self, tree: Path, scratch: Path):
        self.tree, self.scratch = tree, scratch
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures: dict[str, Future] = {}

    def start(self, name: str) -> None:
        if name not in self.futures:
            self.futures[name] = self.pool.submit(run, PYNIX, name, self.tree, self.scratch)

    def result(self, name: str) -> tuple[subprocess.CompletedProcess, Path]:
        self.start(name)
        return self.futures[name].result()


@pytest.fixture(scope="module")
def runs(tree, tmp_path_factory, request):
    r = Runs(tree, tmp_path_factory.mktemp("nixpkgs-runs"))
    for item in request.session.items:           # the runs the selected tests of this module need
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and "job" in callspec.params:
            r.start(callspec.params["job"])
    yield r
    r.pool.shutdown(wait=True, cancel_futures=True)


def pynix_answer(runs: Runs, name: str):
    proc, store = runs.result(name)
    assert "Traceback" not in proc.stderr and "internal pynix error" not in proc.stderr, proc.stderr[-6000:]
    return answer(name, proc, runs.tree, store), proc, store


# -- pynix against the recording -----------------------------------------------------------

@pytest.mark.parametrize("job", ["attrs"])
def test_attributes_across_the_tree(runs, expected, job):
    got, _, _ = pynix_answer(runs, job)
    want = expected[job]
    assert len(want) >= 40
    differ = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    assert not differ, "pynix (left) and Nix (right) differ:\n" + json.dumps(differ, indent=1)
    assert got == want


@pytest.mark.parametrize("job", ["closure"])
def test_hello_closure_written_to_a_store(runs, expected, job, tmp_path):
    got, _, store = pynix_answer(runs, job)
    if NIX is not None:
        # a store written by Nix, compared object by object (names and bytes)
        proc, nix_store = run([NIX], job, runs.tree, tmp_path)
        assert proc.returncode == 0, proc.stderr[-4000:]
        ours, theirs = store_objects(store), store_objects(nix_store)
        assert sorted(ours) == sorted(theirs)
        assert [n for n in ours if ours[n] != theirs[n]] == []
    assert got == expected[job]
    assert got["drv files"] >= 250


@pytest.mark.parametrize("job", ["nixos small", "nixos desktop"])
def test_nixos_toplevel_drv_path(runs, expected, job):
    got, _, _ = pynix_answer(runs, job)
    assert got == expected[job]
    assert got.endswith(".drv")


@pytest.mark.parametrize("job", [f"broken {case}" for case in BROKEN])
def test_broken_nixos_configuration_fails_with_nix_s_message(runs, expected, job):
    got, proc, _ = pynix_answer(runs, job)
    want = {k: v for k, v in expected[job].items() if not k.startswith("_")}
    assert got == want, proc.stderr[-6000:]


# -- the recording against real Nix --------------------------------------------------------

@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed: the recording cannot be re-checked")
@pytest.mark.parametrize("job", JOBS)
def test_recording_is_nix_s_answer(tree, expected, job, tmp_path):
    proc, store = run([NIX], job, tree, tmp_path)
    want = expected[job]
    if job.startswith("broken "):
        want = {k: v for k, v in want.items() if not k.startswith("_")}
    assert answer(job, proc, tree, store) == want, "tests/nixpkgs/expected.json is stale: record again"


# -- recording ------------------------------------------------------------------------------

# where Nix 2.36 (the conformance suite's wording, which pynix follows) would print
# a message otherwise than Nix 2.8; kept in the recording beside the message
NOTES = {
    "broken no-root-fs": "The message starts with a newline: Nix 2.8 and 2.36 both print `error:` "
                         "alone on its line (each line right-trimmed) and the message below it, indented.",
}


def record() -> int:
    if NIX is None:
        print("nix-instantiate is not installed", file=sys.stderr)
        return 1
    try:
        found = shared_nixpkgs()
    except pytest.skip.Exception as e:
        print(e.msg, file=sys.stderr)
        return 1
    version = subprocess.run([NIX, "--version"], capture_output=True, text=True).stdout.strip()
    data: dict = {"_recorded with": version}
    with tempfile.TemporaryDirectory(prefix="pynix-nixpkgs-record-") as scratch:
        for job in JOBS:
            proc, store = run([NIX], job, found, Path(scratch))
            data[job] = answer(job, proc, found, store)
            if job in NOTES:
                data[job]["_note"] = NOTES[job]
            print(f"{job}: recorded", file=sys.stderr)
            if store.exists():
                subprocess.run(["chmod", "-R", "u+w", str(store)], check=False)
    EXPECTED.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        print("usage: python tests/test_nixpkgs.py --record   (runs Nix, writes tests/nixpkgs/expected.json)",
              file=sys.stderr)
        sys.exit(2)
    sys.exit(record())
