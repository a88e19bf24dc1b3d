"""Authenticated encryption of OTP secrets at rest (AES-256-GCM from ``cryptography``).

Keys come from ``OTP_KEY_ENCRYPTION_KEYS``, a list of URL-safe base64 strings of 32 bytes
each (``python -m django_otp.crypto`` prints a new one). The first key encrypts; every key
decrypts, so keys can be rotated by putting a new one first and re-encrypting with
``manage.py otp_protect_secrets``. A ciphertext names the key that made it and is bound to
a context (the model), so it cannot be moved to another table unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from django_otp.app_settings import app_settings
from django_otp.internal.keys import decode_key, key_list_problem

__all__ = [
    "PREFIX",
    "ciphertext_key_id",
    "current_key_id",
    "decrypt",
    "enabled",
    "encrypt",
    "generate_key",
    "key_id",
    "key_list_problem",
]

#: Marks a stored value as our ciphertext, version 1.
PREFIX = "aesgcm1$"
_NONCE_BYTES = 12


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise ImproperlyConfigured(
            "OTP_KEY_ENCRYPTION_KEYS is set but the 'cryptography' package is not installed; "
            "install django-otp-ng[crypto]."
        ) from None
    return AESGCM


def key_id(raw_key: bytes) -> str:
    """A short, non-secret name for a key, stored with each ciphertext."""
    return hashlib.sha256(b"django-otp-ng key id" + raw_key).hexdigest()[:8]


def _keys() -> list[bytes]:
    configured = app_settings.OTP_KEY_ENCRYPTION_KEYS
    problem = key_list_problem(configured)
    if problem:
        raise ImproperlyConfigured(f"OTP_KEY_ENCRYPTION_KEYS {problem}.")
    return [key for key in map(decode_key, configured) if key is not None]


def enabled() -> bool:
    """True when at least one encryption key is configured."""
    return bool(app_settings.OTP_KEY_ENCRYPTION_KEYS)


def current_key_id() -> str | None:
    """The id of the key that encrypts now, or ``None`` when encryption is off."""
    keys = _keys()
    return key_id(keys[0]) if keys else None


def ciphertext_key_id(value: str) -> str:
    """The id of the key that made ``value``."""
    return value[len(PREFIX) :].split("$", 1)[0]


def encrypt(plaintext: str, context: str) -> str:
    """Encrypt ``plaintext`` with the first configured key, bound to ``context``."""
    keys = _keys()
    if not keys:
        raise ImproperlyConfigured("OTP_KEY_ENCRYPTION_KEYS is empty; nothing can encrypt.")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aesgcm()(keys[0]).encrypt(nonce, plaintext.encode(), context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}{key_id(keys[0])}${body}"


def decrypt(value: str, context: str) -> str:
    """Decrypt a value made by :func:`encrypt`, with whichever configured key made it."""
    aesgcm = _aesgcm()
    from cryptography.exceptions import InvalidTag

    wanted, _, body = value[len(PREFIX) :].partition("$")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        blob = b""
    nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    for raw_key in _keys():
        if key_id(raw_key) != wanted:
            continue
        try:
            return aesgcm(raw_key).decrypt(nonce, sealed, context.encode()).decode()
        except (InvalidTag, ValueError):  # tampered, truncated or corrupt
            break
    raise ImproperlyConfigured(
        f"A stored OTP secret was encrypted with key {wanted}, which is not (or no longer) "
        "in OTP_KEY_ENCRYPTION_KEYS, or the stored value was tampered with."
    )


def generate_key() -> str:
    """Return a new random key in the format ``OTP_KEY_ENCRYPTION_KEYS`` expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


if __name__ == "__main__":
    print(generate_key())
