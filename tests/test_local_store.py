"""The on-disk store and `pynix instantiate` writing derivations.

- LocalStore writes are atomic and idempotent (concurrent writers, crashes);
- `pynix instantiate --store DIR FILE` writes the .drv files, sources and
  `toFile` results and prints the .drv paths as nix-instantiate does;
- `--eval` is read-only, `--read-write-mode` writes;
- `pynix derivation show` prints the JSON form;
- differential (when nix-instantiate is installed): generated derivations
  written by pynix and by Nix 2.8 into two stores are byte-identical.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import subprocess
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nixlang.cli import run
from nixlang.store import LocalStore

HAVE_NIX = shutil.which("nix-instantiate") is not None

EXAMPLE = textwrap.dedent("""\
    let
      dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh";
                         outputs = [ "out" "dev" ]; src = ./src.txt; };
    in {
      main = derivation { name = "main"; system = "x86_64-linux"; builder = "/bin/sh";
                          args = [ "-c" "echo ${dep.dev} ${builtins.toFile "t" "hi"}" ]; };
      inherit dep;
    }
""")
# what Nix 2.8 prints and writes for EXAMPLE (nix-instantiate --store B a.nix)
EXAMPLE_DRVS = ["/nix/store/z29dbx06f14snpsbpcgg3qm25w1gis3z-dep.drv",
                "/nix/store/29c4yx2c6j1nzqc4smr6xz15msrj5q8n-main.drv"]
EXAMPLE_OBJECTS = {"1017cjpgpdg6f0vvqhcby1c8v2jyn7i8-src.txt", "29c4yx2c6j1nzqc4smr6xz15msrj5q8n-main.drv",
                   "hxk820apsjsq6709id0vbfsikipvfka6-t", "z29dbx06f14snpsbpcgg3qm25w1gis3z-dep.drv"}


def pynix(*args, cwd=None):
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        rc = run(list(args), out, err)
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def example(tmp_path):
    (tmp_path / "a.nix").write_text(EXAMPLE)
    (tmp_path / "src.txt").write_text("hello\n")
    return tmp_path


def objects(root) -> set[str]:
    d = os.path.join(root, "nix", "store")
    return {n for n in os.listdir(d) if not n.startswith(".")} if os.path.isdir(d) else set()


# -- LocalStore ------------------------------------------------------------------------------

def test_add_text_is_read_only_with_mtime_1(tmp_path):
    s = LocalStore(str(tmp_path))
    real = s.add_text("/nix/store/hxk820apsjsq6709id0vbfsikipvfka6-t", b"hi")
    st_ = os.stat(real)
    assert open(real, "rb").read() == b"hi"
    assert st_.st_mode & 0o777 == 0o444 and st_.st_mtime == 1
    assert real == str(tmp_path) + "/nix/store/hxk820apsjsq6709id0vbfsikipvfka6-t"


def test_add_tree_copies_files_executables_symlinks(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "f").write_text("x")
    (src / "sub" / "run").write_text("#!/bin/sh\n")
    os.chmod(src / "sub" / "run", 0o755)
    os.symlink("f", src / "link")
    s = LocalStore(str(tmp_path / "root"))
    real = s.add_tree("/nix/store/00000000000000000000000000000000-src", str(src),
                      path_filter=lambda p: not p.endswith("/f") or True)
    assert sorted(os.listdir(real)) == ["f", "link", "sub"]
    assert os.readlink(os.path.join(real, "link")) == "f"
    assert os.stat(os.path.join(real, "sub", "run")).st_mode & 0o777 == 0o555
    assert os.stat(os.path.join(real, "f")).st_mode & 0o777 == 0o444
    assert os.stat(real).st_mode & 0o777 == 0o555


def test_add_tree_filter(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep").write_text("1")
    (src / "drop").write_text("2")
    s = LocalStore(str(tmp_path / "root"))
    real = s.add_tree("/nix/store/00000000000000000000000000000000-src", str(src),
                      path_filter=lambda p: not p.endswith("drop"))
    assert os.listdir(real) == ["keep"]


def test_a_failed_write_leaves_nothing_under_the_final_name(tmp_path):
    s = LocalStore(str(tmp_path))
    path = "/nix/store/00000000000000000000000000000000-x"
    with pytest.raises(TypeError):
        s.add_text(path, object())   # write() fails half-way
    assert not s.has(path)
    assert [n for n in os.listdir(s.real_dir) if not n.startswith(".tmp-")] == []
    assert [n for n in os.listdir(s.real_dir) if n.startswith(".tmp-")] == []


def _writer(args):
    root, tree = args
    s = LocalStore(root)
    data = b"same content\n" * 1000
    for _ in range(20):
        s.add_text("/nix/store/00000000000000000000000000000000-shared", data)
        s.add_tree("/nix/store/11111111111111111111111111111111-tree", tree)
    return True


def test_concurrent_writers(tmp_path):
    root = str(tmp_path / "root")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    for i in range(30):
        (tree / f"f{i}").write_text("x" * i)
        (tree / "sub" / f"g{i}").write_text("y" * i)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert all(pool.map(_writer, [(root, str(tree)) for _ in range(8)]))
    s = LocalStore(root)
    assert open(s.real_path("/nix/store/00000000000000000000000000000000-shared"), "rb").read() == \
        b"same content\n" * 1000
    assert sorted(os.listdir(s.real_path("/nix/store/11111111111111111111111111111111-tree"))) == \
        sorted(os.listdir(tree))
    assert [n for n in os.listdir(s.real_dir) if n.startswith(".tmp-")] == []


# -- pynix instantiate ---------------------------------------------------------------------------

def test_instantiate_writes_derivations(example, tmp_path):
    root = tmp_path / "storeA"
    rc, out, err = pynix("instantiate", "--store", str(root), str(example / "a.nix"))
    assert rc == 0, err
    assert out.splitlines() == EXAMPLE_DRVS
    assert err == ("warning: you did not specify '--add-root'; the result might be removed by the garbage "
                   "collector\n")
    assert objects(root) == EXAMPLE_OBJECTS


def test_instantiate_attr_and_output_suffix(example, tmp_path):
    root = tmp_path / "storeA"
    rc, out, _ = pynix("instantiate", "--store", str(root), "-A", "dep.dev", str(example / "a.nix"))
    assert rc == 0 and out == EXAMPLE_DRVS[0] + "!dev\n"


def test_add_root(example, tmp_path):
    root = tmp_path / "storeA"
    link = tmp_path / "result"
    rc, out, err = pynix("instantiate", "--store", str(root), "--add-root", str(link), "-A", "main",
                         str(example / "a.nix"))
    assert rc == 0 and err == ""
    assert out == f"{link}\n"
    assert os.readlink(link) == str(root) + EXAMPLE_DRVS[1]


def test_eval_is_read_only_unless_asked(example, tmp_path):
    root = tmp_path / "storeA"
    rc, out, _ = pynix("instantiate", "--store", str(root), "--eval", "-A", "main.drvPath", str(example / "a.nix"))
    assert rc == 0 and out == f'"{EXAMPLE_DRVS[1]}"\n'
    assert objects(root) == set()
    rc, _, _ = pynix("instantiate", "--store", str(root), "--eval", "--read-write-mode", "-A", "main.drvPath",
                     str(example / "a.nix"))
    assert rc == 0 and objects(root) == EXAMPLE_OBJECTS


def test_not_a_derivation(tmp_path):
    rc, _, err = pynix("instantiate", "--store", str(tmp_path), "-E", "1")
    assert rc == 1 and "expression does not evaluate to a derivation (or a set or list of those)" in err


def test_derivation_show(example, tmp_path):
    root = tmp_path / "storeA"
    pynix("instantiate", "--store", str(root), str(example / "a.nix"))
    rc, out, err = pynix("derivation", "show", "--store", str(root), EXAMPLE_DRVS[1])
    assert rc == 0, err
    import json
    j = json.loads(out)
    (name, d), = j.items()
    assert name == EXAMPLE_DRVS[1].rpartition("/")[2]
    assert d["version"] == 4 and d["name"] == "main"
    assert d["inputs"]["drvs"] == {"z29dbx06f14snpsbpcgg3qm25w1gis3z-dep.drv":
                                   {"dynamicOutputs": {}, "outputs": ["dev"]}}
    # the same from the Nix file, without writing anything
    rc, out2, _ = pynix("derivation", "show", "-A", "main", str(example / "a.nix"))
    assert rc == 0 and json.loads(out2) == j


@pytest.mark.skipif(not HAVE_NIX, reason="nix-instantiate not installed")
def test_derivation_show_legacy_matches_nix(example, tmp_path):
    rootA, rootB = tmp_path / "A", tmp_path / "B"
    pynix("instantiate", "--store", str(rootA), str(example / "a.nix"))
    subprocess.run(["nix-instantiate", "--store", str(rootB), str(example / "a.nix")], check=True,
                   capture_output=True)
    import json
    for drv in EXAMPLE_DRVS:
        _, ours, _ = pynix("derivation", "show", "--legacy", "--store", str(rootA), drv)
        theirs = subprocess.run(["nix", "--extra-experimental-features", "nix-command", "show-derivation",
                                 "--store", str(rootB), drv], check=True, capture_output=True, text=True).stdout
        assert json.loads(ours) == json.loads(theirs)


# -- differential: generated derivations, written by both ------------------------------------------

NAME = st.from_regex(r"[a-z][a-z0-9+._-]{0,12}", fullmatch=True).filter(lambda s: not s.endswith(".drv"))
SCALAR = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters='"\\$'),
            max_size=12).map(lambda s: '"' + s + '"'),
    st.integers(-1000, 1000).map(str), st.sampled_from(["true", "false", "null"]),
    st.just("./file.txt"), st.just("./dir"))
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=4).map(lambda xs: "[ " + " ".join(xs) + " ]"))


@st.composite
def derivation_set(draw):
    n = draw(st.integers(1, 5))
    lines = []
    for i in range(n):
        name = draw(NAME)
        attrs = {f"e{j}": draw(VALUE) for j in range(draw(st.integers(0, 4)))}
        outputs = draw(st.sampled_from([None, ["out"], ["out", "dev"], ["bin", "out", "lib"]]))
        if outputs:
            attrs["outputs"] = "[ " + " ".join(f'"{o}"' for o in outputs) + " ]"
        if i and draw(st.booleans()):
            dep = draw(st.integers(0, i - 1))
            attrs["dep"] = f'"${{d{dep}}}"'
            if draw(st.booleans()):
                attrs["depDrv"] = f"d{dep}.drvPath"
        if draw(st.integers(0, 4)) == 0:
            algo, h = draw(st.sampled_from([
                ("sha256", "0000000000000000000000000000000000000000000000000000"),
                ("sha256", "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"),
                ("sha1", "0000000000000000000000000000000000000000"),
            ]))
            mode = draw(st.sampled_from(["flat", "recursive"]))
            attrs.update(outputHashAlgo=f'"{algo}"', outputHash=f'"{h}"', outputHashMode=f'"{mode}"')
            attrs.pop("outputs", None)
        body = " ".join(f"{k} = {v};" for k, v in attrs.items())
        lines.append(f'd{i} = derivation {{ name = "{name}"; system = "x86_64-linux"; builder = "/bin/sh"; '
                     f'args = [ "-c" "true" ]; {body} }};')
    return "let\n  " + "\n  ".join(lines) + "\nin [ " + " ".join(f"d{i}" for i in range(n)) + " ]\n"


@pytest.mark.skipif(not HAVE_NIX, reason="nix-instantiate not installed: differential test skipped")
def test_generated_derivations_are_byte_identical(tmp_path_factory):
    checked = []

    @settings(max_examples=int(os.environ.get("PYNIX_DRV_EXAMPLES", "25")), derandomize=True, deadline=None,
              database=None, suppress_health_check=list(HealthCheck))
    @given(derivation_set())
    def check(text):
        work = tmp_path_factory.mktemp("drv")
        (work / "file.txt").write_text("some file\n")
        (work / "dir").mkdir()
        (work / "dir" / "x").write_text("x")
        (work / "t.nix").write_text(text)
        a, b = work / "A", work / "B"
        rc, ours, err = pynix("instantiate", "--store", str(a), str(work / "t.nix"))
        theirs = subprocess.run(["nix-instantiate", "--store", str(b), str(work / "t.nix")],
                                capture_output=True, text=True, timeout=60)
        assert rc == theirs.returncode, (text, err, theirs.stderr)
        assert ours == theirs.stdout, text
        assert objects(a) == objects(b), text
        for name in objects(a):
            pa, pb = a / "nix" / "store" / name, b / "nix" / "store" / name
            if pa.is_file():
                assert pa.read_bytes() == pb.read_bytes(), (text, name)
        checked.append(len(ours.splitlines()))

    check()
    assert sum(checked) >= 25


# -- reading store objects back; import from derivation ---------------------------------------------

READ_BACK = [
    # (expression, expected stdout) -- evaluated in a folder holding lib.nix = { x = 42; }
    ('builtins.readFile (builtins.toFile "x" "hi")', '"hi"\n'),
    ('(import "${./lib.nix}").x', "42\n"),
    ('builtins.readFile "${builtins.filterSource (p: t: true) ./.}/lib.nix"', '"{ x = 42; }\\n"\n'),
    ('builtins.attrNames (builtins.readDir "${builtins.filterSource (p: t: baseNameOf p != "skip") ./.}")',
     '[ "lib.nix" ]\n'),
    ('builtins.pathExists "${./lib.nix}"', "true\n"),
]


@pytest.mark.parametrize("expr,stdout", READ_BACK)
def test_store_objects_read_back(tmp_path, expr, stdout):
    (tmp_path / "lib.nix").write_text("{ x = 42; }\n")
    (tmp_path / "skip").write_text("")
    rc, out, err = pynix("instantiate", "--eval", "--strict", "-E", expr, cwd=str(tmp_path))
    assert (rc, out) == (0, stdout), err


@pytest.mark.parametrize("expr", [
    'import (derivation { name = "x"; system = "x"; builder = "/bin/sh"; })',
    'builtins.readFile "${derivation { name = "x"; system = "x"; builder = "/bin/sh"; }}/f"',
])
def test_import_from_an_unbuildable_derivation_is_a_clear_error(tmp_path, expr):
    # import from derivation builds (tests/test_build.py); a derivation for
    # another platform cannot be built, with Nix's message
    rc, _, err = pynix("instantiate", "--store", str(tmp_path), "--eval", "-E", expr)
    assert rc == 1
    assert ("error: a 'x' with features {} is required to build "
            "'/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv', but I am a '") in err
    assert "Traceback" not in err


def test_import_from_derivation_is_refused_where_builds_are_off():
    # the editor and the playground never build: an evaluator without
    # enable_builds says so
    from nixlang.evaluator import Evaluator
    from nixlang.errors import NixError
    ev = Evaluator()
    with pytest.raises(NixError) as exc:
        ev.eval_string('import (derivation { name = "x"; system = "x"; builder = "/bin/sh"; })')
    assert "cannot build '/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv^out' during evaluation" in str(exc.value)
    assert "import from derivation" in str(exc.value)


# With NIX_STORE_DIR set (and no --store), store paths are under that
# directory and, as in Nix's local store, the objects are written right there,
# so a printed path can be opened (lib/tests/sources.sh cds into one). The
# hashes depend on the store dir; Nix 2.8 computes the same paths.
STORE_DIR_CASES = [
    ("--read-write-mode", '"${./src}"'),
    ("--read-write-mode", '"${builtins.filterSource (p: t: baseNameOf p != "skip") ./src}"'),
    ("--read-write-mode", 'builtins.toFile "t" "hi"'),
    ("--read-write-mode", '(derivation { name = "d"; system = "x"; builder = "/bin/sh"; src = ./src; }).drvPath'),
    (None, 'builtins.readFile "${builtins.filterSource (p: t: baseNameOf p != "skip") ./src}/f"'),
]


@pytest.mark.parametrize("mode,expr", STORE_DIR_CASES)
def test_nix_store_dir_is_where_objects_go(tmp_path, mode, expr):
    import sys
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("hello\n")
    (src / "skip").write_text("")
    store = tmp_path / "store"
    env = dict(os.environ, NIX_STORE_DIR=str(store))
    args = ["--eval", "--strict", *([mode] if mode else []), "-E", expr]
    p = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", *args], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    value = p.stdout.strip().strip('"')
    if mode is None:
        assert value == "hello\\n" and not store.exists()
        return
    assert value.startswith(f"{store}/") and os.path.lexists(value)
    if HAVE_NIX:
        store2 = tmp_path / "store-nix"
        env2 = dict(os.environ, NIX_STORE_DIR=str(store))
        env2["NIX_STATE_DIR"] = str(tmp_path / "state")
        n = subprocess.run(["nix-instantiate", "--eval", "--strict", "--store", str(store2), "-E", expr],
                           capture_output=True, text=True, cwd=tmp_path, env=env2, timeout=60)
        assert n.stdout == p.stdout, n.stderr
