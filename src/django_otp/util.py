"""Small helpers for keys and tokens, referenced by migrations of django-otp and its plugins."""

from __future__ import annotations

import binascii
import os
import random
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

_system_random = random.SystemRandom()


def hex_validator(length: int = 0) -> Callable[[Any], None]:
    """Return a validator that accepts hex-encoded data, of exactly ``length`` bytes if non-zero."""

    def _validate_hex(value: Any) -> None:
        if isinstance(value, str):
            value = value.encode()
        try:
            binascii.unhexlify(value)
        except Exception:
            raise ValidationError(f"{value} is not valid hex-encoded data.") from None
        if length > 0 and len(value) != length * 2:
            raise ValidationError(f"{value} does not represent exactly {length} bytes.")

    return _validate_hex


def random_hex(length: int = 20) -> str:
    """Return ``length`` random bytes from the OS, hex-encoded (``2 * length`` characters)."""
    return binascii.hexlify(os.urandom(length)).decode()


def random_number_token(length: int = 6) -> str:
    """Return ``length`` decimal digits drawn independently from a secure generator."""
    return "".join(_system_random.choice("0123456789") for _ in range(length))
