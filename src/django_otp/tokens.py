"""Normalisation of submitted tokens: one rule for every device, no Django import.

A submitted token is untrusted input. These functions turn it into a canonical string or
``None``; ``None`` means the attempt fails as a wrong token, never with an exception.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: Longest raw input looked at; anything longer is rejected before any processing.
MAX_INPUT_LENGTH = 256

STATIC_TOKEN_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _compact(token: str) -> str | None:
    if len(token) > MAX_INPUT_LENGTH:
        return None
    return "".join(token.split())


def normalize_digits(token: Any, max_length: int) -> str | None:
    """Return ``token`` as a string of ASCII digits of at most ``max_length``, or ``None``.

    Whitespace anywhere is dropped and Unicode decimal digits (full-width, Arabic-Indic, ...)
    become ASCII. A non-negative ``int`` is accepted as its decimal form, as django-otp did.
    """
    if isinstance(token, bool):
        return None
    if isinstance(token, int):
        text = str(token) if 0 <= token < 10**max_length else ""
    elif isinstance(token, str):
        compact = _compact(token)
        if compact is None:
            return None
        chars = []
        for char in compact:
            if "0" <= char <= "9":
                chars.append(char)
            elif char.isdecimal():
                chars.append(str(unicodedata.decimal(char)))
            else:
                return None
        text = "".join(chars)
    else:
        return None
    if not text or len(text) > max_length:
        return None
    return text


def normalize_static(token: Any, max_length: int = 16) -> str | None:
    """Return a backup code in canonical form (lower case, no spaces or hyphens), or ``None``.

    Backup codes are compared in this form in Python, never by a database collation, so
    ``"ABCD-2345"`` and ``"abcd 2345"`` are the same code.
    """
    if not isinstance(token, str):
        return None
    compact = _compact(token)
    if compact is None:
        return None
    text = compact.replace("-", "").lower()
    if not text or len(text) > max_length:
        return None
    if not set(text) <= STATIC_TOKEN_ALPHABET:
        return None
    return text
