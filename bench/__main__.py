"""Run the benchmark sections: ``python -m bench [SECTION ...]`` (all sections by default).

A section is a module of this package with a ``run() -> None`` function that prints its own
table. Each section does its own set-up (for example Django settings), so add new ones to
``SECTIONS``; they are imported only when they run.
"""

from __future__ import annotations

import importlib
import sys

SECTIONS = ["oath", "verification", "webauthn", "account"]


def main(argv: list[str]) -> int:
    """Run the sections named in ``argv``, or all of them; return the exit status."""
    names = argv or SECTIONS
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
        return 2
    for name in names:
        importlib.import_module(f"bench.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
