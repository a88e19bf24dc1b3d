"""Which device verified this session: ``user.otp_device`` and ``user.is_verified()``.

This is django-otp's meaning of "verified", unchanged: the session names a confirmed device
of the user. The device is loaded through :mod:`django_otp.devices` (one query, or the shared
cache). A device or session that no longer qualifies loses the session its verification, and
so does a "revoke everything" of the user newer than the session's proof of that device. A
session that signed in before its user signed out everywhere is marked :data:`SIGNED_OUT` on
the user; ``OTPMiddleware`` then ends it (see :mod:`django_otp.flows.sessions`).
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest

from django_otp import devices
from django_otp.internal.session_keys import (
    DEVICE_ID_SESSION_KEY,
    PROOFS_SESSION_KEY,
    SIGNED_IN_SESSION_KEY,
)

__all__ = ["SIGNED_OUT", "aannotate", "annotate", "is_verified", "request_is_verified"]

#: Set on a user object once it is annotated (``is_verified`` alone proves nothing: a custom
#: user model may have its own attribute of that name).
ANNOTATED = "_otp_annotated"
#: Set on a user whose session signed in before the user last signed out everywhere.
SIGNED_OUT = "_otp_signed_out"


def is_verified(user: Any) -> bool:
    """Return ``True`` if ``user`` was verified by a device in this session."""
    return user.otp_device is not None


def _legacy_to_persistent_id(value: str) -> str:
    """Rewrite a legacy ``"<module path>.<ClassName>/<id>"`` to ``"<app>.<ClassName>/<id>"``."""
    parts = value.split(".")
    if len(parts) > 2:
        return f"{parts[-3]}.{parts[-1]}"
    return value


def _session_to_read(request: HttpRequest, user: Any) -> Any:
    """Mark ``user`` unverified; return the session to look in, or ``None`` if pointless."""
    user.otp_device = None
    user.is_verified = functools.partial(is_verified, user)
    setattr(user, ANNOTATED, True)
    if not user.is_authenticated:
        return None
    return getattr(request, "session", None)


def _device_id(value: Any) -> str | None:
    """The persistent id stored in the session, in current form, or ``None``."""
    if not value or not isinstance(value, str):
        return None
    return _legacy_to_persistent_id(value)


def _proved_at(session: Any, persistent_id: str) -> float:
    """When the session last proved ``persistent_id`` (0 when it never recorded it)."""
    proofs = session.get(PROOFS_SESSION_KEY)
    times = [
        item[2]
        for item in proofs or ()
        if isinstance(item, list) and len(item) == 5 and item[1] == persistent_id
    ]
    return max((at for at in times if isinstance(at, (int, float))), default=0.0)


def _signed_out(session: Any, device: Any) -> bool:
    """Whether the session signed in before the user of ``device`` signed out everywhere (a
    session that never recorded when it signed in is older than this rule, so it did)."""
    signed_out_at = getattr(device, "otp_signed_out_at", None)
    if signed_out_at is None:
        return False
    signed_in_at = session.get(SIGNED_IN_SESSION_KEY)
    return not isinstance(signed_in_at, (int, float)) or signed_in_at < signed_out_at


def _conclude(session: Any, user: Any, device: Any) -> Any:
    """Accept only a confirmed device of ``user``; a session naming anything else loses it."""
    if device is not None and device.user_id == user.pk and _signed_out(session, device):
        setattr(user, SIGNED_OUT, True)
        device = None
    if device is not None and (device.user_id != user.pk or not device.confirmed):
        device = None
    reset_at = getattr(device, "otp_reset_at", None)
    if reset_at is not None and _proved_at(session, device.persistent_id) < reset_at:
        device = None
    if device is None and DEVICE_ID_SESSION_KEY in session:
        del session[DEVICE_ID_SESSION_KEY]
    user.otp_device = device
    return user


def annotate(request: HttpRequest, user: Any) -> Any:
    """Give ``user`` its ``otp_device`` and ``is_verified`` from ``request.session``."""
    session = _session_to_read(request, user)
    if session is None:
        return user
    device_id = _device_id(session.get(DEVICE_ID_SESSION_KEY))
    device = devices.load(device_id) if device_id else None
    return _conclude(session, user, device)


async def aannotate(request: HttpRequest, user: Any) -> Any:
    """Async variant of :func:`annotate`, using the async ORM and session API."""
    session = _session_to_read(request, user)
    if session is None:
        return user
    aget = getattr(session, "aget", None)  # Django >= 5.1
    value = await aget(DEVICE_ID_SESSION_KEY) if aget else session.get(DEVICE_ID_SESSION_KEY)
    device_id = _device_id(value)
    device = await devices.aload(device_id) if device_id else None
    return _conclude(session, user, device)


def annotated(user: Any) -> bool:
    """Whether ``user`` already carries the attributes :func:`annotate` gives."""
    return bool(getattr(user, ANNOTATED, False))


def request_is_verified(request: HttpRequest) -> bool:
    """``request.user.is_verified()``, annotating the user first when nothing did."""
    user = getattr(request, "user", None)
    if user is None:
        return False
    if not annotated(user):
        annotate(request, user)
    return bool(user.is_verified())
