"""nixlang.atomicfile: a file is replaced whole or not at all, with the mode,
times and temporary names its callers (caches, the store) rely on."""
from __future__ import annotations

import os
import stat

import pytest

from nixlang.atomicfile import replacing, temporary_name, write_atomically
from nixlang.store.local import _temp_prefix

WRITES = [
    # data, options, bytes read back, mode
    (b"\x00bytes\xff", {}, b"\x00bytes\xff", 0o644),
    ("text \u00e9", {}, "text \u00e9".encode(), 0o644),
    (b"store object", {"mode": 0o444, "fsync": True, "mtime": 1}, b"store object", 0o444),
    ("{}", {"mode": 0o600}, b"{}", 0o600),
]


@pytest.mark.parametrize("data,options,expected,mode", WRITES)
def test_write_replaces_the_file(tmp_path, data, options, expected, mode):
    target = tmp_path / "f"
    target.write_bytes(b"old contents, longer than the new ones")
    old_umask = os.umask(0o077)      # the mode is exact, not filtered by the umask
    try:
        write_atomically(target, data, **options)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == mode
    if "mtime" in options:
        assert target.stat().st_mtime == options["mtime"]
    assert os.listdir(tmp_path) == ["f"]


def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"kept")
    with pytest.raises(RecursionError):
        with replacing(target) as f:
            f.write(b"half of it")
            raise RecursionError("pickling failed midway")
    assert target.read_bytes() == b"kept"
    assert os.listdir(tmp_path) == ["f"]


def test_a_missing_folder_is_an_oserror(tmp_path):
    with pytest.raises(OSError):
        write_atomically(tmp_path / "absent" / "f", b"x")
    assert os.listdir(tmp_path) == []


def test_temporary_names_are_fresh_and_beside_the_target(tmp_path):
    names = {temporary_name(str(tmp_path / "f")) for _ in range(100)}
    assert len(names) == 100
    assert all(os.path.dirname(n) == str(tmp_path) for n in names)
    assert all(os.path.basename(n).startswith(".tmp-f.") for n in names)


def test_store_temporaries_name_their_object():
    # LocalStore.sweep_temporaries reads the object's name back from what
    # precedes the last dot of `.tmp-<object>.…`; a dot after the prefix
    # would make it lock (and sweep) the wrong name.
    path = "/nix/store/abcdefghijklmnopqrstuvwxyz012345-hello.drv"
    name = os.path.basename(temporary_name(path, _temp_prefix(path)))
    assert name[len(".tmp-"):].rpartition(".")[0] == "abcdefghijklmnopqrstuvwxyz012345-hello.drv"
