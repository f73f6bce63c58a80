"""Markdown with text that must stay text: values, error messages, names.

Hovers are Markdown, and much of their text comes from places nobody
vetted: evaluated values and error messages (which can carry a file's
contents), attribute names, a flake.lock's fields. Such text goes in as
code, which a Markdown renderer shows literally: never a link, an image,
emphasis or HTML. `code` makes an inline code span, `block` a fenced code
block. CommonMark ends a code span only at a run of backticks of the same
length, and a fence only at a fence at least as long, so each fence here is
longer than any run of backticks in the text.
"""
from __future__ import annotations

import re

_TICKS = re.compile(r"`+")


def _longest_run(text: str) -> int:
    return max((len(m) for m in _TICKS.findall(text)), default=0)


def code(text: str) -> str:
    """`text` as an inline code span (line breaks become spaces: a blank
    line would end the paragraph, and the span with it)."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    if not text:
        return "` `"
    fence = "`" * (_longest_run(text) + 1)
    # a span drops one space at each end when both ends have one, and a
    # backtick at an end would join the fence: pad with a space
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == " " and text[-1] == " " and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def block(text: str, lang: str = "nix") -> str:
    """`text` as a fenced code block."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"
