"""`pynix build` against Nix 2.8 building the same derivations.

tests/build_cases/cases.nix holds derivations with a /bin/sh builder and a
deterministic output: text, a tree, references between derivations, several
outputs, a self-reference, fixed outputs, the builder's environment,
sources, allowed references met; and failures: a failing builder, a
derivation depending on it, a fixed-output hash mismatch, a reference cycle
between outputs, allowed/disallowed references and requisites broken. Building them
must give, in pynix's store and in Nix's, the same output paths, NAR hashes
(as `nix-store -q --hash` prints them), NAR sizes and references, or the same
error text and exit status.

tests/build_cases/expected.json holds what Nix 2.8 gave (`python tests/test_build.py
--record` writes it again), so the pynix side runs without nix-bin; with
nix-build installed (and root, which a chroot store needs) the recording is
checked against Nix itself. pynix's builds need bwrap (Debian: bubblewrap):
without a sandbox the builder sees another file system, and outputs differ.
"""
from __future__ import annotations

import bz2
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CASES = HERE / "build_cases" / "cases.nix"
EXPECTED = HERE / "build_cases" / "expected.json"
sys.path.insert(0, str(HERE.parent))

from nixlang.cli import run  # noqa: E402
from nixlang.store import LocalStore  # noqa: E402
from nixlang.store.build import Worker  # noqa: E402
from nixlang.store.hashes import Hash  # noqa: E402
from nixlang.store.pathinfo import query_path_info  # noqa: E402
from nixlang.store.paths import make_fixed_output_path  # noqa: E402
from nixlang.store.sandbox import find_bwrap  # noqa: E402

BUILT = ["text", "tree", "refs", "multi", "selfref", "fixed", "fixedrec", "env", "src", "link", "throughlink",
         "tool", "bytool", "allowedok", "selfallowed"]
FAILING = ["failing", "dependent", "fixedbad", "cycle", "allowed", "selfnot", "disallowed", "allowedreq",
           "disallowedreq"]
SANDBOX_PATHS = "/bin=/usr/bin /usr /lib=/usr/lib /lib64=/usr/lib64"


def _sandbox_paths() -> str:
    # Nix binds what the option names; resolve symlinked folders (merged /usr)
    out = []
    for entry in SANDBOX_PATHS.split():
        target, _, source = entry.partition("=")
        out.append(f"{target}={os.path.realpath(source or target)}")
    return " ".join(out)


def bwrap_missing() -> str | None:
    exe, why = find_bwrap()
    return None if exe else why


needs_bwrap = pytest.mark.skipif(bwrap_missing() is not None,
                                 reason=f"pynix builds the same outputs as Nix only in a sandbox: {bwrap_missing()}")


def nix_missing() -> str | None:
    if shutil.which("nix-build") is None:
        return "nix-build (Debian: nix-bin) is not installed"
    if os.geteuid() != 0:
        return "building into a chroot store with Nix needs root"
    return None


