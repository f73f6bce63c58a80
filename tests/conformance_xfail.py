"""Regenerate tests/conformance_xfail.txt from a run of the shared scorer.

    python tests/conformance_xfail.py --update

Parse cases are expected to pass (none listed); every evaluation case the
scorer reports as failing is listed, one per line, sorted.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

HEADER = """# Known conformance failures: one case name per line (kind prefix included).
# The suite checks this list both ways: a listed case must still fail, an
# unlisted one must pass. Regenerate: python tests/conformance_xfail.py --update
# (a reason after `#` on a case's line is kept when the list is regenerated)
"""


def main() -> int:
    from test_conformance_eval import run_scorer
    results = run_scorer()
    failing = sorted(name for name, ok in results.items() if not ok)
    path = Path(__file__).parent / "conformance_xfail.txt"
    reasons = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, why = line.partition("#")
            if name.strip() and sep:
                reasons[name.strip()] = why.strip()
    text = HEADER + "".join(n + (f"  # {reasons[n]}" if n in reasons else "") + "\n" for n in failing)
    if "--update" in sys.argv:
        path.write_text(text)
    passed = sum(results.values())
    print(f"{passed}/{len(results)} evaluation cases pass; {len(failing)} listed as expected failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
