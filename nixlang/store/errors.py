"""The store layer's errors.

The store layer imports nothing from the rest of pynix, so it has its own small
hierarchy. Each class is named after the C++ Nix exception it stands for and
carries Nix's message text unchanged in `message` (and `str(e)`); the evaluator
catches `StoreError` and re-raises it as its own error kind with the same text
(adding context such as "invalid derivation name: ...").
"""
from __future__ import annotations


class StoreError(Exception):
    """Base of every store-layer error (Nix's `Error`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(StoreError):
    """Nix's `UsageError`, e.g. an unknown hash algorithm name."""


class BadHash(StoreError):
    """Nix's `BadHash`: a hash string that cannot be parsed."""


class BadStorePathName(StoreError):
    """Nix's `BadStorePathName`: the name part of a store path is invalid."""


class BadStorePath(StoreError):
    """Nix's `BadStorePath`: not a valid store path (or not in the store)."""


class FormatError(StoreError):
    """Nix's `FormatError`: a malformed derivation (ATerm or JSON) or NAR."""


class InvalidDerivation(StoreError):
    """A derivation that parses but breaks an invariant (wrong output path, mixed
    output kinds, ...)."""


class UnsupportedFile(StoreError):
    """A file NAR serialisation cannot represent (socket, fifo, device)."""


class BuildError(StoreError):
    """Nix's `BuildError`: a derivation could not be built. `status` is the
    exit status Nix's worker gives for it (100: the builder failed, 102: a
    fixed output's hash did not match, 1: anything else)."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status
