"""Shared test helpers: where the conformance suite lives, and small parse helpers."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SUITE = SHARED / "conformance" / "nix-lang"


def suite_available() -> bool:
    return SUITE.is_dir()


needs_suite = pytest.mark.skipif(not SUITE.is_dir(),
                                 reason=f"conformance suite not found at {SUITE} (../shared is absent)")
