"""The list of known conformance failures (tests/conformance_xfail.txt):
reading it, and regenerating it from a run of the shared scorer.

    python tests/conformance_xfail.py --update

A line is `CASE [if-plain PATH...] [# reason]`. A case with `if-plain` needs
those symlinks of the suite: it is expected to fail only when the copy of the
suite at hand stores one of them as a plain file (some copies of ../shared
do), and to pass where they are links. Parse cases are expected to pass
(none listed); every evaluation case the scorer reports as failing is listed.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import SUITE  # noqa: E402

LIST = Path(__file__).parent / "conformance_xfail.txt"
HEADER = """# Known conformance failures: one case name per line (kind prefix included).
# The suite checks this list both ways: a listed case must still fail, an
# unlisted one must pass. Regenerate: python tests/conformance_xfail.py --update
# (a reason after `#` on a case's line is kept when the list is regenerated)
# `if-plain PATH...`: the case needs these symlinks of the suite; it is expected
# to fail only where the copy of the suite stores one of them as a plain file
# (holding the link's target), and to pass where they are links.
"""


@dataclass
class Entry:
    name: str
    needs_links: tuple[str, ...] = ()      # paths in the suite that are symlinks upstream
    reason: str = ""

    def expected_to_fail(self, suite: Path = SUITE) -> bool:
        return not self.needs_links or any(not (suite / p).is_symlink() for p in self.needs_links)

    def line(self) -> str:
        cond = f"  if-plain {' '.join(self.needs_links)}" if self.needs_links else ""
        return self.name + cond + (f"  # {self.reason}" if self.reason else "")


def read_list(path: Path = LIST) -> dict[str, Entry]:
    entries = {}
    for raw in path.read_text().splitlines():
        body, _, reason = raw.partition("#")
        words = body.split()
        if not words:
            continue
        links: tuple[str, ...] = ()
        if len(words) > 1:
            if words[1] != "if-plain" or len(words) < 3:
                raise ValueError(f"{path.name}: cannot read {raw!r} (want: CASE [if-plain PATH...] [# reason])")
            links = tuple(words[2:])
        entries[words[0]] = Entry(words[0], links, reason.strip())
    return entries


def expected_failures(suite: Path = SUITE) -> set[str]:
    """The cases expected to fail with the suite as it is stored here."""
    return {name for name, e in read_list().items() if e.expected_to_fail(suite)}


def regenerate(results: dict[str, bool], old: dict[str, Entry], suite: Path = SUITE) -> list[Entry]:
    """The new list: every failing case; a conditional entry stays while its
    condition explains the outcome (fails on plain files, or passes on links)."""
    out = []
    for name in sorted(results):
        entry = old.get(name)
        if results[name]:
            if entry is not None and entry.needs_links and not entry.expected_to_fail(suite):
                out.append(entry)                          # passes here, fails on plain copies
        elif entry is not None and entry.expected_to_fail(suite):
            out.append(entry)
        else:                                              # a new failure, or one its links do not explain
            out.append(Entry(name, (), entry.reason if entry else ""))
    return out


def main() -> int:
    from test_conformance_eval import run_scorer
    results = run_scorer()
    entries = regenerate(results, read_list())
    if "--update" in sys.argv:
        LIST.write_text(HEADER + "".join(e.line() + "\n" for e in entries))
    passed = sum(results.values())
    print(f"{passed}/{len(results)} evaluation cases pass; {len(entries)} listed as expected failures"
          f" ({sum(e.expected_to_fail() for e in entries)} of them with the suite as stored here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
