"""The store layer: Nix's store formats and store path arithmetic, in pure Python.

It imports nothing from the rest of pynix (only the standard library), so it
can be used — and tested — on its own, and the evaluator sits on top of it.

    nixbase32     Nix's base-32 (printHash32)
    hashes        Hash: parse/print base16, nix32, base64, SRI; compressHash
    paths         store path names, makeStorePath and the paths built on it
    placeholders  hashPlaceholder, DownstreamPlaceholder
    aterm         the bytes of a .drv file (syntax only)
    derivation    Derivation, hashDerivationModulo, output and .drv paths, JSON
    nar           NAR serialisation, NAR hashes, the store path of a copied path
    local         the on-disk store: atomic, idempotent writes under a chosen root
    db            Nix's SQLite database of valid paths (PathInfo, register_valid_paths)
    pathinfo      ValidPathInfo; registering and querying valid paths
    build         building derivations (Nix's Worker), with refscan (references
                  of outputs) and sandbox (bubblewrap); imported on demand
    daemon        a client of the Nix daemon (worker protocol): writes, builds
    query         nix-store -q, nix path-info and nix why-depends over the database
    graph         build plans and closures as JSON, dot, SVG and HTML
    errors        StoreError and its kinds (Nix's messages)

What the evaluator calls:

- `derivationStrict`: build a `Derivation` (name, platform, builder, args, env,
  input_srcs, `add_input_drv(path, output)`, `structured_attrs`), then
  `instantiate(drv, outputs, hasher, fixed=CAFixed(method, Hash) | None,
  content_addressed=(method, algo) | None, impure=False)` with one
  `ModuloHasher` per evaluator; it returns the .drv path, its bytes and each
  output's path (or downstream placeholder).
- `builtins.toFile name text` (references = store paths in the context):
  `store_path_for_text(name, text, references)`.
- a path copied to the store (`"${./dir}"`, `builtins.path`,
  `filterSource`): `path_store_path(path, name=None, path_filter=None)`;
  flat: `flat_file_store_path(path, name)`.
- `builtins.placeholder`: `hash_placeholder(output)`.
"""
from __future__ import annotations

from .derivation import (CAFixed, CAFloating, Deferred, Derivation, DrvHash, Impure, InputAddressed, InputDrv,
                         Instantiated, ModuloHasher, check_invariants, derivation_path, fill_in_output_paths,
                         from_json, hash_derivation_modulo, instantiate, parse_derivation, read_derivation_file,
                         set_outputs, to_json, to_legacy_json, try_resolve)
from .errors import (BadHash, BadStorePath, BadStorePathName, FormatError, InvalidDerivation, StoreError,
                     UnsupportedFile, UsageError)
from .hashes import Hash, HashSink, compress_hash, hash_bytes, hash_file, new_hash_allow_empty, parse_hash_algo
from .nar import dump_path, dump_string, flat_file_store_path, nar_bytes, nar_hash, path_store_path
from .local import LocalStore, default_root, remove_path
from .db import PathInfo, StoreDB
from .paths import (STORE_DIR, StorePath, check_name, make_fixed_output_path, make_output_path,
                    make_store_path, make_text_path, output_path_name, parse_store_path, store_path_for_text)
from .placeholders import downstream_placeholder, dynamic_placeholder, hash_placeholder

__all__ = [
    "LocalStore", "PathInfo", "StoreDB", "default_root", "remove_path", "BadHash", "BadStorePath", "BadStorePathName", "CAFixed", "CAFloating", "Deferred", "Derivation", "DrvHash",
    "FormatError", "Hash", "HashSink", "Impure", "InputAddressed", "InputDrv", "Instantiated", "InvalidDerivation",
    "ModuloHasher", "STORE_DIR", "StoreError", "StorePath", "UnsupportedFile", "UsageError", "check_invariants",
    "check_name", "compress_hash", "derivation_path", "downstream_placeholder", "dump_path", "dump_string",
    "dynamic_placeholder", "fill_in_output_paths", "flat_file_store_path", "from_json", "hash_bytes",
    "hash_derivation_modulo", "hash_file", "hash_placeholder", "instantiate", "make_fixed_output_path",
    "make_output_path", "make_store_path", "make_text_path", "nar_bytes", "nar_hash", "new_hash_allow_empty",
    "output_path_name", "parse_derivation", "parse_hash_algo", "parse_store_path", "path_store_path",
    "read_derivation_file", "set_outputs", "store_path_for_text", "to_json", "to_legacy_json", "try_resolve",
]
