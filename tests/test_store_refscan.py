"""Reference scanning (nixlang/store/refscan.py) and the other pure parts of
the builder: the order of outputs (and Nix's cycle message), canonical
metadata. The builds themselves are in tests/test_build.py."""
from __future__ import annotations

import os
import stat

import pytest

from nixlang.store.build import _sort_outputs, canonicalise_path_meta_data
from nixlang.store.errors import BuildError, StoreError
from nixlang.store.nar import dump_path
from nixlang.store.refscan import RefScanSink, scan_for_references

A = "/nix/store/" + "a" * 32 + "-a"
B = "/nix/store/" + "0123456789abcdfghijklmnpqrsvwxyz" + "-b"
C = "/nix/store/" + "z" * 32 + "-c"

SCANS = [
    # (the data, in chunks, and the references found among A, B, C)
    ([f"see {A}/bin".encode()], {A}),
    ([b"only the hash " + B[11:43].encode()], {B}),
    ([f"{A} and {B}".encode()], {A, B}),
    # a hash inside a longer run of base-32 characters still counts, as in Nix
    ([b"xx" + A[11:43].encode() + b"yy"], {A}),
    # split between two chunks, at every place
    *[([B.encode()[:i], B.encode()[i:]], {B}) for i in range(12, 43, 5)],
    # split over three chunks, one of them tiny
    ([B.encode()[:20], B.encode()[20:21], B.encode()[21:]], {B}),
    # a character outside the alphabet (e, o, u, t) breaks the hash
    ([A[11:42].encode() + b"e"], set()),
    ([b""], set()),
]


@pytest.mark.parametrize("chunks,found", SCANS)
def test_scan(chunks, found):
    assert scan_for_references(chunks, [A, B, C]) == found


def test_scan_over_a_nar(tmp_path):
    # file contents, file names and symlink targets are all in the NAR
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "file").write_text(f"{A}\n")
    (tmp_path / "d" / (C[11:] + ".txt")).write_text("")
    os.symlink(B + "/x", tmp_path / "d" / "link")
    sink = RefScanSink(p[11:43] for p in (A, B, C))
    dump_path(tmp_path / "d", sink)
    assert sink.found() == {A[11:43], B[11:43], C[11:43]}


@pytest.mark.parametrize("refs,order,message", [
    ({"out": set()}, ["out"], None),
    ({"out": {"lib"}, "lib": set(), "dev": {"lib", "out"}}, ["lib", "out", "dev"], None),
    ({"out": {"out"}}, ["out"], None),      # a self-reference is no cycle
    ({"out": {"dev"}, "dev": {"out"}}, None, "in the references of output 'dev' from output 'out'"),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, None, "in the references of output 'a' from output 'c'"),
])
def test_output_order_and_cycles(refs, order, message):
    outputs = {name: f"/nix/store/{name}" for name in refs}
    if message is None:
        assert _sort_outputs("/nix/store/x.drv", outputs, lambda n: refs[n]) == order
    else:
        with pytest.raises(BuildError) as exc:
            _sort_outputs("/nix/store/x.drv", outputs, lambda n: refs[n])
        assert exc.value.message == "cycle detected in build of '/nix/store/x.drv' " + message


def test_canonical_metadata(tmp_path):
    out = tmp_path / "out"
    (out / "bin").mkdir(parents=True)
    (out / "bin" / "run").write_text("#!/bin/sh\n")
    os.chmod(out / "bin" / "run", 0o775)
    (out / "data").write_text("x")
    os.chmod(out / "data", 0o666)
    os.symlink("data", out / "link")
    canonicalise_path_meta_data(str(out))
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(os.lstat(p).st_mode)
             for p in [out, out / "bin", out / "bin" / "run", out / "data"]}
    assert modes == {"out": 0o555, "out/bin": 0o555, "out/bin/run": 0o555, "out/data": 0o444}
    assert {os.lstat(p).st_mtime for p in [out, out / "bin" / "run", out / "data", out / "link"]} == {1}
    for p in [out, out / "bin"]:
        os.chmod(p, 0o755)     # so that tmp_path can be removed


def test_unsupported_file_in_an_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "fifo")
    with pytest.raises(StoreError) as exc:
        canonicalise_path_meta_data(str(out))
    assert "unsupported type" in str(exc.value)
    os.chmod(out, 0o755)


def test_sandbox_command():
    # the store writable (the staging folder), the inputs read-only over it,
    # the build directory as /build; the network only for fixed outputs
    from nixlang.store.sandbox import bwrap_command
    common = dict(store_dir="/nix/store", staging_store="/s/store", build_dir="/tmp/nix-build-x.drv-0",
                  etc_dir="/s/etc", sandbox_paths=[("/bin", "/usr/bin", True)], argv=["/bin/sh", "-c", "x"],
                  inputs={A: "/root/nix/store/" + A[11:]})
    cmd = bwrap_command("bwrap", network=False, **common)
    text = " ".join(cmd)
    assert "--unshare-all" in cmd and "--share-net" not in cmd
    assert f"--bind /s/store /nix/store --ro-bind /root/nix/store/{A[11:]} {A}" in text
    assert "--ro-bind /usr/bin /bin" in text and "--ro-bind /s/etc/hosts /etc/hosts" in text
    assert text.endswith("--bind /tmp/nix-build-x.drv-0 /build --chdir /build -- /bin/sh -c x")
    assert "--share-net" in bwrap_command("bwrap", network=True, **common)
    # argv[0] the builder's base name, as Nix runs it, where bwrap can say so
    assert " ".join(bwrap_command("bwrap", network=False, argv0="sh", **common)).endswith(
        "--chdir /build --argv0 sh -- /bin/sh -c x")
