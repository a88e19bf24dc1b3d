"""Where the browser tests find Chromium and axe-core, and what they do when one is missing.

Playwright only drives the Debian ``chromium`` at :data:`CHROMIUM`; it never downloads a
browser. axe-core is installed by the Makefile with npm into :data:`NODE_DIR`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

#: Debian's package ``chromium`` installs the browser here.
CHROMIUM = Path("/usr/bin/chromium")

#: Flags for a quiet, reproducible headless run as root on a machine without a display or
#: network: no sandbox (root), no GPU, no QUIC, and none of the background requests Chromium
#: makes on its own (component updates, sync, first-run pages).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REPO = Path(__file__).resolve().parents[2]

#: The folder ``make test`` installs npm packages into (git-ignored).
NODE_DIR = REPO / ".node"

#: axe-core's browser bundle; ``AXE_CORE_JS`` in the environment points elsewhere.
AXE_CORE_JS = Path(os.environ.get("AXE_CORE_JS") or NODE_DIR / "node_modules/axe-core/axe.min.js")

#: Screenshots and failure reports, one folder per test (git-ignored).
OUTPUT_DIR = Path(__file__).resolve().parent / "output"


def missing(reason: str) -> NoReturn:
    """Skip the test because a tool is missing; fail it instead under CI, which has them all.

    A skip in CI would let a lost install step in ``.ci/run`` or the Makefile pass unseen.
    """
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI is set, where the browser tests must run)", pytrace=False)
    pytest.skip(reason)
