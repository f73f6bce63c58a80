"""Nix's base-32 ("nix32"): the text of store path hashes and `--base32` hashes.

Mirrors `printHash32` and the base-32 branch of `Hash::Hash(std::string_view,
...)` in libutil/hash.cc.

The alphabet is `0123456789abcdfghijklmnpqrsvwxyz` — the digits and the
lowercase letters without e, o, u and t (so no rude words can appear). The bit
order is Nix's own and is *not* RFC 4648: read the input bytes as one
little-endian integer, then print that integer in base 32, most significant
digit first, with exactly ceil(8·n/5) digits. (Nix's loop says the same thing
digit by digit: digit k, counted from the end, holds bits 5k..5k+4 of the
little-endian bit string.) A 20-byte store path hash is 32 characters, a sha256
is 52.

Because the digits of an integer are the same whichever way it is cut, both
directions here let C code do the work: the integer is shifted so that its bit
length is a multiple of 40, written big-endian, and handed to
`base64.b32encode`/`b32decode`, whose RFC alphabet is then translated to
Nix's. No Python loop runs per byte or per digit.
"""
from __future__ import annotations

import base64
import re

from .errors import FormatError

ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz"
_RFC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_NIX = str.maketrans(_RFC, ALPHABET)
_TO_RFC = str.maketrans(ALPHABET, _RFC)
_INVALID = re.compile(f"[^{ALPHABET}]")


def encoded_len(n_bytes: int) -> int:
    """Number of nix32 digits for `n_bytes` bytes (Nix's `base32Len`)."""
    return (n_bytes * 8 - 1) // 5 + 1 if n_bytes else 0


def decoded_len(n_chars: int) -> int:
    """Number of bytes a nix32 string of `n_chars` digits holds."""
    return n_chars * 5 // 8


_PAIRS = [hi + lo for hi in ALPHABET for lo in ALPHABET]  # two digits for each 10 bits


def encode(data: bytes) -> str:
    """printHash32: the nix32 text of `data`. Digit n is bits 5n..5n+4 of the
    bytes read as one little-endian number, printed from the highest n down;
    they are taken two at a time (a table of the 1024 pairs)."""
    n = len(data)
    if n == 0:
        return ""
    length = encoded_len(n)
    value = int.from_bytes(data, "little")
    text = "".join([_PAIRS[(value >> shift) & 1023] for shift in range(10 * ((length - 1) // 2), -1, -10)])
    return text[-length:]


def is_valid(text: str) -> bool:
    """True when every character of `text` is a nix32 digit."""
    return _INVALID.search(text) is None


def decode(text: str, n_bytes: int | None = None) -> bytes:
    """Parse nix32 `text` into `n_bytes` bytes (by default as many as its length
    holds). Raises `FormatError` on a character outside the alphabet, on a
    length that is not the encoding of `n_bytes` bytes, and on set bits beyond
    the last byte (as Nix does: "invalid base-32 hash")."""
    bad = _INVALID.search(text)
    if bad is not None:
        raise FormatError(f"invalid character '{bad.group()}' in base-32 string '{text}'")
    if n_bytes is None:
        n_bytes = decoded_len(len(text))
    if encoded_len(n_bytes) != len(text):
        raise FormatError(f"base-32 string '{text}' has wrong length for {n_bytes} bytes")
    if n_bytes == 0:
        return b""
    bits = 5 * len(text)
    pad = -bits % 40
    rfc = text.translate(_TO_RFC) + "A" * (pad // 5)
    value = int.from_bytes(base64.b32decode(rfc), "big") >> pad
    if value >> (8 * n_bytes):
        raise FormatError(f"invalid base-32 string '{text}': bits set beyond the last byte")
    return value.to_bytes(n_bytes, "little")
