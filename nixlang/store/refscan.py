"""Finding the references of a build output (Nix's RefScanSink and
scanForReferences).

A store path's hash part is 32 characters of Nix's base-32 alphabet, so a
reference is any place where the hash part of a candidate path appears in
the output's NAR serialisation: in file contents, file names or symlink
targets. Like Nix, the scan is a search for the hash parts only (not the
whole path), over the NAR stream, so it needs no knowledge of file formats.
The candidates are the paths the builder could see: its input closure and
the derivation's own outputs.
"""
from __future__ import annotations

import re
from typing import Iterable

from .nixbase32 import ALPHABET

HASH_LEN = 32
# a run of base-32 characters long enough to hold a hash part
_RUN = re.compile(b"[" + ALPHABET.encode() + b"]{%d,}" % HASH_LEN)


def hash_part(store_path: str) -> str:
    """The 32-character hash part of a store path's base name."""
    return store_path.rpartition("/")[2][:HASH_LEN]


class RefScanSink:
    """A NAR sink that records which of `hashes` occur in the stream. Data
    comes in chunks; the last 31 bytes of each are kept, so a hash split
    between two chunks is still found."""

    def __init__(self, hashes: Iterable[str]):
        self.wanted = {h.encode() for h in hashes}
        self.seen: set[bytes] = set()
        self._tail = b""

    def __call__(self, data: bytes) -> None:
        if not self.wanted:
            return
        buf = self._tail + data
        for m in _RUN.finditer(buf):
            run = m.group()
            for i in range(len(run) - HASH_LEN + 1):
                window = run[i:i + HASH_LEN]
                if window in self.wanted:
                    self.seen.add(window)
                    self.wanted.discard(window)
        self._tail = buf[-(HASH_LEN - 1):]

    def found(self) -> set[str]:
        return {h.decode() for h in self.seen}


def scan_for_references(nar_chunks: Iterable[bytes], candidates: Iterable[str]) -> set[str]:
    """The candidate store paths whose hash parts occur in the NAR."""
    by_hash = {hash_part(p): p for p in candidates}
    sink = RefScanSink(by_hash)
    for chunk in nar_chunks:
        sink(chunk)
    return {by_hash[h] for h in sink.found()}
