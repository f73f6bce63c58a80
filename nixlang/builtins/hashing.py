"""Hashing builtins: `hashString`, `hashFile`, `convertHash`, and the Nix-facing
side of hashes: algorithm and format names with their evaluation errors and
warnings. Parsing and printing the text forms (base16, nix32, base64, SRI) is
the store layer's `Hash` (nixlang/store/hashes.py); errors keep its text."""
from __future__ import annotations

import os
import sys

from .. import errors as E
from ..runtime.errors import type_error
from ..runtime.memory_guard import read_all
from ..runtime.values import Attrs, CtxStr, Path, force
from . import builtin

HASH_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}


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


def format_hash(algo: str, h: bytes, fmt: str, include_algo: bool = False) -> str:
    """Hash::to_string (the store layer's `Hash` does the encoding)."""
    from ..store.hashes import Hash     # imported when used: the store package is not needed at start-up
    return Hash(algo, h).to_string(fmt, include_algo or fmt == "sri")


def parse_any_hash(text: str, algo: str | None, ev=None) -> tuple[str, bytes]:
    """Hash::parseAny, by the store layer's `Hash.parse_any`, with its errors
    turned into evaluation errors (same text). `blake3` first asks for its
    experimental feature, as parseHashAlgo does in Nix."""
    head, sep, _ = text.partition(":")
    if not sep:
        head, sep, _ = text.partition("-")
    if algo == "blake3" or (sep and head == "blake3"):
        _blake3(ev)
    from ..store.errors import StoreError, UsageError as StoreUsageError
    from ..store.hashes import Hash
    try:
        h = Hash.parse_any(text, algo)
    except StoreUsageError as e:
        raise UsageError(str(e)) from None
    except StoreError as e:
        raise BadHash(str(e)) from None
    return h.algo, h.digest


def hash_bytes(algo: str, data: bytes) -> bytes:
    import hashlib      # here: its OpenSSL start is 2 ms that `-E 1` need not pay
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
        raise E.EvalError(f"string '{s}' doesn't represent an absolute path").tagged("not-absolute", string=s)
    return s


def read_file_bytes(ev, path: str) -> bytes:
    from .filesystem import open_to_read
    try:
        with open_to_read(ev, path) as f:
            return read_all(f)
    except FileNotFoundError:
        raise E.EvalError(f"path '{path}' does not exist").tagged("no-such-path", path=path) from None
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
    p = os.path.normpath(p) if p != "/" else p
    from .filesystem import check_access, resolve_symlinks
    check_access(ev, p)         # realisePath: pure and restricted evaluation check the file, and where it leads
    if getattr(ev.options, "pure_eval", False) or getattr(ev.options, "restrict_eval", False):
        check_access(ev, resolve_symlinks(p))
    return hash_bytes(a, read_file_bytes(ev, p)).hex()


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
