"""Cross-file features in process (`nixlang.ide` over an AnalysisCache with workspace folders).

Small made-up workspaces, one per row: the files, where the cursor is, and
what references must find. The end-to-end tests (tests/test_lsp_workspace.py,
tests/test_lsp_nixpkgs_lib.py) drive the real server on bigger ones.
"""
from __future__ import annotations

import pytest

from nixlang.ide import AnalysisCache
from nixlang.ide.navigation import workspace_references

# (files, the file and text where the cursor is, [(file, text of each reference found)])
CASES = [
    # an attribute used through `import` in another file
    ({"a.nix": "{ b = import ./b.nix; x = (import ./b.nix).greet; }\n",
      "b.nix": "{ greet = 1; }\n"},
     ("b.nix", "greet"), [("a.nix", "greet"), ("b.nix", "greet")]),
    # a name another file inherits from builtins is not "the same" attribute (it has no file)
    ({"a.nix": "{\n  a = import ./b.nix;\n  length = 1;\n}\n",
      "b.nix": "rec {\n  inherit (builtins) length;\n  n = length [ ];\n}\n"},
     ("a.nix", "length"), [("a.nix", "length")]),
    # callLibs-style: `lib.greet` in a file whose `lib` comes from the caller
    ({"default.nix": "let\n  callLibs = file: import file { lib = self; };\n"
                     "  self = { s = callLibs ./s.nix; inherit (self.s) greet; };\nin self\n",
      "s.nix": "{ lib }:\n{\n  greet = 1;\n  twice = lib.greet;\n}\n"},
     ("s.nix", "greet"), [("default.nix", "greet"), ("s.nix", "greet"), ("s.nix", "greet")]),
]


@pytest.mark.parametrize("files,at,expected", CASES, ids=["import", "builtins-inherit", "callLibs"])
def test_workspace_references(tmp_path, files, at, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    cache = AnalysisCache()
    cache.roots = (str(tmp_path),)
    an = cache.load(str(tmp_path / at[0]))
    got = workspace_references(an, an.text.index(at[1]))
    texts = []
    for loc in got:
        path = loc.path or an.path
        texts.append((path[len(str(tmp_path)) + 1:], cache.text_of(path)[loc.start:loc.end]))
    assert sorted(texts) == sorted(expected)
