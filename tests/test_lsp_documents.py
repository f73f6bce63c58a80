"""Offsets across a document's texts (`nixlang.ide.editmap`), the line index
kept edit by edit (`LineIndex.edited`) and the analysis a request reads
(`lsp.documents.Doc.choose`), in process.

The edit log is checked against texts whose every character carries an
identity: a character typed in a later text is new, the others keep theirs,
so "unchanged" is known exactly. Properties (hypothesis):

- `back`: an offset between two characters that were already side by side
  in the earlier text maps to the same gap there; None only for an offset
  strictly inside text typed since; always inside the earlier text;
- `span`: a span it maps is, with one character either side, the very same
  characters in the later text;
- `replace` (a client sending the whole text) maps like the ranged edit it
  amounts to.
"""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from lsp.convert import LineIndex
from lsp.documents import Doc
from nixlang import ide
from nixlang.ide.editmap import EditLog

ALPHABET = "ab\n\r{};x"
_ids = itertools.count()


@st.composite
def histories(draw):
    """A text and a few edits: [(start, end, new text)], each of the text as it is then."""
    text = draw(st.text(ALPHABET, max_size=30))
    edits = []
    n = len(text)
    for _ in range(draw(st.integers(1, 6))):
        s = draw(st.integers(0, n))
        e = draw(st.integers(s, n))
        new = draw(st.text(ALPHABET, max_size=5))
        edits.append((s, e, new))
        n += len(new) - (e - s)
    return text, edits


def replay(text: str, edits, log: EditLog, whole: bool = False):
    """The texts as lists of (char, identity), one per version; records the edits in `log`."""
    versions = [[(c, next(_ids)) for c in text]]
    for s, e, new in edits:
        cur = versions[-1]
        nxt = cur[:s] + [(c, next(_ids)) for c in new] + cur[e:]
        if whole:
            log.replace("".join(c for c, _ in cur), "".join(c for c, _ in nxt))
        else:
            log.record(s, e, len(new))
        versions.append(nxt)
    return versions


def check_back(versions, log: EditLog, a: int, b: int) -> None:
    old, new = versions[a], versions[b]
    where = {i: k for k, (_, i) in enumerate(old)}
    for o in range(len(new) + 1):
        p = log.back(o, b, a)
        left = new[o - 1][1] if o > 0 else None
        right = new[o][1] if o < len(new) else None
        if p is None:
            assert left is not None and right is not None and left not in where and right not in where, o
            continue
        assert 0 <= p <= len(old)
        if left in where and right in where and where[right] == where[left] + 1:
            assert p == where[right], (o, p)


def check_span(versions, log: EditLog, a: int, b: int) -> None:
    old, new = versions[a], versions[b]
    for s in range(len(old) + 1):
        for e in range(s, min(len(old), s + 4) + 1):
            got = log.span(s, e, a, b)
            if got is None:
                continue
            s2, e2 = got
            assert [i for _, i in old[max(0, s - 1):e + 1]] == [i for _, i in new[max(0, s2 - 1):e2 + 1]]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_offsets_map_between_every_pair_of_texts(history):
    text, edits = history
    log = EditLog()
    versions = replay(text, edits, log)
    assert log.seq == len(edits)
    for a in range(len(versions)):
        for b in range(a, len(versions)):
            check_back(versions, log, a, b)
            check_span(versions, log, a, b)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_whole_text_changes_map_as_well(history):
    """`replace` records the span where the texts differ; the properties hold
    for the characters it keeps (those of the common prefix and suffix)."""
    text, edits = history
    log = EditLog()
    versions = replay(text, edits, log, whole=True)
    for b in range(1, len(versions)):
        old = "".join(c for c, _ in versions[b - 1])
        new = "".join(c for c, _ in versions[b])
        for o in range(len(new) + 1):
            p = log.back(o, b, b - 1)
            if p is not None:
                assert new[:o][-2:] == old[:p][-2:] or new[o:o + 2] == old[p:p + 2], (old, new, o, p)


def test_forgotten_texts_map_to_nothing():
    log = EditLog()
    for k in range(5):
        log.record(k, k, 1)
    log.forget_before(3)
    assert log.back(0, 5, 2) is None and log.span(0, 0, 2, 5) is None
    assert log.back(0, 5, 3) == 0


@settings(max_examples=300, deadline=None)
@given(histories())
def test_line_index_kept_edit_by_edit_is_the_index_of_the_text(history):
    text, edits = history
    idx = LineIndex(text)
    for s, e, new in edits:
        text = text[:s] + new + text[e:]
        idx = idx.edited(s, e, new, text)
        assert idx.starts == LineIndex(text).starts and idx.text is text


# -- which analysis answers --------------------------------------------------------------------

GOOD = "let\n  pkgs = { hello = 1; };\nin\n  [ pkgs.hello ]\n"


def change(doc: Doc, start: int, end: int, new: str) -> None:
    idx = doc.state.index
    doc.apply([types.TextDocumentContentChangePartial(range=idx.range(start, end), text=new)])


def test_a_broken_text_is_answered_from_the_last_good_one_where_unchanged():
    doc = Doc("file:///t/doc.nix", GOOD, 1, None)
    doc.note(0, ide.analyze(GOOD))
    # an unclosed string typed into the let: the rest of the file is now string
    at = GOOD.index("in\n")
    change(doc, at, at, '  s = "')
    broken = doc.text
    doc.note(doc.seq, ide.analyze(broken))
    assert doc.latest.broken and not doc.good.broken
    use = broken.rindex("pkgs")
    v = doc.choose(use + 1, doc.seq)
    assert v.stale and v.an is doc.good.an and v.an.text[v.offset - 1:v.offset + 3] == "pkgs"
    # inside the text typed since: the broken text's own analysis
    v = doc.choose(at + 5, doc.seq)
    assert not v.stale


def test_a_text_being_analysed_is_answered_from_the_latest_analysis():
    doc = Doc("file:///t/doc.nix", GOOD, 1, None)
    assert doc.choose(3, 0) is None              # nothing analysed yet: wait
    doc.note(0, ide.analyze(GOOD))
    change(doc, 0, 0, "# a comment\n")
    v = doc.choose(len("# a comment\n") + 3, doc.seq)
    assert v.stale and v.offset == 3
    n = len("# a comment\n")
    assert v.span(1, 3) == (n + 1, n + 3)
    assert v.span(0, 3) is None                 # the comment was typed right before it: touched
    assert doc.choose(0, doc.seq) is not None and doc.choose(5, doc.seq) is None   # typed since: wait
