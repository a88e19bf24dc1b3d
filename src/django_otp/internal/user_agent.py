"""A short label for a browser from its ``User-Agent`` header, such as "Firefox (Linux)".

Only the browser family and the system are kept: enough for a person to recognise a
browser in a list, not a fingerprint of it. Anything not recognised gives an empty label.
"""

from __future__ import annotations

__all__ = ["browser_label"]

#: Browser families, most specific first: Edge and Opera also announce Chrome and Safari,
#: Chrome also announces Safari.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)

#: Systems, most specific first: Android also announces Linux, iOS also announces Mac OS X.
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def _first(user_agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for marker, name in table if marker in user_agent), None)


def browser_label(user_agent: str) -> str:
    """The label for ``user_agent``: "Browser (system)", "Browser", "System" or ""."""
    browser = _first(user_agent, _BROWSERS)
    system = _first(user_agent, _SYSTEMS)
    if browser and system:
        return f"{browser} ({system})"
    return browser or system or ""
