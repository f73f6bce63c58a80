"""Store paths: `/nix/store/<32 nix32 chars>-<name>`, and how Nix computes them.

Mirrors libstore's path.cc (`checkName`, the `StorePath` constructors),
store-dir-config.cc (`makeStorePath`, `makeType`, `makeOutputPath`,
`makeFixedOutputPath`, `makeTextPath`, `parseStorePath`) and
derivations.cc (`outputPathName`).

Every store path is made the same way (makeStorePath): build the fingerprint

    <type>:<algo>:<base16 digest>:<store dir>:<name>

e.g. `output:out:sha256:9f86...:/nix/store:hello`, take its sha256, fold that
to 20 bytes with compressHash, and print those in nix32: 32 characters. What
varies is the type and the hash fed in:

| what | type | hash |
| --- | --- | --- |
| derivation output (input-addressed) | `output:<output name>` | hashDerivationModulo of the .drv |
| `builtins.toFile`, a `.drv` file | `text[:<ref>...]` | sha256 of the contents |
| a path added to the store (`"${./dir}"`), a recursive sha256 fixed output | `source[:<ref>...][:self]` | sha256 of the NAR serialisation |
| any other fixed output | `output:out` | sha256 of `fixed:out:<r:>algo:<base16>:` |

References (other store paths the object mentions) are appended to the type,
each as `:<absolute path>`, in sorted order — that is how a text file that
mentions another store path gets a different address than one that does not.

The store directory is part of every fingerprint, so the same expression has
other paths under another store dir; every function takes `store_dir`
(default `/nix/store`, `NIX_STORE_DIR` is the evaluator's business).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from . import nixbase32
from .errors import BadStorePath, BadStorePathName, StoreError
from .hashes import Hash, compress_hash, sha256

STORE_DIR = "/nix/store"
HASH_PART_LEN = 32
#: the longest allowed name (Nix's StorePath::MaxPathLen)
MAX_NAME_LEN = 211
DRV_EXTENSION = ".drv"

_NAME_OK = re.compile(r"[A-Za-z0-9+\-._?=]*")
_NAME_BAD_CHAR = re.compile(r"[^A-Za-z0-9+\-._?=]")
_HASH_BAD_CHAR = re.compile(r"[^0-9a-df-np-sv-z]")  # a-z and digits without e, o, u, t


def check_name(name: str) -> None:
    """checkName: raise `BadStorePathName` with Nix's message when `name` cannot
    be the name part of a store path. Allowed: ASCII letters and digits and
    `+ - . _ ? =`, 1 to 211 characters, and not `.`/`..` alone or followed by a
    dash."""
    if not name:
        raise BadStorePathName("name must not be empty")
    if len(name) > MAX_NAME_LEN:
        raise BadStorePathName(f"name '{name}' must be no longer than {MAX_NAME_LEN} characters")
    if name[0] == ".":
        if name in (".", ".."):
            raise BadStorePathName(f"name '{name}' is not valid")
        if name.startswith(".-"):
            raise BadStorePathName(f"name '{name}' is not valid: first dash-separated component must not "
                                   "be '.'")
        if name.startswith("..-"):
            raise BadStorePathName(f"name '{name}' is not valid: first dash-separated component must not "
                                   "be '..'")
    if not _NAME_OK.fullmatch(name):
        bad = _NAME_BAD_CHAR.search(name).group()
        raise BadStorePathName(f"name '{name}' contains illegal character '{bad}'")


def _check_path_name(base_name: str, name: str) -> None:
    try:
        check_name(name)
    except BadStorePathName as e:
        raise BadStorePath(f"path '{base_name}' is not a valid store path: {e.message}") from None


@dataclass(frozen=True, order=True)
class StorePath:
    """A store path without its store directory: hash part and name (Nix's
    `StorePath`, whose text is the base name `<hash>-<name>`). Ordered by base
    name, as Nix orders them."""

    hash_part: str
    name: str

    @classmethod
    def from_base_name(cls, base_name: str) -> "StorePath":
        """The StorePath(std::string_view) constructor: validates the hash part's
        alphabet and the name."""
        if len(base_name) < HASH_PART_LEN + 1:
            raise BadStorePath(f"'{base_name}' is too short to be a valid store path")
        hash_part = base_name[:HASH_PART_LEN]
        bad = _HASH_BAD_CHAR.search(hash_part)
        if bad is not None:
            raise BadStorePath(f"store path '{base_name}' contains illegal base-32 character "
                               f"'{bad.group()}'")
        name = base_name[HASH_PART_LEN + 1:]
        _check_path_name(base_name, name)
        return cls(hash_part, name)

    @classmethod
    def from_digest(cls, digest: bytes, name: str) -> "StorePath":
        """StorePath(hash, name): a 20-byte digest and a name."""
        hash_part = nixbase32.encode(digest)
        _check_path_name(f"{hash_part}-{name}", name)
        return cls(hash_part, name)

    @property
    def base_name(self) -> str:
        return f"{self.hash_part}-{self.name}"

    @property
    def digest(self) -> bytes:
        return nixbase32.decode(self.hash_part, 20)

    def is_derivation(self) -> bool:
        return self.name.endswith(DRV_EXTENSION)

    def drv_name(self) -> str:
        """The derivation name of a `.drv` path (its name without `.drv`)."""
        if not self.is_derivation():
            raise BadStorePath(f"store path '{self.base_name}' is not a valid derivation path")
        return self.name[:-len(DRV_EXTENSION)]

    def absolute(self, store_dir: str = STORE_DIR) -> str:
        """printStorePath."""
        return f"{store_dir}/{self.base_name}"

    def __str__(self) -> str:
        return self.base_name


def canon_path(path: str) -> str:
    """canonPath, lexically: absolute, no `.`/`..` components, no doubled or
    trailing slashes."""
    if not path.startswith("/"):
        raise StoreError(f"not an absolute path: '{path}'")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def parse_store_path(path: str, store_dir: str = STORE_DIR) -> StorePath:
    """parseStorePath: an absolute path directly inside `store_dir` (after
    canonicalisation), e.g. `/nix/store/<hash>-x`."""
    p = canon_path(path)
    parent, _, base = p.rpartition("/")
    if (parent or "/") != store_dir:
        raise BadStorePath(f"path '{p}' is not in the Nix store")
    return StorePath.from_base_name(base)


def parse_store_path_canonical(path: str, store_dir: str = STORE_DIR) -> StorePath:
    """parseStorePathCanonical: like `parse_store_path`, but the text must
    already be canonical (how .drv files must write their store paths)."""
    sp = parse_store_path(path, store_dir)
    if sp.absolute(store_dir) != path:
        raise BadStorePath(f"path '{path}' is not a canonical store path")
    return sp


def is_store_path(path: str, store_dir: str = STORE_DIR) -> bool:
    try:
        parse_store_path(path, store_dir)
        return True
    except StoreError:
        return False


def to_store_path(path: str, store_dir: str = STORE_DIR) -> tuple[StorePath, str]:
    """toStorePath: split a path *inside* a store object into the store path and
    the rest (e.g. `/nix/store/<h>-x/bin/sh` -> (StorePath, "/bin/sh"))."""
    if not path.startswith(store_dir + "/"):
        raise BadStorePath(f"path '{path}' is not in the Nix store")
    rest = path[len(store_dir) + 1:]
    base, slash, sub = rest.partition("/")
    return StorePath.from_base_name(base), slash + sub


def output_path_name(drv_name: str, output_name: str) -> str:
    """outputPathName: `name` for the output "out", `name-<output>` otherwise."""
    return drv_name if output_name == "out" else f"{drv_name}-{output_name}"


def make_type(type_: str, references: Iterable[str] = (), self_reference: bool = False) -> str:
    """makeType: the type with `:<absolute path>` per reference (sorted) and
    `:self` for a self-reference. `references` are absolute store paths."""
    out = type_
    for ref in sorted(set(references)):
        out += ":" + ref
    if self_reference:
        out += ":self"
    return out


def make_store_path(type_: str, hash_: Hash, name: str, store_dir: str = STORE_DIR) -> str:
    """makeStorePath: the absolute store path for fingerprint
    `<type>:<algo>:<base16>:<store dir>:<name>`."""
    fingerprint = f"{type_}:{hash_.algo}:{hash_.base16}:{store_dir}:{name}"
    digest = compress_hash(sha256(fingerprint).digest, 20)
    return StorePath.from_digest(digest, name).absolute(store_dir)


def make_output_path(output_name: str, drv_hash: Hash, drv_name: str, store_dir: str = STORE_DIR) -> str:
    """makeOutputPath: where output `output_name` of an input-addressed
    derivation goes, from its hashDerivationModulo `drv_hash`."""
    return make_store_path("output:" + output_name, drv_hash, output_path_name(drv_name, output_name),
                           store_dir)


#: how `ContentAddressMethod` is written before the algorithm in a .drv
#: (`makeFileIngestionPrefix` / `renderPrefix`): flat is "", NAR "r:", ...
METHOD_PREFIXES = {"flat": "", "nar": "r:", "text": "text:", "git": "git:"}


def make_fixed_output_path(method: str, hash_: Hash, name: str, references: Iterable[str] = (),
                           self_reference: bool = False, store_dir: str = STORE_DIR) -> str:
    """makeFixedOutputPath (via makeFixedOutputPathFromCA for `text`).

    `method` is "flat" (the hash of the file's bytes), "nar" (recursive: the hash
    of its NAR serialisation), "text" or "git". NAR + sha256 is the `source`
    type and may have references; every other combination hashes
    `fixed:out:<prefix><algo>:<base16>:` and uses type `output:out`.
    """
    references = list(references)
    if method == "text":
        if self_reference:
            raise StoreError("text-hashed store objects cannot refer to themselves")
        return make_text_path(name, hash_, references, store_dir)
    if method not in METHOD_PREFIXES:
        raise StoreError(f"unknown content-addressing method '{method}'")
    if method == "git" and hash_.algo not in ("sha1", "sha256"):
        raise StoreError(f"Git file ingestion must use SHA-1 or SHA-256 hash, but instead using: {hash_.algo}")
    if method == "nar" and hash_.algo == "sha256":
        return make_store_path(make_type("source", references, self_reference), hash_, name, store_dir)
    if references or self_reference:
        raise StoreError(f"fixed output derivation '{name}' is not allowed to refer to other store paths.\n"
                         "You may need to use the 'unsafeDiscardReferences' derivation attribute, see the "
                         "manual for more details.")
    inner = sha256(f"fixed:out:{METHOD_PREFIXES[method]}{hash_.algo}:{hash_.base16}:")
    return make_store_path("output:out", inner, name, store_dir)


def make_text_path(name: str, hash_: Hash, references: Iterable[str] = (), store_dir: str = STORE_DIR) -> str:
    """makeTextPath: a text object (`builtins.toFile`, a `.drv`): type `text`
    plus references, hash = sha256 of the contents."""
    if hash_.algo != "sha256":
        raise StoreError(f"Hash algorithm mismatch for text hashing: expected sha256, got {hash_.algo}")
    return make_store_path(make_type("text", references), hash_, name, store_dir)


def store_path_for_text(name: str, text: bytes | str, references: Iterable[str] = (),
                        store_dir: str = STORE_DIR) -> str:
    """computeStorePathForText: where `builtins.toFile name text` (and a .drv
    file) lands; `references` are the store paths in the text's context."""
    return make_text_path(name, sha256(text), references, store_dir)
