"""One-time passwords and multi-factor authentication for Django (django-otp-ng).

The package root holds the functions most sites call: :func:`login`, :func:`verify_token`,
:func:`match_token`, :func:`devices_for_user`. Model modules and the flows are imported
inside the functions, so importing this package is safe while the app registry is still
loading. No module below the root imports it (the import contract of ``make lint``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.contrib.auth.signals import user_logged_in
from django.db import transaction

from django_otp.internal.db import select_for_verify
from django_otp.internal.session_keys import DEVICE_ID_SESSION_KEY

if TYPE_CHECKING:
    from django.http import HttpRequest

    from django_otp.models import Device


def login(request: HttpRequest, device: Device | None) -> None:
    """Mark the current session as verified by ``device``, a confirmed device of the user.

    The session key is cycled when the session was not already verified by this device, so
    a session id seen before verification is worthless after it.
    """
    from django_otp.flows.verify import mark_verified

    mark_verified(request, device)


def _handle_auth_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Record when the session signed in and the password proof, and persist
    ``user.otp_device`` (set by the OTP forms)."""
    from django_otp.flows.sessions import record_sign_in
    from django_otp.flows.verify import record_password

    record_sign_in(request)
    record_password(request, user)
    if hasattr(user, "otp_device"):
        login(request, user.otp_device)


user_logged_in.connect(_handle_auth_login)

__all__ = [
    "DEVICE_ID_SESSION_KEY",
    "device_classes",
    "device_to_verify",
    "devices_for_user",
    "login",
    "match_token",
    "select_for_verify",
    "user_has_device",
    "verify_token",
]


def verify_token(user: Any, device_id: str, token: Any) -> Device | None:
    """Verify ``token`` against the user's confirmed device ``device_id``; return it on success.

    Two statements: the device's ``SELECT`` and the conditional ``UPDATE`` that decides (see
    :mod:`django_otp.verification`); no transaction or row lock is needed for that.
    """
    device = device_to_verify(user, device_id)
    return device if device is not None and device.verify_token(token) else None


def device_to_verify(user: Any, device_id: Any) -> Device | None:
    """Load ``user``'s confirmed device ``device_id`` for verifying; else ``None``.

    Inside a transaction the row stays locked until it ends (see :func:`select_for_verify`);
    an unknown, malformed, foreign or unconfirmed id gives ``None``.
    """
    from django_otp.models import Device

    device = Device.from_persistent_id(device_id, for_verify=True)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def match_token(user: Any, token: Any) -> Device | None:
    """Return the first of the user's confirmed devices that accepts ``token`` (discouraged).

    A code that one device accepts never counts as a failure on the user's other devices.
    """
    from django_otp.verification import verify_any

    with transaction.atomic():
        devices = list(devices_for_user(user, for_verify=True))
        return verify_any(devices, token)


def devices_for_user(
    user: Any, confirmed: bool | None = True, for_verify: bool = False
) -> Iterator[Device]:
    """Yield every device of ``user``; ``confirmed=None`` includes unconfirmed ones."""
    if user is None or user.is_anonymous:
        return
    for model in device_classes():
        devices = model.objects.devices_for_user(user, confirmed=confirmed)
        if for_verify:
            devices = select_for_verify(devices)
        yield from devices


def user_has_device(user: Any, confirmed: bool | None = True) -> bool:
    """Return ``True`` if ``user`` has at least one device (confirmed ones by default)."""
    if user is None or user.is_anonymous:
        return False
    for model in device_classes():
        devices = model.objects.devices_for_user(user, confirmed=confirmed)
        if devices.exists():
            return True
    return False


def device_classes() -> Iterator[type[Device]]:
    """Yield every installed concrete device model, in app-registry order."""
    from django_otp.models import Device

    for model in django_apps.get_models():
        if issubclass(model, Device) and not model._meta.proxy:
            yield model
