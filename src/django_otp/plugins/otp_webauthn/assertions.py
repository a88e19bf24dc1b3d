"""Prove a passkey or security key: the verify ceremony of a signed-in user (a second factor,
or a step-up), and the parts of an assertion that the sign-in's ceremonies share.

An assertion is verified by the core's :func:`django_otp.flows.verify.verify_device` (or the
sign-in's :func:`django_otp.flows.signin.prove`), so throttling, failure counts and signals
are the same as for any device, and a success marks the session as any device does.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.shortcuts import resolve_url

from django_otp.assurance.policies import get_policy
from django_otp.assurance.proofs import Proof, method_of
from django_otp.assurance.state import state_for
from django_otp.flows import limits, stepup
from django_otp.flows.verify import Verification, mark_verified, verify_device
from django_otp.plugins.otp_webauthn import ceremony, wire
from django_otp.plugins.otp_webauthn.flows import (
    Result,
    begin_ceremony,
    credentials,
    failed,
    signed_in,
    take_ceremony,
)
from django_otp.plugins.otp_webauthn.messages import THROTTLED_WAIT
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice, WebAuthnUserHandle

__all__ = [
    "Presented",
    "answer",
    "begin_assertion",
    "begin_verification",
    "bind",
    "complete_verification",
    "take_assertion",
    "throttled",
]


def _needs_uv(request: HttpRequest, policy: Any, devices: list[WebAuthnDevice]) -> bool:
    """Whether ``policy`` can be met by these devices only with user verification."""
    if policy is None:
        return False
    state = state_for(request)

    def meets(device: WebAuthnDevice, uv: bool) -> bool:
        proof = Proof(method_of(device), device.persistent_id, state.now, *device.proof_of(uv))
        return state.would_satisfy(policy, proof)

    without = any(meets(device, False) for device in devices)
    return not without and any(meets(device, True) for device in devices)


def _policy(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return str(get_policy(name).name)
    except ImproperlyConfigured:
        return None


def begin_assertion(
    request: HttpRequest, kind: str, user: Any, *, policy: str | None, next_url: str | None
) -> Result:
    """Options to prove one of ``user``'s keys, in a ceremony of ``kind`` for that user."""
    devices = list(WebAuthnDevice.objects.devices_for_user(user, confirmed=True))
    if not devices:
        return failed("no_credentials")
    uv = ceremony.uv_required() or _needs_uv(request, policy, devices)
    challenge = begin_ceremony(request, kind, uv=uv, user=user, policy=policy, next=next_url)
    allow = credentials((device.credential_id, device.transports) for device in devices)
    return Result(
        data=ceremony.authentication_options(challenge=challenge, allow=allow, require_uv=uv)
    )


@signed_in
def begin_verification(request: HttpRequest, data: Any) -> Result:
    """Options to prove one of the signed-in user's keys (second factor or step-up)."""
    policy = _policy(data.get("policy"))
    next_url = stepup.safe_next(request, data.get("next"))
    return begin_assertion(request, "verify", request.user, policy=policy, next_url=next_url)


def bind(
    device: WebAuthnDevice,
    assertion: wire.Assertion,
    pending: dict[str, Any],
    *,
    handle: bytes | None = None,
) -> Any:
    """The assertion with what its ceremony expects: the challenge, UV, and the user handle
    of the device's user (``handle`` when the caller read it already)."""
    if handle is None:
        row = WebAuthnUserHandle.objects.filter(user_id=device.user_id).first()
        handle = row.value if row is not None else None
    return dataclasses.replace(
        assertion,
        challenge=pending["challenge"],
        require_uv=bool(pending["uv"]),
        user_handle_expected=handle,
    )


def throttled(retry_at: datetime.datetime | None) -> Result:
    """A refusal by throttling or a limit, saying how long to wait."""
    wait = limits.wait_text(retry_at)
    return failed("throttled", 429, message=str(THROTTLED_WAIT % {"wait": wait}))


def answer(result: Verification) -> Result:
    """The ceremony's answer to a refused verification of the core's path."""
    if result.error == "throttled":
        return throttled(result.retry_at)
    if result.error == "verification_not_allowed":
        return failed("verification_failed", 403, reason="not_allowed")
    return failed("verification_failed", 403, reason=result.reason)


@dataclass(frozen=True)
class Presented:
    """An assertion of one of the user's keys, bound to the ceremony that asked for it."""

    device: WebAuthnDevice
    assertion: wire.Assertion
    pending: dict[str, Any]

    def done(self, data: Any) -> Result:
        """The answer once the key was proved: the device, where to go, and the browser to
        remember when the person ticked "trust this browser" (``remember`` in ``data``)."""
        redirect = self.pending.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL)
        trust = self.device if data.get("remember") is True else None
        return Result(data={"device": self.device.persistent_id, "redirect": redirect}, trust=trust)


def take_assertion(request: HttpRequest, kind: str, user: Any, data: Any) -> Presented | Result:
    """Take the ceremony of ``kind`` out of the session and read the assertion of one of
    ``user``'s keys; a :class:`Result` says why not (expired, or not the user's key)."""
    pending = take_ceremony(request, kind, user)
    assertion = wire.parse_assertion(data)
    if pending is None:
        return failed("ceremony_expired")
    devices = WebAuthnDevice.objects.devices_for_user(user, confirmed=True)
    device = devices.by_credential_id(assertion.credential_id).first()
    if device is None:
        return failed("unknown_credential")
    return Presented(device, bind(device, assertion, pending), pending)


@signed_in
def complete_verification(request: HttpRequest, data: Any) -> Result:
    """Check an assertion of the signed-in user's key (L3 7.2) and mark the session."""
    presented = take_assertion(request, "verify", request.user, data)
    if isinstance(presented, Result):
        return presented
    result = verify_device(presented.device, presented.assertion)
    if not result.ok:
        return answer(result)
    policy = presented.pending.get("policy")
    if policy:
        stepup.complete(request, presented.device, policy)
    else:
        mark_verified(request, presented.device)
    return presented.done(data)
