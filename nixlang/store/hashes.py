"""Hashes as Nix knows them: an algorithm and a digest, four text forms.

Mirrors libutil/hash.cc: `Hash::parseAny`, `Hash::parseAnyPrefixed`,
`Hash::parseSRI`, `Hash::parseNonSRIUnprefixed`, `newHashAllowEmpty`,
`Hash::to_string`, `parseHashAlgo`, `hashString`, `HashSink` and
`compressHash`.

How Nix reads a hash string. An optional prefix names the algorithm: `algo:`
(then the rest is base16, nix32 or base64) or `algo-` (SRI, always base64).
Without a prefix the algorithm must come from context (the `algo` argument);
with both they must agree. The encoding of the rest is then decided by its
*length* alone, for the digest size of that algorithm: 2·n characters is
base16, ceil(8n/5) is nix32, 4·ceil(n/3) is base64; anything else is "wrong
length". Only SRI skips the length test and is always base64.

The messages are those of Nix 2.36 (the version the conformance suite pins):
"unknown hash algorithm 'x', expect 'blake3', 'md5', ...", "hash 'x' has wrong
length for hash algorithm 'sha256'", "invalid base-32 hash 'x'", ...

`blake3` is a known algorithm name (so its messages match Nix), and its hashes
can be parsed and printed; computing one needs a BLAKE3 implementation, which
the standard library lacks, so `hash_bytes("blake3", ...)` raises.

`compress_hash` is compressHash: fold a digest to `size` bytes by XOR-ing byte
i into position i mod size. Store paths use it to cut a sha256 down to the
20 bytes of their 32-character hash part.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from . import nixbase32
from .errors import BadHash, FormatError, StoreError, UsageError

#: digest size in bytes of every algorithm Nix knows
HASH_SIZES = {"blake3": 32, "md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}

#: the text forms (`HashFormat`); "base32" is Nix's deprecated alias of "nix32"
FORMATS = ("base16", "nix32", "base64", "sri")

_B64_CHARS = re.compile(rb"[^A-Za-z0-9+/]")
_HEX = re.compile(r"[0-9a-fA-F]*")


def parse_hash_algo(name: str) -> str:
    """parseHashAlgo: the algorithm `name`, or a `UsageError` with Nix's text."""
    if name in HASH_SIZES:
        return name
    raise UsageError(f"unknown hash algorithm '{name}', expect 'blake3', 'md5', 'sha1', 'sha256', "
                     "or 'sha512'")


def parse_hash_algo_opt(name: str) -> str | None:
    """parseHashAlgoOpt: the algorithm `name`, or None when unknown."""
    return name if name in HASH_SIZES else None


def parse_hash_format(name: str) -> tuple[str, bool]:
    """parseHashFormat: (format, deprecated) — `deprecated` is True for "base32",
    for which Nix warns '"base32" is a deprecated alias for hash format "nix32".'"""
    if name == "base32":
        return "nix32", True
    if name in FORMATS:
        return name, False
    raise UsageError(f"unknown hash format '{name}', expect 'base16', 'base32', 'base64', or 'sri'")


def base16_len(algo: str) -> int:
    return HASH_SIZES[algo] * 2


def nix32_len(algo: str) -> int:
    return nixbase32.encoded_len(HASH_SIZES[algo])


