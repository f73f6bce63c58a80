"""Explanations the editor can open: the `codeDescription` link of a diagnostic.

LSP lets a diagnostic carry `codeDescription.href`, a URI the editor shows
as a link on the code (VS Code: "E013" in the hover and the Problems view).
pynix has no web site to point at, and the explanation should be the very
text `pynix explain CODE` prints, so the server renders the catalogue entry
(nixlang/errors/catalogue.py) as Markdown into a per-version cache folder
once and links the file: clicking the code opens the explanation in an
editor tab, offline.

The folder is `$XDG_CACHE_HOME/pynix/explain/<version>/` (else
`~/.cache/...`); files are written atomically (temporary file + rename), so
two servers never see half a file. When nothing can be written (read-only
home), diagnostics simply carry no link; the related-information line still
names `pynix explain CODE`. A `docsUrl` setting replaces all of this with
`docsUrl#code` links.
"""
from __future__ import annotations

import os
from pathlib import Path

from nixlang.atomicfile import write_atomically
from nixlang.version import __version__

_written: dict[str, str | None] = {}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pynix" / "explain" / __version__


def markdown(code: str) -> str | None:
    """The catalogue entry of `code` as a Markdown page, or None when unknown."""
    from nixlang.errors.catalogue import explanation
    try:
        e = explanation(code)
    except KeyError:
        return None
    parts = [f"# {e.code}: {e.title}\n", e.text.strip() + "\n"]
    if e.family:
        parts.append(f"*Family: {e.family}.*\n")
    lang = "" if e.stage in ("input", "flake") else "nix"
    for heading, body in (("Broken", e.broken), ("Fixed", e.fixed)):
        fence = "````" if "```" in body else "```"
        parts.append(f"## {heading}\n\n{fence}{lang}\n{body.replace(chr(0), chr(0x2400)).rstrip()}\n{fence}\n")
    parts.append(f"Try it: {e.command()}.\n\nThe same text in a terminal: `pynix explain {e.code}`.\n")
    return "\n".join(parts)


def explanation_uri(code: str) -> str | None:
    """A `file:` URI of the explanation of `code`, written on first use; None
    when the code is unknown or the cache cannot be written."""
    code = code.strip().upper()
    if code in _written:
        return _written[code]
    uri = None
    text = markdown(code)
    if text is not None:
        try:
            folder = cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{code}.md"
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                write_atomically(target, text)
            uri = target.as_uri()
        except OSError:
            uri = None
    _written[code] = uri
    return uri
