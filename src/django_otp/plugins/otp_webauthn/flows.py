"""The WebAuthn ceremonies as request-level operations: what every ceremony shares, and the
registration (the verification is in :mod:`.assertions`, the sign-in's in :mod:`.signin`
and :mod:`.passwordless`).

Each ceremony is a ``begin`` that stores a fresh challenge in the session, bound to the
ceremony type, the user and a deadline, and answers the options; and a ``complete`` that takes
that challenge out of the session first (so it is used once, whatever happens), decodes the
browser's response and checks it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.flows import rules, stepup
from django_otp.plugins.otp_webauthn import ceremony, wire
from django_otp.plugins.otp_webauthn.messages import default_name
from django_otp.plugins.otp_webauthn.models import (
    WebAuthnDevice,
    WebAuthnUserHandle,
    credential_kind,
)

__all__ = [
    "CEREMONY_SESSION_KEY",
    "Result",
    "begin_ceremony",
    "begin_registration",
    "complete_registration",
    "credentials",
    "failed",
    "signed_in",
    "take_ceremony",
]

#: The session key of the pending ceremony (one at a time per session).
CEREMONY_SESSION_KEY = "_otp_webauthn_ceremony"


@dataclass(frozen=True)
class Result:
    """What a ceremony step answers: ``data`` on success, else an error code and status."""

    error: str | None = None
    status: int = 200
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    #: The device just proved, when the person asked to trust this browser with it.
    trust: Any = None

    @property
    def ok(self) -> bool:
        """True if the step succeeded."""
        return self.error is None


def failed(error: str, status: int = 400, reason: str | None = None, **data: Any) -> Result:
    return Result(error, status, data, reason)


def signed_in(step: Callable[..., Result]) -> Callable[..., Result]:
    """Make ``step`` answer ``login_required`` (401) to a visitor who is not signed in."""

    @functools.wraps(step)
    def run(request: HttpRequest, *args: Any) -> Result:
        if not request.user.is_authenticated:
            return failed("login_required", 401)
        return step(request, *args)

    return run


def begin_ceremony(
    request: HttpRequest, kind: str, *, uv: bool, user: Any = None, **extra: Any
) -> bytes:
    """Store a new challenge for a ceremony of ``kind``; return it."""
    challenge = ceremony.new_challenge()
    request.session[CEREMONY_SESSION_KEY] = {
        "type": kind,
        "challenge": wire.b64url(challenge),
        "expires": time.time() + app_settings.OTP_WEBAUTHN_TIMEOUT,
        "uv": uv,
        "user": None if user is None else str(user.pk),
        **extra,
    }
    return challenge


def take_ceremony(request: HttpRequest, kind: str, user: Any = None) -> dict[str, Any] | None:
    """Remove the pending ceremony from the session; return it if it is this one and alive."""
    pending = request.session.pop(CEREMONY_SESSION_KEY, None)
    if not isinstance(pending, dict) or pending.get("type") != kind:
        return None
    if not time.time() < float(pending.get("expires", 0)):
        return None
    if pending.get("user") != (None if user is None else str(user.pk)):
        return None
    try:
        pending["challenge"] = wire.from_b64url(pending.get("challenge"), "challenge")
    except wire.Malformed:
        return None
    return pending


def credentials(devices: Any) -> list[tuple[bytes, list[str]]]:
    """The ``(credential id, transports)`` pairs of ``devices``' values, for the options."""
    return [(bytes(cid), list(transports or ())) for cid, transports in devices]


def _enrolment_refusal(request: HttpRequest) -> Result | None:
    """A user who has devices adds one only from a session that recently proved one of the
    account's strongest class: the rule of every added factor
    (:func:`django_otp.flows.rules.permission`), so this endpoint and the account pages
    agree.

    Otherwise a stolen password (or a session left open) could add the attacker's passkey
    (the advisory GHSA-8r76-c459-ww98 of django-otp-webauthn 0.10.3), and a session proved by
    an emailed code could add a key beside the user's own.
    """
    allowed = rules.permission(request, rules.ADD)
    if allowed.ok:
        return None
    policy = allowed.data.get("policy", "recent")
    next_url = stepup.safe_next(request, request.META.get("HTTP_REFERER")) or "/"
    return failed("verification_required", 403, step_up_url=stepup.step_up_url(policy, next_url))


@signed_in
def begin_registration(request: HttpRequest) -> Result:
    """Options to add a passkey or security key to the signed-in user."""
    user: Any = request.user
    refusal = _enrolment_refusal(request)
    if refusal is not None:
        return refusal
    uv = ceremony.uv_required()
    challenge = begin_ceremony(request, "register", uv=uv, user=user)
    existing = WebAuthnDevice.objects.filter(user=user).values_list("credential_id", "transports")
    name = str(user.get_username())
    full_name = getattr(user, "get_full_name", lambda: "")() or name
    options = ceremony.registration_options(
        challenge=challenge,
        user_handle=WebAuthnUserHandle.for_user(user),
        user_name=name,
        display_name=str(full_name),
        exclude=credentials(existing),
        require_uv=uv,
    )
    return Result(data=options)


def _device_name(value: Any, registered: ceremony.Registered) -> str:
    name = value.strip()[:64] if isinstance(value, str) else ""
    kind = credential_kind(
        registered.backup_eligible, registered.discoverable, registered.transports
    )
    return name or str(default_name(kind))


@signed_in
def complete_registration(request: HttpRequest, data: Any) -> Result:
    """Check a new credential (L3 7.1) and store it as a confirmed device of the user;
    sends ``factor_added`` (so ``OTP_NOTIFY_EMAIL`` tells the user)."""
    user: Any = request.user
    pending = take_ceremony(request, "register", user)
    attestation = wire.parse_attestation(data)
    if pending is None:
        return failed("ceremony_expired")
    refusal = _enrolment_refusal(request)
    if refusal is not None:
        return refusal
    try:
        registered = ceremony.verify_registration(
            attestation, challenge=pending["challenge"], require_uv=bool(pending["uv"])
        )
    except ceremony.Refused as refusal_:
        return failed("refused", reason=refusal_.code)
    if WebAuthnDevice.objects.by_credential_id(registered.credential_id).exists():
        return failed("credential_exists")
    try:
        with transaction.atomic():
            device = WebAuthnDevice.objects.create(
                user=user,
                name=_device_name(data.get("name"), registered),
                credential_id=registered.credential_id,
                public_key=registered.public_key,
                sign_count=registered.sign_count,
                transports=registered.transports,
                aaguid=registered.aaguid,
                backup_eligible=registered.backup_eligible,
                backup_state=registered.backup_state,
                user_verified=registered.user_verified,
                discoverable=registered.discoverable,
            )
    except IntegrityError:
        return failed("credential_exists")
    signals.send_after_commit(signals.factor_added, device)
    return Result(data={"device": device.persistent_id, "name": device.name})
