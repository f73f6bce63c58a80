"""Hashing builtins: `hashString`, `hashFile`, `convertHash`, and the hash
text formats Nix uses (base16, nix32 — Nix's own base-32 with the alphabet
`0123456789abcdfghijklmnpqrsvwxyz` and its reversed bit order —, base64, SRI)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sys

from .. import errors as E
from ..runtime.errors import type_error
from ..runtime.values import Attrs, CtxStr, Path, force
from . import builtin

HASH_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
NIX32_CHARS = "0123456789abcdfghijklmnpqrsvwxyz"


class UsageError(E.EvalError):
    """Nix's UsageError: the CLI prints "Try 'nix-instantiate --help' for more
    information." after the message."""
    code = "E211"
    title = "usage error"
    usage_hint = True


class BadHash(E.EvalError):
    code = "E212"
    title = "bad hash"


# -- helpers -------------------------------------------------------------------------------

def _framed(fn, frame: str):
    """Run `fn()`, adding the trace line Nix adds when it fails."""
    try:
        return fn()
    except E.EvalError as e:
        e.add_frame(frame)
        raise


def force_string_no_ctx(v, frame: str) -> str:
    def go():
        s = force(v)
        if type(s) not in (str, CtxStr):
            raise type_error("a string", s)
        if type(s) is CtxStr and s.context:
            ref = sorted(s.context)[0]
            raise E.EvalError(f"the string '{s}' is not allowed to refer to a store path "
                              f"(such as '{ref}')")
        return str(s)
    return _framed(go, frame)


def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _blake3(ev):
    feats = getattr(getattr(ev, "options", None), "experimental_features", set()) or set()
    if "blake3-hashes" not in feats:
        raise E.EvalError("experimental Nix feature 'blake3-hashes' is disabled; add "
                          "'--extra-experimental-features blake3-hashes' to enable it")
    raise E.NotImplementedYet("blake3 hashes are not implemented in pynix yet")


def parse_hash_algo(name: str, ev=None) -> str:
    """parseHashAlgo: an unknown name is a usage error."""
    if name in HASH_SIZES:
        return name
    if name == "blake3":
        _blake3(ev)
    raise UsageError(f"unknown hash algorithm '{name}', expect 'blake3', 'md5', 'sha1', 'sha256', "
                     "or 'sha512'")


def parse_hash_algo_opt(name: str, ev=None) -> str | None:
    if name == "blake3":
        _blake3(ev)
    return name if name in HASH_SIZES else None


def warn(ev, msg: str) -> None:
    """Nix's `warn`: a `warning:` line on stderr (through the evaluator's hook when it has one)."""
    hook = getattr(ev, "warn", None)
    if callable(hook):
        hook(msg)
    else:
        sys.stderr.write(f"warning: {msg}\n")
        sys.stderr.flush()


def parse_hash_format(ev, name: str) -> str:
    if name in ("base16", "nix32", "base64", "sri"):
        return name
    if name == "base32":
        warn(ev, '"base32" is a deprecated alias for hash format "nix32".')
        return "nix32"
    raise UsageError(f"unknown hash format '{name}', expect 'base16', 'base32', 'base64', or 'sri'")


def nix32_len(size: int) -> int:
    return (size * 8 - 1) // 5 + 1


def nix32_encode(h: bytes) -> str:
    out = []
    size = len(h)
    for n in range(nix32_len(size) - 1, -1, -1):
        b = n * 5
        i, j = b // 8, b % 8
        c = h[i] >> j
        if i < size - 1:
            c |= h[i + 1] << (8 - j)
        out.append(NIX32_CHARS[c & 0x1f])
    return "".join(out)


def nix32_decode(s: str, size: int) -> bytes:
    h = bytearray(size)
    for n in range(len(s)):
        c = s[len(s) - n - 1]
        digit = NIX32_CHARS.find(c)
        if digit < 0:
            raise BadHash(f"invalid base-32 hash '{s}'")
        b = n * 5
        i, j = b // 8, b % 8
        h[i] |= (digit << j) & 0xff
        if i < size - 1:
            h[i + 1] |= digit >> (8 - j)
        elif digit >> (8 - j):
            raise BadHash(f"invalid base-32 hash '{s}'")
    return bytes(h)


def format_hash(algo: str, h: bytes, fmt: str, include_algo: bool = False) -> str:
    prefix = ""
    if fmt == "sri" or include_algo:
        prefix = algo + ("-" if fmt == "sri" else ":")
    if fmt == "base16":
        return prefix + h.hex()
    if fmt == "nix32":
        return prefix + nix32_encode(h)
    return prefix + base64.b64encode(h).decode("ascii")


