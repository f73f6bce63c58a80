"""NAR, the Nix ARchive: the canonical serialisation of a file system tree.

Mirrors `dumpPath` / `dumpString` (libutil/archive.cc) and, for paths copied
into the store, `addToStore` with `FileIngestionMethod::Recursive` /
`makeFixedOutputPath` (what `"${./dir}"`, `builtins.path` and
`builtins.filterSource` compute).

A NAR is a sequence of *strings*: each is its length as a 64-bit little-endian
integer, its bytes, then zero bytes up to a multiple of 8. The tree is written
as

    "nix-archive-1" node
    node      = "(" "type" ( regular | symlink | directory ) ")"
    regular   = "regular" [ "executable" "" ] "contents" <file bytes>
    symlink   = "symlink" "target" <link target>
    directory = "directory" { "entry" "(" "name" <name> "node" node ")" }

with directory entries sorted by name (bytewise). Nothing else is recorded: no
times, owners or permissions except the owner-executable bit. So the NAR —
and its sha256, the store path of `"${./dir}"` — depends only on names,
contents, symlink targets and executability.

Everything streams into a sink (any callable taking bytes, e.g. a `HashSink`),
so hashing a large tree never holds it in memory.
"""
from __future__ import annotations

import os
import stat
import struct
from typing import Callable

from .errors import StoreError, UnsupportedFile
from .hashes import Hash, HashSink, hash_file
from .paths import STORE_DIR, make_fixed_output_path

NAR_VERSION_MAGIC = b"nix-archive-1"
_CHUNK = 1 << 16
_PAD = b"\0" * 8

Sink = Callable[[bytes], object]
#: a path filter gets the absolute path (str, surrogate-escaped) of each entry
#: below the root and says whether to keep it, as `builtins.filterSource`'s does
PathFilter = Callable[[str], bool]


def _str(sink: Sink, data: bytes) -> None:
    """One NAR string: length, bytes, padding."""
    n = len(data)
    sink(struct.pack("<Q", n) + data + _PAD[:-n % 8])


def _tokens(sink: Sink, *words: bytes) -> None:
    sink(b"".join(struct.pack("<Q", len(w)) + w + _PAD[:-len(w) % 8] for w in words))


def dump_string(contents: bytes, sink: Sink) -> None:
    """dumpString: the NAR of a single regular, non-executable file."""
    _tokens(sink, NAR_VERSION_MAGIC, b"(", b"type", b"regular", b"contents")
    _str(sink, contents)
    _tokens(sink, b")")


def _dump_file(path: bytes, size: int, executable: bool, sink: Sink) -> None:
    words = [b"(", b"type", b"regular"]
    if executable:
        words += [b"executable", b""]
    words.append(b"contents")
    _tokens(sink, *words)
    sink(struct.pack("<Q", size))
    written = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(_CHUNK)
            if not block:
                break
            sink(block)
            written += len(block)
    if written != size:
        raise StoreError(f"file '{os.fsdecode(path)}' changed size while it was being read")
    sink(_PAD[:-size % 8] + struct.pack("<Q", 1) + b")" + _PAD[:7])


def _dump(path: bytes, sink: Sink, path_filter: PathFilter | None) -> None:
    st = os.lstat(path)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        _dump_file(path, st.st_size, bool(mode & stat.S_IXUSR), sink)
    elif stat.S_ISDIR(mode):
        _tokens(sink, b"(", b"type", b"directory")
        for name in sorted(os.listdir(path)):
            child = path + b"/" + name if path != b"/" else b"/" + name
            if path_filter is not None and not path_filter(os.fsdecode(child)):
                continue
            _tokens(sink, b"entry", b"(", b"name", name, b"node")
            _dump(child, sink, path_filter)
            _tokens(sink, b")")
        _tokens(sink, b")")
    elif stat.S_ISLNK(mode):
        _tokens(sink, b"(", b"type", b"symlink", b"target", os.readlink(path), b")")
    else:
        raise UnsupportedFile(f"file '{os.fsdecode(path)}' has an unsupported type")


def dump_path(path, sink: Sink, path_filter: PathFilter | None = None) -> None:
    """dumpPath: stream the NAR of `path` (a file, symlink or directory; not
    followed if it is a symlink) into `sink`. `path_filter` is asked about every
    entry below `path` (not about `path` itself)."""
    p = os.fsencode(path)
    _tokens(sink, NAR_VERSION_MAGIC)
    _dump(p, sink, path_filter)


def nar_bytes(path, path_filter: PathFilter | None = None) -> bytes:
    """The whole NAR of `path` in memory (for small trees and tests)."""
    parts: list[bytes] = []
    dump_path(path, parts.append, path_filter)
    return b"".join(parts)


def nar_hash(path, algo: str = "sha256", path_filter: PathFilter | None = None) -> tuple[Hash, int]:
    """The hash of the NAR of `path` and the NAR's size (what `nix-hash --type
    <algo> path` and `nix-store --dump path | <algo>sum` compute)."""
    sink = HashSink(algo)
    dump_path(path, sink.update, path_filter)
    return sink.finish()


def path_store_path(path, name: str | None = None, path_filter: PathFilter | None = None,
                    store_dir: str = STORE_DIR) -> str:
    """The store path `path` is copied to by `"${path}"`, `builtins.path { path;
    name; filter; }` (recursive) and `builtins.filterSource`: a `source` path
    made from the sha256 of its NAR. `name` defaults to the base name."""
    if name is None:
        name = os.path.basename(os.path.normpath(os.fsdecode(path)))
    h, _ = nar_hash(path, "sha256", path_filter)
    return make_fixed_output_path("nar", h, name, store_dir=store_dir)


def flat_file_store_path(path, name: str | None = None, algo: str = "sha256",
                         store_dir: str = STORE_DIR) -> str:
    """The store path of a regular file added *flat* (`builtins.path { path;
    recursive = false; }`): the hash of its bytes, type `output:out`."""
    if name is None:
        name = os.path.basename(os.path.normpath(os.fsdecode(path)))
    if not os.path.isfile(path) or os.path.islink(path):
        raise StoreError(f"file '{os.fsdecode(path)}' is not a regular file; it cannot be added flat")
    return make_fixed_output_path("flat", hash_file(algo, path), name, store_dir=store_dir)
