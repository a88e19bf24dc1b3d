"""Enrol a device: begin with an unconfirmed device, send it a code if it needs one, confirm.

A device begun here signs nobody in until the person types a code it accepts: it stays
unconfirmed until :func:`confirm`. The session remembers the pending device of each type,
so a reload shows the same one; beginning again (in this session or another) deletes the
user's other unconfirmed devices of that type. An abandoned enrolment therefore leaves at
most one unconfirmed device per type, and never a confirmed one. Who may enrol is decided
by :func:`django_otp.flows.manage.permission` (the first device needs only a signed-in
session).
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from django_otp import signals
from django_otp.flows.manage import ADD, Result, owns, permission
from django_otp.flows.verify import challenge_device, mark_verified, verify_device
from django_otp.internal.db import select_for_verify
from django_otp.internal.session_keys import ENROL_SESSION_KEY
from django_otp.models import Device, GenerateNotAllowed

__all__ = ["begin", "cancel", "confirm", "cooldown_left", "pending", "send_code"]


def _stored(request: HttpRequest) -> dict[str, str]:
    session = getattr(request, "session", None)
    value = session.get(ENROL_SESSION_KEY) if session is not None else None
    return dict(value) if isinstance(value, dict) else {}


def _remember(request: HttpRequest, model: type[Device], device: Device | None) -> None:
    stored = _stored(request)
    if device is None:
        stored.pop(model.model_label(), None)
    else:
        stored[model.model_label()] = device.persistent_id
    request.session[ENROL_SESSION_KEY] = stored


def pending(request: HttpRequest, model: type[Device]) -> Device | None:
    """The device of ``model`` this session began to enrol, while it is still unconfirmed."""
    persistent_id = _stored(request).get(model.model_label())
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if not isinstance(device, model) or not owns(request.user, device) or device.confirmed:
        return None
    return device


def begin(request: HttpRequest, model: type[Device], **fields: Any) -> Result:
    """Create an unconfirmed device of ``model`` with ``fields`` for the signed-in user.

    The user's other unconfirmed devices of ``model`` are deleted first.
    """
    allowed = permission(request, ADD)
    if not allowed.ok:
        return allowed
    user: Any = request.user
    with transaction.atomic():
        model._default_manager.filter(user=user, confirmed=False).delete()
        device = model._default_manager.create(user=user, confirmed=False, **fields)
    _remember(request, model, device)
    return Result(device)


def cooldown_left(device: Device) -> int:
    """Whole seconds until ``device`` may send another code (0 when it may now)."""
    allowed, data = device.generate_is_allowed()
    if allowed or not data or data.get("reason") != GenerateNotAllowed.COOLDOWN_DURATION_PENDING:
        return 0
    seconds = (data["next_generation_at"] - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds))


def send_code(request: HttpRequest, device: Device) -> Result:
    """Send a pending device its code (an email), unless its cooldown is running.

    Errors: ``cooldown`` (``data["seconds"]`` to wait), and those of
    :func:`django_otp.flows.verify.challenge_device` (``data["challenge"]``).
    """
    if not owns(request.user, device) or device.confirmed:
        return Result(error="device_required")
    seconds = cooldown_left(device)
    if seconds:
        return Result(device, "cooldown", {"seconds": seconds})
    challenge = challenge_device(device)
    if not challenge.ok:
        return Result(device, challenge.error, {"challenge": challenge})
    return Result(device, data={"challenge": challenge})


def confirm(request: HttpRequest, device: Device, token: Any, *, name: str = "") -> Result:
    """Confirm a pending device with a code it accepts, optionally naming it.

    The session is then verified by the new device, and ``factor_added`` is sent. A wrong
    code gives the verification's error code, with the :class:`~django_otp.flows.verify.
    Verification` in ``data["verification"]`` (so a page can describe it).
    """
    if not owns(request.user, device) or device.confirmed:
        return Result(error="device_required")
    allowed = permission(request, ADD)
    if not allowed.ok:
        return allowed
    model = type(device)
    with transaction.atomic():
        rows = model._default_manager.filter(pk=device.pk, confirmed=False)
        locked = select_for_verify(rows).first()
        if locked is None:
            return Result(error="device_required")
        verification = verify_device(locked, token)
        if not verification.ok:
            return Result(locked, verification.error, {"verification": verification})
        locked.confirmed = True
        fields = ["confirmed"]
        if name.strip():
            locked.name = name.strip()[: model._meta.get_field("name").max_length]
            fields.append("name")
        locked.save(update_fields=fields)
    _remember(request, model, None)
    mark_verified(request, locked)
    signals.send_after_commit(signals.factor_added, locked)
    return Result(locked)


def cancel(request: HttpRequest, model: type[Device]) -> None:
    """Give up the pending enrolment of ``model``: its unconfirmed device is deleted."""
    device = pending(request, model)
    if device is not None:
        device.delete()
    _remember(request, model, None)
