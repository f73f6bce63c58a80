"""Path helpers shared by the runtime (lexical canonicalisation, as Nix's canonPath)."""
from __future__ import annotations


def canon_path(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p == "" or p == ".":
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/" + "/".join(parts)
