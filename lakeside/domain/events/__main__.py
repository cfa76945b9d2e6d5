"""Rewrite the event table of docs/protocol.md from the declarations, in place:
``python -m lakeside.domain.events [path/to/protocol.md]`` (``make events-doc``)."""

from __future__ import annotations

import sys
from pathlib import Path

from lakeside.domain.events import with_table

DEFAULT = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    before = path.read_text(encoding="utf-8")
    after = with_table(before)
    if after != before:
        path.write_text(after, encoding="utf-8")
    print(f"{path}: {'rewritten' if after != before else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
