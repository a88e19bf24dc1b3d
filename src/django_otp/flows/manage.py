"""Manage the factors of an account: who may change what, and the changes themselves.

Who may change what is decided by :mod:`django_otp.flows.rules` (its names are re-exported
here): a signed-in user with no confirmed device may see the account and enrol a first
device; once the user has one, seeing the account needs a verified session (``default``),
renaming and forgetting remembered browsers need ``recent``, and adding, removing or
replacing a factor needs a recent proof of the account's strongest class
(:func:`policy_for`). Removing the last factor must be confirmed.

Each function returns a :class:`Result` with a stable error code, and each change sends its
signal after commit (:mod:`django_otp.signals`); :mod:`django_otp.flows.notify` emails the
user when ``OTP_NOTIFY_EMAIL`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from django_otp import signals
from django_otp.assurance.state import state_for
from django_otp.flows.rules import (
    ADD,
    BROWSERS,
    REMOVE,
    RENAME,
    STRENGTH_POLICIES,
    VIEW,
    Result,
    account_strength,
    confirmed_devices,
    permission,
    policy_for,
)
from django_otp.internal.session_keys import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

__all__ = [
    "ADD",
    "BROWSERS",
    "ERRORS",
    "REMOVE",
    "RENAME",
    "STRENGTH_POLICIES",
    "VIEW",
    "Result",
    "account_strength",
    "backup_codes_left",
    "confirmed_devices",
    "generate_backup_codes",
    "owns",
    "permission",
    "policy_for",
    "proved_besides",
    "remove",
    "rename",
]

#: The error codes a :class:`Result` can carry, and what each means.
ERRORS: Mapping[str, str] = {
    "login_required": "nobody is signed in",
    "step_up_required": "the session must first meet the policy ``data['policy']``",
    "device_required": "the device is not one of the user's",
    "invalid_name": "the name is empty or longer than 64 characters",
    "confirmation_required": "this is the user's last factor: removing it must be confirmed",
    "not_installed": "the device type's app is not installed",
    "factor_required": "backup codes need another sign-in method first",
}

#: The longest device name (the ``name`` column of every device).
MAX_NAME_LENGTH = 64


def owns(user: Any, device: Device | None) -> bool:
    """Whether ``device`` is a device (confirmed or not) of ``user``."""
    return device is not None and user is not None and device.user_id == user.pk


def rename(request: HttpRequest, device: Device, name: str) -> Result:
    """Give one of the user's devices a new name; sends ``factor_renamed``."""
    if not owns(request.user, device):
        return Result(error="device_required")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        return Result(device, "invalid_name")
    allowed = permission(request, RENAME)
    if not allowed.ok:
        return allowed
    old_name = device.name
    device.name = name
    device.save(update_fields=["name"])
    signals.send_after_commit(signals.factor_renamed, device, old_name=old_name)
    return Result(device)


def remove(request: HttpRequest, device: Device, *, confirmed: bool = False) -> Result:
    """Delete one of the user's devices; the last confirmed one only when ``confirmed``.

    Sends ``factor_removed``. ``data["last"]`` says whether it was the last factor.
    """
    user = request.user
    if not owns(user, device):
        return Result(error="device_required")
    devices = confirmed_devices(user)
    allowed = permission(request, REMOVE, devices)
    if not allowed.ok:
        return allowed
    others = [other for other in devices if other.persistent_id != device.persistent_id]
    last = device.confirmed and not others
    if last and not confirmed:
        return Result(device, "confirmation_required", {"last": True})
    persistent_id = device.persistent_id
    device.delete()
    _forget(request, persistent_id)
    signals.send_after_commit(signals.factor_removed, device, persistent_id=persistent_id)
    return Result(device, data={"last": last})


def proved_besides(request: HttpRequest, persistent_id: str) -> list[str]:
    """The devices other than ``persistent_id`` this session proved itself, oldest first."""
    return [
        proof.device_id
        for proof in state_for(request).proofs
        if proof.device_id and proof.device_id != persistent_id and not proof.remembered
    ]


def _forget(request: HttpRequest, persistent_id: str) -> None:
    """Drop the session's proofs of a removed device; if it verified the session, let the
    newest other device the session proved verify it instead (or nothing, if none)."""
    state_for(request).discard(lambda proof: proof.device_id == persistent_id)
    session = getattr(request, "session", None)
    if session is None or session.get(DEVICE_ID_SESSION_KEY) != persistent_id:
        return
    proved = proved_besides(request, persistent_id)
    other = Device.from_persistent_id(proved[-1]) if proved else None
    if other is None:
        del session[DEVICE_ID_SESSION_KEY]
    else:
        session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    request.user.otp_device = other  # type: ignore[union-attr]


def backup_codes_left(user: Any) -> int:
    """How many unused backup codes the user's confirmed static devices hold."""
    if not apps.is_installed("django_otp.plugins.otp_static"):
        return 0
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def generate_backup_codes(request: HttpRequest, count: int = 10) -> Result:
    """Give the user ``count`` new backup codes, replacing every earlier one.

    The codes are in ``data["codes"]``, to be shown once: with ``OTP_STATIC_HASH_TOKENS``
    only their hashes are stored. They back up another sign-in method, so a user without
    one gets ``factor_required``. The user keeps one static device (the oldest, or a new
    one); the others are deleted, so that no earlier code still works. Sends
    ``backup_codes_generated``.
    """
    if not apps.is_installed("django_otp.plugins.otp_static"):
        return Result(error="not_installed")
    from django_otp.plugins.otp_static.lib import replace_backup_codes
    from django_otp.plugins.otp_static.models import StaticDevice

    user: Any = request.user
    devices = confirmed_devices(user) if user.is_authenticated else []
    allowed = permission(request, ADD, devices)
    if not allowed.ok:
        return allowed
    if all(isinstance(device, StaticDevice) for device in devices):
        return Result(error="factor_required")
    with transaction.atomic():
        statics = list(StaticDevice.objects.filter(user=user).order_by("pk").select_for_update())
        if statics:
            device = statics[0]
            for other in statics[1:]:
                other.delete()
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
        else:
            device = StaticDevice.objects.create(user=user, name=gettext("Backup codes"))
        codes = replace_backup_codes(device, count)
    signals.send_after_commit(signals.backup_codes_generated, device, count=len(codes))
    return Result(device, data={"codes": codes})
