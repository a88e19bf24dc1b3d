"""Rules a setting's value must follow: each returns ``None`` or a phrase saying what is wrong.

The phrase completes a sentence that starts with the setting's name ("OTP_X must be ..."),
which is how :mod:`django_otp.checks` reports it at start-up.
"""

from __future__ import annotations

import math
from typing import Any

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
