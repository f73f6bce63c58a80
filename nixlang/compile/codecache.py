"""Tier 2's compiled code, kept between runs: `nixlang.codecache` (shared with
the record classes' methods), in its `tier2/` folder."""
from __future__ import annotations

from ..codecache import cache_root, compile_cached  # noqa: F401
