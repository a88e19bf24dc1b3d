"""Provisioning URLs (``otpauth://``) that authenticator apps read from a QR code.

One construction serves the HOTP and TOTP plugins, in the format django-otp produced, so a
URL shown by either plugin is byte-for-byte what sites and their users already rely on. This
module is pure: it does not import Django or any model.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["base32_secret", "otpauth_url", "setting_str"]


def setting_str(value: str | Callable[[Any], Any] | None, device: Any) -> str | None:
    """Resolve an issuer- or image-style setting: a str, or a callable given the device.

    Anything but a non-empty string (after calling) counts as unset and gives ``None``.
    """
    if callable(value):
        value = value(device)
    if isinstance(value, str) and value:
        return value
    return None


def otpauth_url(
    kind: str,
    username: Any,
    key: bytes,
    params: Sequence[tuple[str, Any]],
    issuer: str | None = None,
    image: str | None = None,
) -> str:
    """Return ``otpauth://<kind>/<label>?secret=...`` for ``key`` and the extra ``params``.

    The label is the username, prefixed with ``"<issuer>:"`` when an issuer is given (colons
    are removed from the issuer, since the colon separates it from the account name).
    """
    label = str(username)
    query = urlencode([("secret", base64.b32encode(key).decode()), ("algorithm", "SHA1"), *params])
    if issuer:
        issuer = issuer.replace(":", "")
        label = f"{issuer}:{label}"
        query += f"&issuer={quote(issuer)}"
    if image:
        query += f"&image={quote(image, safe=':/')}"
    return f"otpauth://{kind}/{quote(label)}?{query}"


def base32_secret(key: bytes, group: int = 4) -> str:
    """The key as a person types it into an app: base32, in groups of ``group`` characters.

    It is the ``secret`` of :func:`otpauth_url`, without the ``=`` padding; apps ignore the
    spaces.
    """
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + group] for i in range(0, len(text), group))
