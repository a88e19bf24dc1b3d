"""Prove a device for a request: ask for a challenge, verify a token, mark the session.

:func:`verify_device` is the one sequence every caller runs: the throttle check (which sends
``verification_throttled``), the account-wide limit (with ``django_otp.contrib.limits``
installed, see :mod:`django_otp.flows.limits`), the shared verification path (which sends the
outcome's signal), and, when asked, :func:`mark_verified`. Its :class:`Verification` says
what happened with a stable error code; :func:`describe` turns that into the sentence a
person reads, with the form's own messages when it has them (:data:`MESSAGES`, the spec's,
for the compatible forms; :data:`PAGE_MESSAGES`, which say how long to wait, for the pages).
"""

from __future__ import annotations

import datetime
import operator
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from django_otp import DEVICE_ID_SESSION_KEY, device_to_verify, signals, verification
from django_otp.assurance.proofs import device_proof, password_proof
from django_otp.assurance.state import state_for
from django_otp.flows import limits
from django_otp.models import Device, VerifyNotAllowed

__all__ = [
    "ERRORS",
    "MESSAGES",
    "PAGE_MESSAGES",
    "Challenge",
    "Verification",
    "challenge_device",
    "describe",
    "mark_verified",
    "record_password",
    "verify_device",
    "verify_device_id",
]

#: The error codes a flow result can carry, and what each means.
ERRORS: Mapping[str, str] = {
    "token_required": "no token was given",
    "device_required": "no device was chosen, or it is not a confirmed device of the user",
    "invalid_token": "the token was wrong, malformed or already used (see ``reason``)",
    "throttled": "the device, the account or the client refuses attempts for now "
    "(``retry_at`` says until when; ``data['scope']`` is ``'account'`` or ``'client'`` when "
    "it is not the device)",
    "verification_not_allowed": "the device refuses verification for another reason",
    "not_interactive": "the device sends no challenge",
    "challenge_exception": "the device failed to send its challenge",
}

#: The messages people read, by the keys of ``OTPAuthenticationFormMixin.otp_error_messages``.
MESSAGES: Mapping[str, Any] = {
    "token_required": _("Please enter your OTP token."),
    "challenge_exception": _("Error generating challenge: {0}"),
    "not_interactive": _("The selected OTP device is not interactive"),
    "challenge_message": _("OTP Challenge: {0}"),
    "invalid_token": _("Invalid token. Please make sure you have entered it correctly."),
    "n_failed_attempts": ngettext_lazy(
        "Verification temporarily disabled because of %(failure_count)d failed attempt, "
        "please try again soon.",
        "Verification temporarily disabled because of %(failure_count)d failed attempts, "
        "please try again soon.",
        "failure_count",
    ),
    "verification_not_allowed": _("Verification of the token is currently disabled"),
    "device_required": _("Please select a device."),
}

#: The messages of the sign-in pages: they say how long to wait and that a code was used.
PAGE_MESSAGES: Mapping[str, Any] = {
    **MESSAGES,
    "token_required": _("Enter the code."),
    "device_required": _("Choose one of your sign-in methods."),
    "invalid_token": _("That code is not right. Check it and try again."),
    "invalid_token_wait": _("That code is not right. You can try again in %(wait)s."),
    "replayed_token": _("This code was already used. Wait for a new code and enter that one."),
    "throttled_wait": _("Too many wrong codes. Try again in %(wait)s."),
    "account_locked": _(
        "Too many wrong codes were entered for this account, so it is locked. "
        "Ask an administrator to unlock it."
    ),
    "client_throttled": _("Too many failed attempts from your network. Try again in %(wait)s."),
}