def parse_any_hash(text: str, algo: str | None, ev=None) -> tuple[str, bytes]:
    """Hash::parseAny: `algo:body`, `algo-base64` (SRI), or a bare body whose
    length tells base16 / nix32 / base64 apart."""
    rest = text
    parsed = None
    is_sri = False
    if ":" in rest:
        head, rest = rest.split(":", 1)
        parsed = parse_hash_algo(head, ev)
    elif "-" in rest:
        head, rest = rest.split("-", 1)
        is_sri = True
        parsed = parse_hash_algo(head, ev)
    if parsed is None and algo is None:
        raise BadHash(f"hash '{rest}' does not include a type, nor is the type otherwise known from context")
    if parsed is not None and algo is not None and parsed != algo:
        raise BadHash(f"hash '{text}' should have type '{algo}'")
    algo = parsed or algo
    size = HASH_SIZES[algo]
    if not is_sri and len(rest) == size * 2:
        try:
            if not all(c in "0123456789abcdefABCDEF" for c in rest):
                raise ValueError
            return algo, bytes.fromhex(rest)
        except ValueError:
            raise BadHash(f"invalid base-16 hash '{rest}'") from None
    if not is_sri and len(rest) == nix32_len(size):
        return algo, nix32_decode(rest, size)
    if is_sri or len(rest) == ((4 * size // 3) + 3) & ~3:
        try:
            d = base64.b64decode(rest.encode("utf-8", "surrogateescape"), validate=True)
        except (binascii.Error, ValueError):
            raise BadHash(f"invalid {'SRI' if is_sri else 'base-64'} hash '{rest}'") from None
        if len(d) != size:
            raise BadHash(f"invalid {'SRI' if is_sri else 'base-64'} hash '{rest}'")
        return algo, d
    raise BadHash(f"hash '{rest}' has wrong length for hash algorithm '{algo}'")


def hash_bytes(algo: str, data: bytes) -> bytes:
    return hashlib.new(algo, data).digest()


# -- builtins ------------------------------------------------------------------------------

@builtin("hashString", 2)
def _hash_string(ev, algo, s):
    """Hash a string with `md5`, `sha1`, `sha256` or `sha512`, giving hexadecimal:
    `builtins.hashString "sha1" ""` is `"da39a3ee5e6b4b0d3255bfef95601890afd80709"`."""
    name = force_string_no_ctx(algo, "while evaluating the first argument passed to builtins.hashString")
    a = parse_hash_algo(name, ev)

    def text():
        v = force(s)
        if type(v) not in (str, CtxStr):
            raise type_error("a string", v)
        return str(v)
    data = _framed(text, "while evaluating the second argument passed to builtins.hashString")
    return hash_bytes(a, to_bytes(data)).hex()


def _realise_path(ev, v) -> str:
    """coerceToPath: the file a path value names, or a string (or a set with
    `__toString` / `outPath`) holding an absolute path."""
    p = force(v)
    if type(p) is Path:
        return p.path
    from ..runtime import ops
    ctx: set = set()
    try:
        s = ops.coerce_to_string(p, ctx, interp=True, call=ev.call)
    except E.EvalError as e:
        e.add_frame("while realising the context of a path")
        raise
    if not s.startswith("/"):
        raise E.EvalError(f"string '{s}' doesn't represent an absolute path")
    return s


def read_file_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise E.EvalError(f"path '{path}' does not exist") from None
    except IsADirectoryError:
        raise E.EvalError(f"file '{path}' is not a regular file") from None
    except OSError as exc:
        raise E.EvalError(f"opening file '{path}': {exc.strerror}") from None


@builtin("hashFile", 2)
def _hash_file(ev, algo, path):
    """Hash the contents of a file, giving hexadecimal:
    `builtins.hashFile "sha256" ./data`."""
    name = force_string_no_ctx(algo, "while evaluating the first argument passed to builtins.hashFile")
    a = parse_hash_algo(name, ev)
    p = _realise_path(ev, path)
    return hash_bytes(a, read_file_bytes(os.path.normpath(p) if p != "/" else p)).hex()


@builtin("convertHash", 1)
def _convert_hash(ev, args):
    """Rewrite a hash in another format (`base16`, `nix32`, `base64` or `sri`):
    `builtins.convertHash { hash = "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"; toHashFormat = "nix32"; }`."""
    def attrs():
        a = force(args)
        if type(a) is not Attrs:
            raise type_error("a set", a)
        return a
    a = _framed(attrs, "while evaluating the first argument passed to builtins.convertHash")

    def get(name):
        if name not in a.d:
            err = E.MissingAttr(f"attribute '{name}' missing")
            err.add_frame(f"while locating the attribute '{name}'")
            raise err
        return a.d[name]

    text = force_string_no_ctx(get("hash"), "while evaluating the attribute 'hash'")
    algo = None
    if "hashAlgo" in a.d:
        algo = parse_hash_algo(force_string_no_ctx(a.d["hashAlgo"], "while evaluating the attribute 'hashAlgo'"), ev)
    fmt = parse_hash_format(ev, force_string_no_ctx(get("toHashFormat"),
                                                    "while evaluating the attribute 'toHashFormat'"))
    algo, h = parse_any_hash(text, algo, ev)
    return format_hash(algo, h, fmt, fmt == "sri")
