"""Document links for paths: a path literal opens the file it names.

`./pkgs/hello.nix`, `../lib`, `/etc/nixos/configuration.nix` and `~/x.nix`
are links to the file (the parser has already made them absolute, relative
to the document's folder). A folder means its `default.nix`, as `import`
reads it; a folder without one, a file that does not exist, and a path with
`${ }` in it are no links.

`<nixpkgs>` and `<nixpkgs/lib>` are looked up as Nix looks them up
(`findFile`, the first entry of the search path whose prefix matches and
where the rest exists), in the search path the caller gives: the language
server's `nixPath` setting, else the `NIX_PATH` it was started with. With
no search path, they are no links. Only local folders are searched (an
entry that is a URL would have to be downloaded).
"""
from __future__ import annotations

import os
import re

from ..syntax import ast as A
from .analysis import PATH, Analysis
from .flakes import DocumentLink

_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def path_links(an: Analysis, search_path=()) -> list[DocumentLink]:
    """Links for the path literals and `<...>` lookups of the document;
    `search_path`: (prefix, folder) pairs, in order."""
    out = []
    for o in an.occurrences:
        if o.kind != PATH or type(o.node) is not A.Path:
            continue
        target = _file(o.node.value)
        if target is not None:
            out.append(DocumentLink(o.start, o.end, _file_uri(target), target))
    if search_path:
        for call in an.lookups:
            name = call.args[1].value if len(call.args) == 2 and type(call.args[1]) is A.Str else None
            target = find_in_search_path(search_path, name) if name else None
            if target is not None:
                out.append(DocumentLink(call.span.start, call.span.end, _file_uri(target), f"<{name}>: {target}"))
    out.sort(key=lambda l: l.start)
    return out


def find_in_search_path(search_path, name: str) -> str | None:
    """The file `<name>` means (a folder: its default.nix), as Nix's `findFile`
    finds it; None when no entry has it."""
    for prefix, folder in search_path:
        if prefix:
            if name == prefix:
                rest = ""
            elif name.startswith(prefix + "/"):
                rest = name[len(prefix) + 1:]
            else:
                continue
        else:
            rest = name
        if not folder or _URL.match(folder):
            continue
        p = os.path.normpath(os.path.join(os.path.expanduser(folder), rest)) if rest else \
            os.path.normpath(os.path.expanduser(folder))
        target = _file(p)
        if target is not None:
            return target
    return None


def parse_search_path(entries) -> list[tuple[str, str]]:
    """(prefix, folder) pairs from `prefix=folder` / `folder` strings, or from
    one string in `NIX_PATH`'s syntax (entries separated by `:`)."""
    if isinstance(entries, str):
        from ..builtins.filesystem import parse_nix_path
        entries = parse_nix_path(entries)
    out = []
    for e in entries or ():
        if not isinstance(e, str) or not e:
            continue
        prefix, sep, folder = e.partition("=")
        out.append((prefix, folder) if sep else ("", e))
    return out


def _file(p: str) -> str | None:
    if os.path.isdir(p):
        p = os.path.join(p, "default.nix")
    return p if os.path.isfile(p) else None


def _file_uri(path: str) -> str:
    from pathlib import Path
    return Path(path).as_uri()