_lazy_percent = lazy(operator.mod, str)


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_device`: the device, and an error code unless it passed.

    ``reason`` refines ``invalid_token`` (``"invalid_token"``, ``"malformed_token"`` or
    ``"replayed_token"``); ``data`` is the device's refusal data for ``throttled`` and
    ``verification_not_allowed`` (with ``scope`` when the account or the client refused, and
    ``locked`` once the account is locked). ``retry_at`` is when the next attempt may be
    made, after a refusal or a wrong code, when there is a wait.
    """

    device: Device | None
    error: str | None = None
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    retry_at: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        """True if the token was accepted."""
        return self.error is None


@dataclass(frozen=True)
class Challenge:
    """The result of :func:`challenge_device`: the device's own message, or an error code."""

    device: Device | None
    message: str | None = None
    error: str | None = None
    exception: Exception | None = None

    @property
    def ok(self) -> bool:
        """True if the device sent or prepared its challenge."""
        return self.error is None


def _locked_until(data: Mapping[str, Any] | None) -> datetime.datetime | None:
    """The end of a device's refusal, when its data says."""
    value = (data or {}).get("locked_until")
    return value if isinstance(value, datetime.datetime) else None


def _refused(device: Device, data: Mapping[str, Any]) -> Verification:
    """A refusal by the device: throttling, or a reason of the device's own."""
    error = "throttled" if data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS else None
    return Verification(
        device, error or "verification_not_allowed", data=data, retry_at=_locked_until(data)
    )


def _account_refused(device: Device, admission: Any) -> Verification:
    """A refusal by the account-wide limit, in the device's refusal format."""
    data = {
        "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
        "failure_count": admission.failures,
        "locked_until": admission.retry_at,
        "scope": "account",
        "locked": admission.locked,
    }
    signals.send_after_commit(signals.verification_throttled, device, reason=data)
    return Verification(device, "throttled", data=data, retry_at=admission.retry_at)


def _failed(device: Device, reason: str | None, account: Any) -> Verification:
    """A wrong code, with the wait the device and the account now impose."""
    allowed, refusal = device.verify_is_allowed()
    device_end = None if allowed else _locked_until(refusal)
    waits = [device_end] if device_end is not None else []
    data: dict[str, Any] = {}
    if account is not None:
        if account.locked:
            data = {"scope": "account", "locked": True}
        elif account.retry_at is not None:
            waits.append(account.retry_at)
    return Verification(
        device,
        "invalid_token",
        reason=reason or "invalid_token",
        data=data,
        retry_at=max(waits) if waits else None,
    )


def verify_device(
    device: Device | None,
    token: Any,
    *,
    request: HttpRequest | None = None,
    login: bool = False,
) -> Verification:
    """Verify ``token`` with ``device``; with ``login`` mark ``request``'s session verified.

    ``device`` must be a confirmed device of the user (see
    :func:`django_otp.device_to_verify`); ``None`` gives ``device_required``.
    """
    if not token:
        return Verification(device, "token_required")
    if device is None:
        return Verification(None, "device_required")
    refused = verification.refusal(device)
    if refused is not None:
        return _refused(device, refused)
    admission = limits.claim_account(device)
    if admission is not None and not admission.admitted:
        return _account_refused(device, admission)
    outcome = verification.attempt(device, token)
    if outcome.accepted:
        limits.settle_account(device, admission, accepted=True)
        if login and request is not None:
            mark_verified(request, device)
        return Verification(device)
    if outcome.refused is not None:
        limits.settle_account(device, admission, accepted=False)
        return _refused(device, outcome.refused)
    return _failed(device, outcome.reason, limits.account_failed(device, admission))


def verify_device_id(
    request: HttpRequest, user: Any, device_id: Any, token: Any, *, login: bool = True
) -> Verification:
    """Verify ``token`` with the user's device ``device_id`` (a persistent id), for JSON views.

    An unknown, foreign or unconfirmed ``device_id`` gives ``device_required``, exactly as
    no device at all, so the answer reveals nothing about other users' devices.
    """
    if not token:
        return Verification(None, "token_required")
    device = device_to_verify(user, device_id) if device_id else None
    return verify_device(device, token, request=request, login=login)


def challenge_device(device: Device | None) -> Challenge:
    """Ask ``device`` to send (or prepare) a challenge, such as an emailed code."""
    if device is None:
        return Challenge(None, error="not_interactive")
    try:
        message = device.generate_challenge()
    except Exception as e:
        return Challenge(device, error="challenge_exception", exception=e)
    if message is None:
        return Challenge(device, error="not_interactive")
    return Challenge(device, message=message)


def describe(result: Verification | Challenge, messages: Mapping[str, Any] = MESSAGES) -> Any:
    """The sentence a person reads about ``result``, from ``messages`` (lazily translated).

    A successful challenge reads "OTP Challenge: <the device's message>"; a successful
    verification has nothing to say and gives ``""``.
    """
    if isinstance(result, Challenge):
        if result.ok:
            return format_lazy(messages["challenge_message"], result.message)
        if result.error == "challenge_exception":
            return format_lazy(messages["challenge_exception"], result.exception)
        return messages[result.error or "not_interactive"]
    if result.ok:
        return ""
    if "throttled_wait" in messages:
        page = _describe_for_pages(result, messages)
        if page is not None:
            return page
    if result.error == "throttled":
        return _lazy_percent(messages["n_failed_attempts"], dict(result.data))
    if result.error == "verification_not_allowed" and "error_message" in result.data:
        return result.data["error_message"]
    return messages[result.error or "invalid_token"]


def _describe_for_pages(result: Verification, messages: Mapping[str, Any]) -> Any:
    """The pages' sentence for a refusal or a wrong code, or ``None`` for the usual one."""
    now = timezone.now()
    if result.data.get("locked"):
        return messages["account_locked"]
    if result.error == "throttled":
        key = "client_throttled" if result.data.get("scope") == "client" else "throttled_wait"
        wait = limits.wait_text(result.retry_at or now, now)
        return _lazy_percent(messages[key], {"wait": wait})
    if result.error == "invalid_token":
        if result.reason == "replayed_token":
            return messages["replayed_token"]
        if result.retry_at is not None and result.retry_at > now:
            wait = limits.wait_text(result.retry_at, now)
            return _lazy_percent(messages["invalid_token_wait"], {"wait": wait})
    return None


def mark_verified(request: HttpRequest, device: Device | None) -> None:
    """Mark the session of ``request`` as verified by ``device``, a confirmed device of its user.

    The session key is cycled when the session was not already verified by this device, so
    a session id seen before verification is worthless after it, and the proof is added to
    the session's authentication state. This is the body of :func:`django_otp.login`.
    """
    user = getattr(request, "user", None)
    if user is None or device is None or device.user_id != user.pk:
        return
    if not device.confirmed:
        return
    session = getattr(request, "session", None)
    if session is not None:
        if session.get(DEVICE_ID_SESSION_KEY) != device.persistent_id:
            session.cycle_key()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        state_for(request).add(device_proof(device, time.time()))
    user.otp_device = device


#: Set on a user by a view that logs a signed-in user in again without a password (the
#: token-only form of ``LoginView``), so that no password proof is recorded for it.
NO_PASSWORD = "_otp_no_password"  # noqa: S105 (an attribute name)


def record_password(request: HttpRequest | None, user: Any) -> None:
    """Record the password proof of a Django ``login()`` (unless the view said there was none)."""
    if request is None or getattr(user, NO_PASSWORD, False):
        return
    if getattr(request, "session", None) is not None:
        state_for(request).add(password_proof(time.time()))
