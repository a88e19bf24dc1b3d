"""Rules of the sign-in, limit and enforcement settings, and the values they convert to.

Each ``*_problem`` function returns ``None`` or a phrase that completes "OTP_X ...", as the
rules of :mod:`django_otp.internal.rules` do; the ``to_*`` functions turn a valid value into
the form the code uses (a compiled regex, an aware datetime).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

__all__ = [
    "ENFORCE_KEYWORDS",
    "enforce_for_problem",
    "failure_cap_problem",
    "grace_until_problem",
    "regex_list_problem",
    "to_datetime",
    "to_patterns",
]

#: The words ``OTP_ENFORCE_FOR`` accepts besides group names and callables.
ENFORCE_KEYWORDS = ("everyone", "staff", "superusers")


def failure_cap_problem(value: Any) -> str | None:
    """A whole number from 1 to 100 (NIST SP 800-63B rev. 4, 3.2.2: at most 100)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        return "must be a whole number from 1 to 100"
    return None


def _dotted_problem(value: str) -> str | None:
    try:
        target = import_string(value)
    except ImportError as e:
        return f"names {value!r}, which cannot be imported ({e})"
    if not callable(target):
        return f"names {value!r}, which is not callable"
    return None


def enforce_for_problem(value: Any) -> str | None:
    """``None``, a keyword, a list of group names, a callable or the dotted path of one."""
    if value is None or callable(value):
        return None
    words = "'everyone', 'staff', 'superusers'"
    expected = f"must be None, one of {words}, a list of group names or a callable"
    if isinstance(value, str):
        if value in ENFORCE_KEYWORDS:
            return None
        if "." in value:
            return _dotted_problem(value)
        return f"{expected}, not {value!r} (put a group name in a list: [{value!r}])"
    if isinstance(value, (list, tuple, set, frozenset)):
        if value and all(isinstance(name, str) and name for name in value):
            return None
        return f"{expected}; a list must hold non-empty group names"
    return f"{expected}, not {type(value).__name__}"


def to_datetime(value: Any) -> datetime.datetime | None:
    """``value`` (a date, a datetime or an ISO 8601 string) as an aware datetime.

    A date means its start, and a naive value is read in the current time zone (without
    ``USE_TZ``, the value is naive, as ``timezone.now()`` is then). Anything else gives
    ``None``.
    """
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    if not isinstance(value, datetime.datetime):
        return None
    if not settings.USE_TZ:
        return timezone.make_naive(value) if timezone.is_aware(value) else value
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def grace_until_problem(value: Any) -> str | None:
    """``None``, a date, a datetime or an ISO 8601 date or date-time string."""
    if value is None or to_datetime(value) is not None:
        return None
    return f"must be None, a date, a datetime or an ISO 8601 string, not {value!r}"


def regex_list_problem(value: Any) -> str | None:
    """A list of regular expressions (strings)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return "must be a list of regular expressions"
    for position, pattern in enumerate(value):
        if not isinstance(pattern, str):
            return f"item {position} must be a string"
        try:
            re.compile(pattern)
        except re.error as e:
            return f"item {position} has an invalid regex {pattern!r} ({e})"
    return None


def to_patterns(value: Any) -> tuple[re.Pattern[str], ...]:
    """The compiled regular expressions of a valid list (invalid items are left out)."""
    if regex_list_problem(value):
        return ()
    return tuple(re.compile(pattern) for pattern in value)
