"""Placeholders: strings that stand for store paths not known at evaluation time.

Mirrors `hashPlaceholder` (libstore/derivations.cc) and `DownstreamPlaceholder`
(libstore/downstream-placeholder.cc). Each is `/` followed by the nix32 text
of a full sha256 (52 characters), so it looks like an absolute path and is
rewritten to the real path once that is known.

- `hash_placeholder("out")` is what `builtins.placeholder "out"` returns: the
  derivation's *own* output, replaced when it is built (and what the env of a
  content-addressed derivation holds for each output). It hashes
  `nix-output:<output name>`.
- `downstream_placeholder(drv_path, output)` stands for an output of *another*
  derivation whose path is not known yet (a floating content-addressed or
  deferred one): DownstreamPlaceholder::unknownCaOutput, hashing
  `nix-upstream-output:<drv hash part>:<output path name>`. The evaluator
  uses it as that derivation's `outPath`; resolving the dependent derivation
  rewrites it to the built path.
- `dynamic_placeholder(placeholder, output)` is
  DownstreamPlaceholder::unknownDerivation, for an output of a derivation that
  is itself the output of a derivation (dynamic derivations).
"""
from __future__ import annotations

from . import nixbase32
from .hashes import compress_hash, sha256
from .paths import STORE_DIR, output_path_name, parse_store_path


def hash_placeholder(output_name: str) -> str:
    """hashPlaceholder: `builtins.placeholder output_name`."""
    return "/" + sha256("nix-output:" + output_name).nix32


def _downstream_digest(drv_path: str, output_name: str, store_dir: str) -> bytes:
    sp = parse_store_path(drv_path, store_dir)
    clear = f"nix-upstream-output:{sp.hash_part}:{output_path_name(sp.drv_name(), output_name)}"
    return sha256(clear).digest


def downstream_placeholder(drv_path: str, output_name: str, store_dir: str = STORE_DIR) -> str:
    """DownstreamPlaceholder::unknownCaOutput(drvPath, outputName).render()."""
    return "/" + nixbase32.encode(_downstream_digest(drv_path, output_name, store_dir))


def dynamic_placeholder(placeholder: str, output_name: str) -> str:
    """DownstreamPlaceholder::unknownDerivation(placeholder, outputName).render():
    `placeholder` is a rendered placeholder (e.g. from `downstream_placeholder`)."""
    digest = nixbase32.decode(placeholder[1:], 32)
    clear = f"nix-computed-output:{nixbase32.encode(compress_hash(digest, 20))}:{output_name}"
    return "/" + sha256(clear).nix32
