"""Path helpers shared by the runtime: lexical canonicalisation as Nix's
canonPath (the parser already needs it for path literals; one implementation)."""
from __future__ import annotations

from ..syntax.builder import canon_path  # noqa: F401
