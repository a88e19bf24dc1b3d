"""Run axe-core in a page and report its accessibility violations.

The script is evaluated through the DevTools protocol rather than added as a ``<script>``
tag, so it also runs on pages whose Content-Security-Policy forbids inline scripts.
"""

from __future__ import annotations

import functools
from typing import Any

from playwright.sync_api import Page

from tests.browser.tools import AXE_CORE_JS, missing

#: The impacts a test does not accept; axe also reports "moderate" and "minor".
BLOCKING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async (options) => {
    const results = await axe.run(document, options);
    return results.violations;
}"""


@functools.cache
def _axe_source() -> str:
    return AXE_CORE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
    """Return axe-core's violations on the page's current document with one of ``impacts``."""
    if not AXE_CORE_JS.is_file():
        missing(f"axe-core not found at {AXE_CORE_JS}; `make test` installs it with npm")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(_RUN_AXE, {"resultTypes": ["violations"]})
    return [violation for violation in violations if violation["impact"] in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and per offending element, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        lines.extend(f"    {node['target']}: {node['html']}" for node in violation["nodes"])
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail unless axe-core finds no serious or critical violation on the page."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"
