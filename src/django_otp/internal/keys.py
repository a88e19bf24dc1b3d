"""The format of ``OTP_KEY_ENCRYPTION_KEYS``: URL-safe base64 strings of 32 bytes each.

Parsing lives here, below both the settings registry (which validates the setting) and
:mod:`django_otp.crypto` (which uses the keys), so neither has to import the other.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

__all__ = ["cryptography_installed", "decode_key", "key_list_problem"]


def decode_key(text: Any) -> bytes | None:
    """The 32 raw bytes of one configured key, or ``None`` if it is not a valid key."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return raw if len(raw) == 32 else None


def cryptography_installed() -> bool:
    """Whether AES-GCM from the optional ``cryptography`` package (the ``crypto`` extra) imports."""
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
    except ImportError:
        return False
    return True


def key_list_problem(value: Any) -> str | None:
    """Describe what is wrong with an ``OTP_KEY_ENCRYPTION_KEYS`` value, or return ``None``."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return "must be a list of keys (strings), not a single value"
    for position, item in enumerate(value):
        if decode_key(item) is None:
            return (
                f"item {position} is not a URL-safe base64 encoding of 32 bytes "
                "(generate one with: python -m django_otp.crypto)"
            )
    if len({decode_key(item) for item in value}) != len(value):
        return "lists the same key twice"
    if value and not cryptography_installed():
        return "needs the 'cryptography' package: install django-otp-ng[crypto]"
    return None
