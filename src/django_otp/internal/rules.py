"""Rules a setting's value must follow: each returns ``None`` or a phrase saying what is wrong.

The phrase completes a sentence that starts with the setting's name ("OTP_X must be ..."),
which is how :mod:`django_otp.checks` reports it at start-up.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.utils.functional import Promise

Problem = str | None


def non_negative_number(value: Any) -> Problem:
    """A number of seconds, 0 or more (``int`` or ``float``, finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return "must be a number of seconds, 0 or more"
    if math.isnan(value) or math.isinf(value):
        return "must be a finite number"
    return None


def non_negative_int(value: Any) -> Problem:
    """A whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be a whole number, 0 or more"
    return None


def positive_int(value: Any) -> Problem:
    """A whole number greater than 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a whole number greater than 0"
    return None


def boolean(value: Any) -> Problem:
    """``True`` or ``False``."""
    return None if isinstance(value, bool) else "must be True or False"


def is_text(value: Any) -> bool:
    """A string, or a lazy one (``reverse_lazy``, ``gettext_lazy``)."""
    return isinstance(value, (str, Promise))


def text(value: Any) -> Problem:
    """A string (lazy strings included)."""
    return None if is_text(value) else "must be a string"


def optional_text(value: Any) -> Problem:
    """A string or ``None``."""
    return None if value is None or is_text(value) else "must be a string or None"


def text_or_callable(value: Any) -> Problem:
    """A string, a callable that is given the device, or ``None``."""
    if value is None or is_text(value) or callable(value):
        return None
    return "must be a string, a callable taking the device, or None"


def one_of(*choices: str) -> Callable[[Any], Problem]:
    """A rule that accepts exactly one of ``choices``."""

    def rule(value: Any) -> Problem:
        if value in choices:
            return None
        return "must be one of " + ", ".join(repr(choice) for choice in choices)

    return rule


def int_subset(allowed: frozenset[int]) -> Callable[[Any], Problem]:
    """A rule for a non-empty list or tuple of whole numbers taken from ``allowed``."""

    def rule(value: Any) -> Problem:
        if not isinstance(value, (list, tuple)) or not value:
            return "must be a non-empty list of whole numbers"
        wrong = [item for item in value if isinstance(item, bool) or item not in allowed]
        if wrong:
            return f"names unsupported values {wrong!r} (supported: {sorted(allowed)})"
        return None

    return rule


def is_origin(value: Any) -> bool:
    """A web origin: ``https://host`` or ``http://host`` with an optional port, nothing more."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        return False
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and not parts.path
        and not parts.query
        and not parts.fragment
        and not parts.username
        and value == value.strip().lower()
    )


def origins(value: Any) -> Problem:
    """A list or tuple of web origins such as ``"https://example.com"`` (may be empty)."""
    if not isinstance(value, (list, tuple)):
        return "must be a list of origins such as 'https://example.com'"
    wrong = [item for item in value if not is_origin(item)]
    if wrong:
        return (
            f"holds {wrong!r}, which is not an origin (scheme, lower-case host and optional "
            "port, no path or slash at the end, e.g. 'https://example.com')"
        )
    return None


def is_ip_address(value: str) -> bool:
    """Whether ``value`` is an IPv4 or IPv6 address (which cannot be a WebAuthn RP id)."""
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True