def error_lines(stderr: str) -> list[str]:
    """The error text: from the first `error:` line to the end."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            return lines[i:]
    return []


def mismatch_path(errors: list[str], name: str) -> str | None:
    """A hash mismatch leaves the output registered under the path of what
    was got (Nix 2.8): that path."""
    for line in errors:
        m = re.match(r"\s+got:\s+(\S+)$", line)
        if m:
            return make_fixed_output_path("flat", Hash.parse_any_prefixed(m.group(1)), name)
    return None


# -- Nix's side ------------------------------------------------------------------------------

def _nix(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300)


def nix_record(root: str, attr: str) -> dict:
    common = ["--store", root, "--option", "substituters", ""]
    proc = _nix("nix-build", *common, "--option", "sandbox-paths", _sandbox_paths(), "--cores", "1",
                str(CASES), "-A", attr, "--no-out-link")
    errors = error_lines(proc.stderr)
    drv = _nix("nix-instantiate", *common, str(CASES), "-A", attr).stdout.strip()
    paths = _nix("nix-store", "--store", root, "-q", "--outputs", drv).stdout.split() if not errors else []
    extra = mismatch_path(errors, attr)
    if extra:
        paths.append(extra)
    outputs = {}
    for p in paths:
        q = lambda flag: _nix("nix-store", "--store", root, "-q", flag, p).stdout.split()  # noqa: E731
        outputs[p] = {"hash": q("--hash")[0], "narSize": int(q("--size")[0]), "references": sorted(q("--references"))}
    return {"status": proc.returncode, "errors": errors, "outputs": outputs}


# -- pynix's side ----------------------------------------------------------------------------

def pynix(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


def pynix_record(root: str, attr: str) -> dict:
    rc, _, err = pynix("build", "--store", root, str(CASES), "-A", attr, "--no-out-link", "--cores", "1")
    errors = error_lines(err)
    store = LocalStore(root)
    paths = []
    if not errors:
        _, out, _ = pynix("instantiate", "--store", root, str(CASES), "-A", attr)
        paths = list(Worker(store).output_paths(out.strip()).values())
    extra = mismatch_path(errors, attr)
    if extra:
        paths.append(extra)
    outputs = {}
    for p in paths:
        info = query_path_info(store, p)
        assert info is not None, f"{p} is not valid"
        outputs[p] = {"hash": info.nar_hash.to_string("nix32"), "narSize": info.nar_size,
                      "references": sorted(info.references)}
    return {"status": rc, "errors": errors, "outputs": outputs}


def expected() -> dict:
    return json.loads(EXPECTED.read_text())


@needs_bwrap
@pytest.mark.parametrize("attr", BUILT + FAILING)
def test_pynix_builds_what_nix_built(tmp_path, attr):
    assert pynix_record(str(tmp_path / "store"), attr) == expected()[attr]


@pytest.mark.skipif(nix_missing() is not None, reason=str(nix_missing()))
@pytest.mark.parametrize("attr", BUILT + FAILING)
def test_recording_matches_nix(tmp_path, attr):
    assert nix_record(str(tmp_path / "store"), attr) == expected()[attr]


def test_recording_covers_the_cases():
    data = expected()
    assert sorted(data) == sorted(BUILT + FAILING)
    assert all(data[a]["status"] == 0 and data[a]["outputs"] for a in BUILT)
    assert {a: data[a]["status"] for a in FAILING} == {"failing": 100, "dependent": 100, "fixedbad": 102,
                                                        "cycle": 1, "allowed": 1, "selfnot": 1, "disallowed": 1,
                                                        "allowedreq": 1, "disallowedreq": 1}
    # the cases do test references: across derivations, within one, to itself, to sources
    refs = {p: o["references"] for a in BUILT for p, o in data[a]["outputs"].items()}
    assert sum(1 for r in refs.values() if r) >= 5


@needs_bwrap
@pytest.mark.skipif(nix_missing() is not None, reason=str(nix_missing()))
def test_builder_environment_matches_nix(tmp_path):
    # every variable the builder gets (`export -p` of the host's /bin/sh, so
    # compared live, not recorded), and the files it sees in /etc
    expr = MK + 'mk "exported" "export -p > $out; /bin/cat /etc/passwd /etc/group /etc/hosts >> $out"'
    nix = _nix("nix-build", "--store", str(tmp_path / "nix"), "--option", "substituters", "",
               "--option", "sandbox-paths", _sandbox_paths(), "--cores", "1", "-E", expr, "--no-out-link")
    assert nix.returncode == 0, nix.stderr
    rc, out, err = build_expr(tmp_path, expr, "--no-out-link", "--cores", "1")
    assert (rc, out) == (0, nix.stdout), err
    path = out.strip()[1:]
    assert (tmp_path / "store" / path).read_text() == (tmp_path / "nix" / path).read_text()


@needs_bwrap
@pytest.mark.skipif(nix_missing() is not None, reason=str(nix_missing()))
def test_nix_reads_what_pynix_built(tmp_path):
    # a store pynix built into is one Nix accepts: every object's NAR hash
    # checks out, and Nix reads the same references and hashes
    root = str(tmp_path / "store")
    store = LocalStore(root)
    if not getattr(store, "database", False):
        pytest.skip("this store keeps no Nix database yet (issue 19, point 1), so Nix cannot read it")
    for attr in BUILT:
        assert pynix_record(root, attr) == expected()[attr]
    verify = _nix("nix-store", "--store", root, "--verify", "--check-contents")
    assert verify.returncode == 0 and "error" not in verify.stderr, verify.stderr
    assert nix_record(root, "refs") == expected()["refs"]


# -- what only pynix's side shows --------------------------------------------------------------

def build_expr(tmp_path, expr: str, *flags: str) -> tuple[int, str, str]:
    return pynix("build", "--store", str(tmp_path / "store"), "-E", expr, *flags)


MK = 'let mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; ' \
     'args = [ "-c" script ]; }; in '


@needs_bwrap
def test_result_links_and_second_build(tmp_path):
    expr = MK + '[ (mk "a" "echo a > $out") (mk "b" "echo b > $out") ]'
    rc, out, err = build_expr(tmp_path, expr, "-o", str(tmp_path / "res"))
    assert rc == 0, err
    paths = out.split()
    assert [p.rpartition("-")[2] for p in paths] == ["a", "b"]
    assert "these 2 derivations will be built:" in err
    store = LocalStore(str(tmp_path / "store"))
    assert os.readlink(tmp_path / "res") == store.real_path(paths[0])
    assert os.readlink(tmp_path / "res-2") == store.real_path(paths[1])
    assert (tmp_path / "res").read_text() == "a\n"
    # built once: the second time nothing is built
    rc, out2, err2 = build_expr(tmp_path, expr, "--no-out-link")
    assert (rc, out2) == (0, out) and "building" not in err2


@needs_bwrap
def test_build_log(tmp_path):
    rc, out, err = build_expr(tmp_path, MK + 'mk "logged" "echo to stdout; echo to stderr >&2; echo x > $out"',
                              "--no-out-link")
    assert rc == 0, err
    assert "to stdout\nto stderr\n" in err
    logs = list((tmp_path / "store" / "nix" / "var" / "log" / "nix" / "drvs").glob("*/*.bz2"))
    assert len(logs) == 1
    assert bz2.decompress(logs[0].read_bytes()) == b"to stdout\nto stderr\n"


@needs_bwrap
def test_sandbox_shows_only_the_input_closure_read_only(tmp_path):
    script = ('echo ${dep} > /dev/null; /bin/ls /nix/store > $out; '
              'if echo x > ${dep}; then echo writable >> $out; else echo read-only >> $out; fi')
    expr = MK + f'let dep = mk "dep" "echo dep > $out"; other = mk "other" "echo o > $out"; in ' \
                f'[ other (mk "look" "{script}") ]'
    rc, out, err = build_expr(tmp_path, expr, "--no-out-link")
    assert rc == 0, err
    look = out.split()[1]
    seen = (tmp_path / "store" / look[1:]).read_text().split()
    # the input (dep) and the output being built; not `other`, not the .drv files
    assert sorted(name.split("-", 1)[1] for name in seen[:-1]) == ["dep", "look"]
    assert seen[-1] == "read-only"


@needs_bwrap
def test_no_network_in_the_sandbox(tmp_path):
    # a derivation that is not fixed-output has only the loopback interface
    rc, out, err = build_expr(tmp_path, MK + 'mk "net" "/bin/cat /proc/net/dev > $out"', "--no-out-link")
    assert rc == 0, err
    lines = (tmp_path / "store" / out.strip()[1:]).read_text().splitlines()[2:]
    assert [line.split(":")[0].strip() for line in lines] == ["lo"]


@needs_bwrap
def test_copied_sources_have_no_references(tmp_path):
    # a copied folder that mentions a store path does not refer to it (Nix's
    # addToStore adds no references); only what the evaluation knows counts
    other_expr = 'builtins.toFile "other" "x"'
    rc, out, err = pynix("instantiate", "--eval", "-E", other_expr)
    other = out.strip().strip('"')
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f").write_text(f"see {other}\n")
    expr = MK + f'[ (mk "uses" "echo ${{{other_expr}}} > $out") (mk "look" "/bin/ls /nix/store > $out; : ${{{tmp_path}/dir}}") ]'
    rc, out, err = pynix("build", "--store", str(tmp_path / "store"), "-E", expr, "--no-out-link")
    assert rc == 0, err
    look = out.split()[1]
    seen = (tmp_path / "store" / look[1:]).read_text().split()
    assert sorted(name.split("-", 1)[1] for name in seen) == ["dir", "look"]


@needs_bwrap
@pytest.mark.parametrize("script,status,ending", [
    ("echo partial > f; exit 1", 100, "failed with exit code 1"),
    # the builder succeeded, the output is missing: kept too, as Nix keeps it
    ("echo partial > f", 1, "-kept'"),
])
def test_keep_failed(tmp_path, script, status, ending):
    expr = MK + f'mk "kept" "{script}"'
    rc, _, err = pynix("build", "--store", str(tmp_path / "store"), "-E", expr, "--keep-failed",
                       "--option", "build-dir", str(tmp_path))
    assert rc == status
    m = re.search(r"note: keeping build directory '([^']+)'\n", err)
    assert m and m.group(1) == str(tmp_path / "nix-build-kept.drv-0")
    assert (tmp_path / "nix-build-kept.drv-0" / "f").read_text() == "partial\n"
    assert err.rstrip().endswith(ending)


@needs_bwrap
def test_missing_output(tmp_path):
    rc, _, err = build_expr(tmp_path, MK + 'mk "noout" "echo nothing"', "--no-out-link")
    assert rc == 1
    assert re.search(r"error: builder for '/nix/store/\w{32}-noout.drv' failed to produce output path for "
                     r"output 'out' at '.*-noout'", err)


@needs_bwrap
def test_import_from_derivation(tmp_path):
    expr = MK + 'import (mk "gen" "echo \'{ x = 6 * 7; }\' > $out")'
    rc, out, err = pynix("eval", "--store", str(tmp_path / "store"), "-E", "(" + expr + ").x")
    assert (rc, out) == (0, "42\n"), err
    rc, out, err = pynix("instantiate", "--store", str(tmp_path / "store"), "--eval", "-E",
                         'builtins.readFile "${' + MK + 'mk "f" "echo hi > $out"}"')
    assert (rc, out) == (0, '"hi\\n"\n'), err


@needs_bwrap
def test_import_from_derivation_in_the_repl(tmp_path):
    expr = MK + 'import (mk "seven" "echo 3 + 4 > $out")'
    proc = subprocess.run([sys.executable, "-m", "nixlang", "repl", "--store", str(tmp_path / "store")],
                          input=expr + "\n:q\n", capture_output=True, text=True, timeout=300, cwd=str(HERE.parent))
    assert "7" in proc.stdout.split(), (proc.stdout, proc.stderr)
    assert "building '/nix/store/" in proc.stderr


@needs_bwrap
def test_build_a_store_derivation(tmp_path):
    root = str(tmp_path / "store")
    rc, out, err = pynix("instantiate", "--store", root, str(CASES), "-A", "multi")
    assert rc == 0, err
    rc, out2, err = pynix("build", "--store", root, out.strip(), "-o", str(tmp_path / "r"))
    assert rc == 0, err
    assert [p.rpartition("-")[2] for p in out2.split()] == ["dev", "lib", "multi"]
    assert sorted(os.listdir(tmp_path)) == ["r", "r-dev", "r-lib", "store"]


@needs_bwrap
def test_two_processes_build_one_derivation(tmp_path):
    # Nix's output locks: whichever comes second waits, then finds the outputs
    # valid and builds nothing; both print the same path
    expr = MK + 'mk "slow" "/bin/sleep 1; echo done > $out"'
    cmd = [sys.executable, "-m", "nixlang", "build", "--store", str(tmp_path / "store"), "-E", expr,
           "--no-out-link"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=str(HERE.parent)) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert results[0][0] == results[1][0] and results[0][0].endswith("-slow\n")
    assert sum("building '" in err for _, err in results) == 1
    assert not [n for n in os.listdir(tmp_path / "store" / "nix" / "store") if n.endswith(".lock")]


@needs_bwrap
def test_output_with_an_unsupported_file(tmp_path):
    rc, _, err = build_expr(tmp_path, MK + 'mk "fifo" "/bin/mkdir $out; /usr/bin/mkfifo $out/p"', "--no-out-link")
    assert rc == 1 and "has an unsupported type" in err and "Traceback" not in err
    assert not [n for n in os.listdir(tmp_path / "store" / "nix" / "store") if n.startswith(".tmp-")]


class _FakeDB:
    """What the builder needs of a store database: register_valid_paths (one
    call per registration) and query_path_info."""

    def __init__(self):
        self.calls: list[list] = []
        self.infos: dict = {}

    def register_valid_paths(self, infos):
        self.calls.append(list(infos))
        self.infos.update((i.path, i) for i in infos)

    def query_path_info(self, path):
        return self.infos.get(path)


class _StoreWithDB(LocalStore):
    """A local store whose registrations are recorded (its own database sees them too)."""

    def __init__(self, root):
        super().__init__(root)
        self.fake = _FakeDB()

    def register_valid_paths(self, infos):
        infos = list(infos)
        self.fake.register_valid_paths(infos)
        super().register_valid_paths(infos)


def test_registration_goes_to_the_store_database(tmp_path, monkeypatch):
    # with a database (issue 19's SQLite store), the builder registers there,
    # all outputs of a derivation in one call, and writes no JSON files
    monkeypatch.setenv("PYNIX_BWRAP", "none")
    store = _StoreWithDB(str(tmp_path / "store"))
    rc, out, err = pynix("instantiate", "--store", store.root, "-E",
                         'derivation { name = "m"; system = "x86_64-linux"; builder = "/bin/sh"; '
                         'outputs = [ "out" "dev" ]; args = [ "-c" "echo $dev > $out; echo d > $dev" ]; }')
    assert rc == 0, err
    drv = out.strip()
    paths = Worker(store).realise([drv])[drv]
    calls = store.fake.calls
    assert [sorted(i.path for i in c) for c in calls] == [sorted(paths.values())]
    out_info = store.fake.infos[paths["out"]]
    assert out_info.references == frozenset({paths["dev"]}) and out_info.deriver == drv and out_info.ultimate
    assert out_info.nar_hash.to_string("base16").startswith("sha256:")
    assert not (tmp_path / "store" / "nix" / "var" / "pynix").exists()


@needs_bwrap
def test_sandbox_false_does_not_unsandbox_a_store_under_a_root(tmp_path):
    # as in Nix, a store whose objects are not at their store paths needs the
    # sandbox; `sandbox = false` (Debian's nix.conf) counts for / only
    rc, out, err = build_expr(tmp_path, MK + 'mk "sbf" "/bin/cat /proc/net/dev > $out"', "--no-out-link",
                              "--option", "sandbox", "false")
    assert rc == 0 and "warning" not in err, err
    assert len((tmp_path / "store" / out.strip()[1:]).read_text().splitlines()) == 3   # only lo


def test_unsandboxed_build_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNIX_BWRAP", "none")
    rc, out, err = build_expr(tmp_path, MK + 'mk "plain" "echo plain > $out"', "--no-out-link")
    assert rc == 0, err
    assert "warning: building without a sandbox: PYNIX_BWRAP=none" in err
    store = LocalStore(str(tmp_path / "store"))
    assert open(store.real_path(out.strip())).read() == "plain\n"
    assert query_path_info(store, out.strip()) is not None


def test_a_store_with_nix_database_is_not_built_into_without_database_support(tmp_path):
    # until the store writes Nix's database, building into a store that has
    # one would hide the build from Nix (and rebuild over what Nix built)
    db = tmp_path / "store" / "nix" / "var" / "nix" / "db"
    db.mkdir(parents=True)
    (db / "db.sqlite").write_bytes(b"")
    store = LocalStore(str(tmp_path / "store"))
    if getattr(store, "database", False):
        pytest.skip("this store writes Nix's database")
    rc, out, err = build_expr(tmp_path, MK + 'mk "x" "echo > $out"', "--no-out-link")
    assert (rc, out) == (1, "")
    assert "has Nix's database" in err and "Traceback" not in err


def test_dry_run_builds_nothing(tmp_path):
    rc, out, err = build_expr(tmp_path, MK + 'mk "dry" "echo > $out"', "--dry-run")
    assert (rc, out) == (0, "")
    assert re.match(r"this derivation will be built:\n  /nix/store/\w{32}-dry.drv\n$", err)


@pytest.mark.parametrize("drv,message", [
    ('derivation { name = "x"; system = "x"; builder = "/bin/sh"; }',
     "error: a 'x' with features {} is required to build '/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv', "
     "but I am a 'x86_64-linux' with features {"),
    ('derivation { name = "b"; system = "x86_64-linux"; builder = "builtin:fetchurl"; }',
     "pynix does not have Nix's builtin builder 'builtin:fetchurl'"),
    ('derivation { name = "s"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true; }',
     "pynix does not build derivations with structured attributes"),
    ('derivation { name = "c"; system = "x86_64-linux"; builder = "/bin/sh"; __contentAddressed = true; }',
     "its output 'out' is content-addressed (floating)"),
    ('derivation { name = "i"; system = "x86_64-linux"; builder = "/bin/sh"; __impure = true; }',
     "its output 'out' is impure"),
])
def test_unbuildable(tmp_path, drv, message):
    rc, _, err = pynix("build", "--store", str(tmp_path / "store"), "-E", drv, "--system", "x86_64-linux",
                       "--extra-experimental-features", "ca-derivations impure-derivations", "--no-out-link")
    assert rc == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("spec,root", [("auto", "xdg"), ("local", "xdg"), (None, "xdg"), ("/some/root", "/some/root")])
def test_build_store(tmp_path, monkeypatch, spec, root):
    # pynix builds in its local store: `auto` (the default, which may mean the
    # daemon for instantiate) and `local` are the per-user one
    from nixlang.builtins.derivations import build_store
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("NIX_STORE_DIR", raising=False)
    expected = str(tmp_path / "pynix" / "store") if root == "xdg" else root
    assert build_store(spec).root == expected


@pytest.mark.parametrize("spec", ["daemon", "unix:///nonexistent/daemon-socket/socket"])
def test_builds_through_a_daemon_that_is_not_there(spec):
    """(builds through a real daemon: tests/test_store_daemon.py)"""
    rc, out, err = pynix("build", "--store", spec, "-E", 'derivation { name = "x"; system = "x"; builder = "x"; }')
    assert (rc, out) == (1, "")
    assert err.startswith("error: cannot connect to socket at '") and err.endswith("': No such file or directory\n")


def test_help():
    rc, out, _ = pynix("build", "--help")
    assert rc == 0 and "--no-out-link" in out and "bwrap" in out
    rc, out, _ = pynix("--help")
    assert "build " in out


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile
    problem = nix_missing()
    if problem:
        sys.exit(f"cannot record: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        data = {attr: nix_record(os.path.join(tmp, attr), attr) for attr in BUILT + FAILING}
    EXPECTED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED}")
