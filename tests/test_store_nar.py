"""NAR serialisation and the store paths of copied paths.

TREES rows come from real Nix 2.8 on the trees SPECS describes, built under
/tmp: `"${dir}"` (nix-instantiate --eval), `nix-hash --type sha256 --base32
dir`, the size of `nix-store --dump dir`, `builtins.path { path = dir; name =
"renamed"; }` and `builtins.path { path = dir; filter = p: t: t != "symlink"
&& baseNameOf p != "b"; }`. FILES: `"${file}"` and `builtins.path { path =
file; recursive = false; }`. The last test compares with the real Nix on
random trees, when `nix-instantiate` is on PATH.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nixlang.store.errors import UnsupportedFile
from nixlang.store.hashes import Hash
from nixlang.store.nar import (dump_string, flat_file_store_path, nar_bytes, nar_hash, path_store_path)

BIG = bytes(range(256)) * 400 + b"tail"
# name -> node: a dict is a directory, ("file", contents, executable), ("symlink", target)
SPECS = {
    "empty-dir": {},
    "one-file": {"f": ("file", b"hello\n", False)},
    "exec-and-plain": {"run": ("file", b"#!/bin/sh\necho hi\n", True), "data": ("file", b"12345678", False)},
    "links": {"a": ("file", b"x", False), "l1": ("symlink", b"a"), "l2": ("symlink", b"/nix/store/nonexistent"),
              "dangling": ("symlink", b"../nowhere")},
    "nested": {"sub": {"deeper": {"leaf": ("file", b"", False)}, "x": ("file", b"123456789", True)},
               "b": ("file", b"b", False), "a": {}, "A": ("file", b"upper", False)},
    "names": {"\u00e9t\u00e9": ("file", b"utf8 name", False), b"\xff-raw": ("file", b"raw name", False),
              "dot.file": ("file", b".", False), "-dash": ("file", b"-", False)},
    "big": {"blob": ("file", BIG, False), "exe": ("file", BIG[:1000], True)},
}

# (name, "${dir}", NAR sha256 in nix32, NAR size, named "renamed", filtered)
TREES = [
    ('empty-dir', '/nix/store/gygiwca87yqrsr9rgm137lwlyjnz1mg1-empty-dir', '0sjjj9z1dhilhpc8pq4154czrb79z9cm044jvn75kxcjv6v5l2m5', 96, '/nix/store/m5h7b67i17ky3ihdz9qdm6yv5pabdxil-renamed', '/nix/store/gygiwca87yqrsr9rgm137lwlyjnz1mg1-empty-dir'),
    ('one-file', '/nix/store/wi179iy6j9zqvpwjbxbn80b8vyxbsr58-one-file', '0addczm9fjxkwraq3rf9z66ndy1w8scg7pi05xdyf4rjpl2h73gj', 288, '/nix/store/7nz8q0hspsk3xnwdhwxpwhdpk3xlrypx-renamed', '/nix/store/wi179iy6j9zqvpwjbxbn80b8vyxbsr58-one-file'),
    ('exec-and-plain', '/nix/store/xfxnk1jphpz9kq2qpnjnfdr90x8049al-exec-and-plain', '09wypbg8x8v7ab84xw132iza9c19mfcl4y1hnj84csiajbsm5vq4', 528, '/nix/store/cvmadhzyjhlf90qq2118zkkq2xwhq45k-renamed', '/nix/store/xfxnk1jphpz9kq2qpnjnfdr90x8049al-exec-and-plain'),
    ('links', '/nix/store/4gcqy0i4wh1l1gkxxl8s6j2vsvf1hvn9-links', '0pfbkcj7yrv0v1wrw9h6vpx233r8gj7mbnm6x4f1zs2x7zpbiz25', 888, '/nix/store/485qcdfanc6jdknd51wzvbr7qralzk36-renamed', '/nix/store/s9kcdza8yh8q0c1q2vgi85mi8dilgn31-links'),
    ('nested', '/nix/store/v8ip2imm2kl8yp09s5cdg71qcyxh592q-nested', '0sayzpvwd4ri1d6n39lw34kc5yspv6p7dnv1kwghksipd4rfj9qg', 1400, '/nix/store/4bq65wmr1sg0dsyynjg2bldgjir1720r-renamed', '/nix/store/0h66ibds6axgi5irmhrn83j86w8xcz9i-nested'),
    ('names', '/nix/store/19bbwxylr47s8mv6wqxcgv1ds4d4afy7-names', '0jhryarrbracqabsg58sv1wgixhgbgaq1hs6l60vi31xbziidz37', 872, '/nix/store/qy9yw0vnd79bxvyz2iqm6z6syv169prv-renamed', '/nix/store/19bbwxylr47s8mv6wqxcgv1ds4d4afy7-names'),
    ('big', '/nix/store/azg2sfg1dbyyl6hri7pyl0v7nqg624nr-big', '1qi9z26xlb1py1bry7jhfw6ils69i9fz3g6ca5ahbi2vbdsz1g5v', 103904, '/nix/store/m6np7i8abkdc7lp8vfp2qxq50lkv8622-renamed', '/nix/store/azg2sfg1dbyyl6hri7pyl0v7nqg624nr-big'),
]

# (file name, contents, executable, "${file}", flat builtins.path)
FILES = [
    ('top.txt', b'top\n', False, '/nix/store/ybzcsnid9gvha2mzqq74wq502lxd9hgf-top.txt', '/nix/store/1q3b4jss94xmbwlmhgf1fj4lfj2wyi16-top.txt'),
    ('top.sh', b'#!/bin/sh\n', True, '/nix/store/np4kzbw8vmh52c3kgp3qmipf9jzv9zrh-top.sh', '/nix/store/pswxxc7pxxs1kl2xk309nci2j2hzlcnf-top.sh'),
    ('empty', b'', False, '/nix/store/lx5i78a4izwk2qj1nq8rdc07y8zrwy90-empty', '/nix/store/1q82x5ah029adc0r5p06p3ivlzzh3hss-empty'),
]


def build(root: bytes, spec: dict) -> None:
    os.makedirs(root, exist_ok=True)
    for name, node in spec.items():
        p = os.path.join(root, os.fsencode(name) if isinstance(name, str) else name)
        if isinstance(node, dict):
            build(p, node)
        elif node[0] == "file":
            with open(p, "wb") as f:
                f.write(node[1])
            os.chmod(p, 0o755 if node[2] else 0o644)
        else:
            os.symlink(node[1], p)


def like_nix_filter(path: str) -> bool:
    """The filter of the TREES rows: `p: t: t != "symlink" && baseNameOf p != "b"`."""
    return not os.path.islink(path) and os.path.basename(path) != "b"


@pytest.mark.parametrize("name,store_path,nar32,size,renamed,filtered", TREES, ids=[t[0] for t in TREES])
def test_trees(tmp_path, name, store_path, nar32, size, renamed, filtered):
    root = os.fsencode(tmp_path / name)
    build(root, SPECS[name])
    h, n = nar_hash(root)
    assert (h.nix32, n) == (nar32, size)
    assert hashlib.sha256(nar_bytes(root)).digest() == h.digest
    assert path_store_path(root) == store_path
    assert path_store_path(root, "renamed") == renamed
    assert path_store_path(root, path_filter=like_nix_filter) == filtered


@pytest.mark.parametrize("name,contents,executable,store_path,flat", FILES, ids=[f[0] for f in FILES])
def test_single_files(tmp_path, name, contents, executable, store_path, flat):
    p = tmp_path / name
    p.write_bytes(contents)
    p.chmod(0o755 if executable else 0o644)
    assert path_store_path(str(p)) == store_path
    assert flat_file_store_path(str(p)) == flat
    if not executable:  # the NAR of a plain file is dumpString of its contents
        parts: list[bytes] = []
        dump_string(contents, parts.append)
        assert b"".join(parts) == nar_bytes(str(p))


def _s(b: bytes) -> bytes:
    return struct.pack("<Q", len(b)) + b + b"\0" * (-len(b) % 8)


def test_nar_layout(tmp_path):
    """The exact bytes: strings are length-prefixed and padded to 8; entries sorted."""
    build(os.fsencode(tmp_path / "t"), {"z": ("file", b"abc", True), "a": ("symlink", b"z")})
    expected = b"".join(_s(w) for w in [
        b"nix-archive-1", b"(", b"type", b"directory",
        b"entry", b"(", b"name", b"a", b"node", b"(", b"type", b"symlink", b"target", b"z", b")", b")",
        b"entry", b"(", b"name", b"z", b"node",
        b"(", b"type", b"regular", b"executable", b"", b"contents", b"abc", b")", b")",
        b")"])
    assert nar_bytes(str(tmp_path / "t")) == expected


def test_permissions_other_than_owner_exec_do_not_matter(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for p, mode in ((a, 0o700), (b, 0o755)):
        p.mkdir()
        (p / "f").write_bytes(b"x")
        (p / "f").chmod(mode)
    assert nar_hash(str(a)) == nar_hash(str(b))
    (b / "f").chmod(0o644)
    assert nar_hash(str(a)) != nar_hash(str(b))


def test_unsupported_file_type(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsupportedFile, match="has an unsupported type"):
        nar_bytes(str(tmp_path))


def test_other_hash_algorithms(tmp_path):
    build(os.fsencode(tmp_path / "t"), SPECS["nested"])
    data = nar_bytes(str(tmp_path / "t"))
    for algo in ("md5", "sha1", "sha512"):
        assert nar_hash(str(tmp_path / "t"), algo)[0] == Hash(algo, hashlib.new(algo, data).digest())


# -- differential: random trees against the real Nix ------------------------------------------------

NIX = shutil.which("nix-instantiate")

file_names = st.text(alphabet="abcXYZ019._-+=", min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
leaves = st.one_of(
    st.tuples(st.just("file"), st.binary(max_size=40), st.booleans()),
    st.tuples(st.just("symlink"), st.binary(min_size=1, max_size=12).filter(lambda b: b"\0" not in b)),
)
trees = st.recursive(st.dictionaries(file_names, leaves, max_size=4),
                     lambda inner: st.dictionaries(file_names, st.one_of(leaves, inner), max_size=4),
                     max_leaves=10)


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not on PATH")
@given(st.lists(trees, min_size=1, max_size=8))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_trees_match_real_nix(tmp_path_factory, batch):
    base = tmp_path_factory.mktemp("trees")
    roots = []
    for i, spec in enumerate(batch):
        root = base / f"t{i}"
        build(os.fsencode(root), spec)
        roots.append(str(root))
    expr = "[ " + " ".join(f'"${{{r}}}"' for r in roots) + " ]"
    out = subprocess.run([NIX, "--readonly-mode", "--eval", "--strict", "--json", "--expr", expr],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "NIX_STORE_DIR": "/nix/store"})
    assert out.returncode == 0, out.stderr
    assert [path_store_path(r) for r in roots] == json.loads(out.stdout)