def base64_len(algo: str) -> int:
    return ((4 * HASH_SIZES[algo] // 3) + 3) & ~3


def _b64decode_like_nix(text: str) -> bytes:
    """Nix's base64Decode: stops at the first '=', skips newlines, rejects any
    other character outside the alphabet, ignores leftover bits."""
    data = text.encode("utf-8", "surrogateescape").split(b"=", 1)[0].replace(b"\n", b"")
    if _B64_CHARS.search(data):
        raise FormatError("invalid character in Base64 string")
    usable = len(data) - len(data) % 4
    tail = data[usable:]
    out = binascii.a2b_base64(data[:usable]) if usable else b""
    if len(tail) >= 2:  # 2 chars -> 1 byte, 3 chars -> 2 bytes; 1 char holds no whole byte
        out += binascii.a2b_base64(tail + b"=" * (4 - len(tail)))
    return out


@dataclass(frozen=True, order=True)
class Hash:
    """A digest and the algorithm that made it (Nix's `Hash`)."""

    algo: str
    digest: bytes

    def __post_init__(self):
        size = HASH_SIZES.get(self.algo)
        if size is None:
            parse_hash_algo(self.algo)
        if len(self.digest) != size:
            raise BadHash(f"a {self.algo} digest has {size} bytes, not {len(self.digest)}")

    # -- parsing --------------------------------------------------------------------------

    @classmethod
    def parse_any(cls, text: str, algo: str | None = None) -> "Hash":
        """Hash::parseAny: an optional `algo:` / SRI `algo-` prefix, else `algo`
        from context; base16, nix32 or base64 by length."""
        rest, parsed, is_sri = _split_prefix(text)
        if parsed is None and algo is None:
            raise BadHash(f"hash '{rest}' does not include a type, nor is the type otherwise known "
                          "from context")
        if parsed is not None and algo is not None and parsed != algo:
            raise BadHash(f"hash '{text}' should have type '{algo}'")
        return cls._from_rest(rest, parsed or algo, is_sri)

    @classmethod
    def parse_any_prefixed(cls, text: str) -> "Hash":
        """Hash::parseAnyPrefixed: the algorithm must be in the string."""
        rest, parsed, is_sri = _split_prefix(text)
        if parsed is None:
            raise BadHash(f"hash '{rest}' does not include a type")
        return cls._from_rest(rest, parsed, is_sri)

    @classmethod
    def parse_sri(cls, text: str) -> "Hash":
        """Hash::parseSRI: `algo-base64`."""
        algo, sep, rest = text.partition("-")
        if not sep:
            raise BadHash(f"hash '{text}' is not SRI")
        return cls._from_rest(rest, parse_hash_algo(algo), True)

    @classmethod
    def parse_non_sri_unprefixed(cls, text: str, algo: str) -> "Hash":
        """Hash::parseNonSRIUnprefixed: no prefix, encoding by length (how the
        hash field of a .drv output is read)."""
        return cls._from_rest(text, parse_hash_algo(algo), False)

    @classmethod
    def _from_rest(cls, rest: str, algo: str, is_sri: bool) -> "Hash":
        size = HASH_SIZES[algo]
        if not is_sri and len(rest) == 2 * size:
            if not _HEX.fullmatch(rest):
                raise BadHash(f"invalid base-16 hash '{rest}'")
            return cls(algo, bytes.fromhex(rest))
        if not is_sri and len(rest) == nixbase32.encoded_len(size):
            try:
                return cls(algo, nixbase32.decode(rest, size))
            except FormatError:
                raise BadHash(f"invalid base-32 hash '{rest}'") from None
        if is_sri or len(rest) == base64_len(algo):
            try:
                digest = _b64decode_like_nix(rest)
            except (FormatError, binascii.Error):
                digest = b""  # Nix adds a trace to the decoding error and drops it
            if len(digest) != size:
                raise BadHash(f"invalid {'SRI' if is_sri else 'base-64'} hash '{rest}'")
            return cls(algo, digest)
        raise BadHash(f"hash '{rest}' has wrong length for hash algorithm '{algo}'")

    # -- printing -------------------------------------------------------------------------

    @property
    def base16(self) -> str:
        return self.digest.hex()

    @property
    def nix32(self) -> str:
        return nixbase32.encode(self.digest)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.digest).decode("ascii")

    @property
    def sri(self) -> str:
        return f"{self.algo}-{self.base64}"

    def to_string(self, fmt: str = "nix32", include_algo: bool = True) -> str:
        """Hash::to_string: `fmt` is base16, nix32 (alias base32), base64 or sri;
        SRI always names the algorithm (with '-'), the others with ':' when asked."""
        if fmt == "base32":
            fmt = "nix32"
        if fmt == "sri":
            return self.sri
        body = {"base16": self.base16, "nix32": self.nix32, "base64": self.base64}.get(fmt)
        if body is None:
            raise UsageError(f"unknown hash format '{fmt}', expect 'base16', 'base32', 'base64', or 'sri'")
        return f"{self.algo}:{body}" if include_algo else body

    def __str__(self) -> str:
        return self.to_string("nix32", True)


def _split_prefix(text: str) -> tuple[str, str | None, bool]:
    """getParsedTypeAndSRI: (rest, algorithm named by a prefix or None, is SRI)."""
    head, sep, rest = text.partition(":")
    if sep:
        return rest, parse_hash_algo(head), False
    head, sep, rest = text.partition("-")
    if sep:
        return rest, parse_hash_algo(head), True
    return text, None, False


def new_hash_allow_empty(text: str, algo: str | None) -> tuple[Hash, str | None]:
    """newHashAllowEmpty: an empty `outputHash` means the all-zero hash of
    `algo`, with Nix's warning. Returns (hash, warning or None)."""
    if text == "":
        if algo is None:
            raise BadHash("empty hash requires explicit hash algorithm")
        h = Hash(algo, bytes(HASH_SIZES[algo]))
        return h, f"found empty hash, assuming '{h.sri}'"
    return Hash.parse_any(text, algo), None


def _hashlib_new(algo: str):
    if algo == "blake3":
        raise StoreError("blake3 hashes are not implemented in pynix (the Python standard library "
                         "has no BLAKE3)")
    parse_hash_algo(algo)
    return hashlib.new(algo)


def hash_bytes(algo: str, data: bytes | str) -> Hash:
    """hashString: the `algo` hash of `data` (a str is hashed as its UTF-8 bytes,
    surrogate escapes standing for the raw bytes they came from)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    h = _hashlib_new(algo)
    h.update(data)
    return Hash(algo, h.digest())


def sha256(data: bytes | str) -> Hash:
    return hash_bytes("sha256", data)


class HashSink:
    """HashSink: feed bytes with `update` (or call the sink), then `finish()`
    gives (Hash, number of bytes hashed)."""

    __slots__ = ("algo", "_h", "size")

    def __init__(self, algo: str = "sha256"):
        self.algo = algo
        self._h = _hashlib_new(algo)
        self.size = 0

    def update(self, data: bytes) -> None:
        self._h.update(data)
        self.size += len(data)

    __call__ = update

    def finish(self) -> tuple[Hash, int]:
        return Hash(self.algo, self._h.digest()), self.size


def hash_file(algo: str, path, chunk: int = 1 << 16) -> Hash:
    """hashFile: the flat hash of a file's contents (streamed)."""
    sink = HashSink(algo)
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            sink.update(block)
    return sink.finish()[0]


def compress_hash(digest: bytes, size: int) -> bytes:
    """compressHash: fold `digest` to `size` bytes, byte i XOR-ed into i mod size."""
    value = 0
    for start in range(0, len(digest), size):  # one XOR per `size`-byte block, not per byte
        block = digest[start:start + size]
        value ^= int.from_bytes(block.ljust(size, b"\0"), "little")
    return value.to_bytes(size, "little")
