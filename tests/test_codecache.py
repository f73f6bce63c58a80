"""The code cache (nixlang/codecache.py): its folder follows the environment
of the moment, an entry is read whole, and a damaged entry (truncated,
empty, garbage) never gives wrong code: it is compiled and written again."""
from __future__ import annotations

import marshal

import pytest

from nixlang import codecache

TEXT = "def body(env):\n    return [env * 2, " + ", ".join(f"'{'s' * k}'" for k in range(200)) + "]\n"


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PYNIX_CACHE", raising=False)
    monkeypatch.setenv("PYNIX_CACHE_DIR", str(tmp_path / "a"))
    assert codecache.cache_root() == str(tmp_path / "a")
    monkeypatch.setenv("PYNIX_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert codecache.cache_root() == str(tmp_path / "xdg" / "pynix")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert codecache.cache_root() == str(tmp_path / "home" / ".cache" / "pynix")
    monkeypatch.setenv("PYNIX_CACHE", "off")
    assert codecache.cache_root() is None


@pytest.mark.parametrize("size", [0, 1, 4096, 3 * 1024 * 1024 + 7])
def test_read_whole(tmp_path, size):
    p = tmp_path / "f"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    p.write_bytes(data)
    assert codecache.read_whole(str(p)) == data
    with pytest.raises(OSError):
        codecache.read_whole(str(tmp_path / "missing"))
    with pytest.raises(OSError):
        codecache.read_whole(str(tmp_path))          # a folder


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2],                       # truncated
    lambda b: b"",                                    # empty
    lambda b: b"\xff" * len(b),                       # garbage
    lambda b: marshal.dumps(compile("def body(env):\n    return 'stale'\n", "<t>", "exec"))[:5],
    lambda b: marshal.dumps(1),                       # marshal data, but no code
    lambda b: marshal.dumps(compile("def body(env):\n    return 'other'\n", "<other>", "exec")),
])
def test_a_damaged_entry_is_compiled_again(tmp_path, monkeypatch, damage):
    monkeypatch.delenv("PYNIX_CACHE", raising=False)
    monkeypatch.setenv("PYNIX_CACHE_DIR", str(tmp_path))
    codecache.compile_cached(TEXT, "<t>")
    [entry] = _files(tmp_path)
    whole = entry.read_bytes()
    entry.write_bytes(damage(whole))
    g: dict = {}
    exec(codecache.compile_cached(TEXT, "<t>"), g)
    assert g["body"](3)[:2] == [6, ""]
    assert _files(tmp_path) == [entry] and entry.read_bytes() == whole    # written again
