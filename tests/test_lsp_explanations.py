"""Diagnostics link to their explanation: the catalogue text as a Markdown file.

Without a `docsUrl` setting, `codeDescription.href` of a diagnostic is a
`file:` URI of the catalogue entry rendered into the cache folder, so an
editor opens the same text `pynix explain CODE` prints.
"""
from __future__ import annotations

from urllib.parse import unquote, urlparse

import pytest

from lsp import convert, explanations
from nixlang import ide
from nixlang.errors.catalogue import all_codes, explanation


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(explanations, "_written", {})
    return tmp_path


@pytest.mark.parametrize("code", all_codes())
def test_every_code_renders_its_whole_explanation(code):
    md = explanations.markdown(code)
    e = explanation(code)
    assert md.startswith(f"# {code}: {e.title}\n")
    assert e.text.strip() in md
    for example in (e.broken, e.fixed):
        assert example.replace("\0", "\u2400").rstrip() in md
    assert f"`pynix explain {code}`" in md


def test_unknown_code_has_no_link(cache):
    assert explanations.markdown("E999") is None
    assert explanations.explanation_uri("E999") is None


def test_the_link_is_a_file_with_the_explanation(cache):
    uri = explanations.explanation_uri("e013")
    path = unquote(urlparse(uri).path)
    assert uri.startswith("file://") and path.startswith(str(cache))
    with open(path, encoding="utf-8") as f:
        assert f.read() == explanations.markdown("E013")
    assert explanations.explanation_uri("E013") == uri       # written once


def test_an_unwritable_cache_gives_no_link(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(explanations, "_written", {})
    assert explanations.explanation_uri("E013") is None


@pytest.mark.parametrize("text, code", [
    ("let a = 1; in b", "E013"),
    ("let unused = 1; in 2", "W001"),
])
def test_diagnostics_link_their_explanation(cache, text, code):
    an = ide.analyze(text)
    d = next(d for d in ide.diagnostics(an) if d.code == code)
    titles = {c: explanation(c).title for c in all_codes()}
    lsp_d = convert.diagnostic(d, convert.LineIndex(text), "untitled:x.nix", None, titles)
    assert lsp_d.code_description.href == explanations.explanation_uri(code)
    assert any(f"`pynix explain {code}`" in r.message for r in lsp_d.related_information)
    # a docsUrl setting wins
    lsp_d = convert.diagnostic(d, convert.LineIndex(text), "untitled:x.nix", "https://example.org/e/", titles)
    assert lsp_d.code_description.href == f"https://example.org/e#{code.lower()}"
