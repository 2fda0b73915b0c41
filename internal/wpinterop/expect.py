#!/usr/bin/env python3
"""Check the mentions `hugo-pingback mentions list --json` prints (on stdin).

Part of internal/wpinterop/run.sh; standard library only.

  expect.py mention PROTOCOL SOURCE TARGET STATES [NAME [EXCERPT_PART]]

Finds the mention from SOURCE to TARGET; it must have come by PROTOCOL
(pingback, trackback) and be in one of STATES (comma-separated), with the
name NAME and an excerpt containing EXCERPT_PART when they are not empty. Prints the mention; exits 1 when it is not
there or differs, saying how.
"""

import json
import sys


def main(argv):
    if len(argv) < 6 or argv[1] != "mention":
        sys.exit(__doc__)
    protocol, source, target, states = argv[2], argv[3], argv[4], argv[5].split(",")
    name = argv[6] if len(argv) > 6 else None
    excerpt = argv[7] if len(argv) > 7 else None
    mentions = json.load(sys.stdin)
    found = [m for m in mentions if m.get("source") == source and m.get("target") == target]
    if not found:
        print("no mention from %s to %s among %d" % (source, target, len(mentions)))
        return 1
    m = found[0]
    print(json.dumps(m, indent=2, ensure_ascii=False))
    problems = []
    if m.get("protocol") != protocol:
        problems.append("protocol %r, want %s" % (m.get("protocol"), protocol))
    if m.get("state") not in states:
        problems.append("state %r, want one of %s" % (m.get("state"), states))
    if name and m.get("name") != name:
        problems.append("name %r, want %r" % (m.get("name"), name))
    if excerpt and excerpt not in (m.get("excerpt") or ""):
        problems.append("excerpt %r lacks %r" % (m.get("excerpt"), excerpt))
    for p in problems:
        print("MISMATCH: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
