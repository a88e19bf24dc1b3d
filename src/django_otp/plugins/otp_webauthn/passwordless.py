"""Passwordless sign-in: a passkey alone signs its user in, verified by that passkey.

Off unless ``OTP_WEBAUTHN_PASSWORDLESS``; the ceremony asks for any credential of the site
with user verification, finds the account by the credential's user handle, and signs in with
the sign-in's :func:`django_otp.flows.signin.finish` (one ``login()``, the passkey's proof
and no password proof). Like the password it stands in for, each attempt counts against the
client's ``password`` limit of :mod:`django_otp.flows.limits` until it succeeds.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url

from django_otp.app_settings import app_settings
from django_otp.flows import limits, signin, stepup
from django_otp.flows.verify import verify_device
from django_otp.plugins.otp_webauthn import ceremony, wire
from django_otp.plugins.otp_webauthn.assertions import answer, bind, throttled
from django_otp.plugins.otp_webauthn.flows import Result, begin_ceremony, failed, take_ceremony
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice, WebAuthnUserHandle

__all__ = ["begin_login", "complete_login"]


def begin_login(request: HttpRequest, data: Any) -> Result:
    """Options for a passwordless sign-in: any passkey of this site, with user verification."""
    if not app_settings.OTP_WEBAUTHN_PASSWORDLESS:
        return failed("passwordless_disabled", 404)
    next_url = stepup.safe_next(request, data.get("next"))
    challenge = begin_ceremony(request, "login", uv=True, next=next_url)
    return Result(
        data=ceremony.authentication_options(challenge=challenge, allow=(), require_uv=True)
    )


def _may_sign_in(user: Any) -> bool:
    """Active accounts; one without a usable password only with ``OTP_WEBAUTHN_PASSKEY_ONLY``."""
    if not getattr(user, "is_active", False):
        return False
    return bool(user.has_usable_password() or app_settings.OTP_WEBAUTHN_PASSKEY_ONLY)


def complete_login(request: HttpRequest, data: Any) -> Result:
    """Check a passkey's assertion and sign its user in, verified by that passkey."""
    if not app_settings.OTP_WEBAUTHN_PASSWORDLESS:
        return failed("passwordless_disabled", 404)
    pending = take_ceremony(request, "login")
    assertion = wire.parse_assertion(data)
    if pending is None:
        return failed("ceremony_expired")
    admission = limits.claim_client(request, "password")
    if admission is not None and not admission.admitted:
        return throttled(admission.retry_at)
    user: Any = None
    if assertion.user_handle:
        user = WebAuthnUserHandle.user_of(assertion.user_handle)
    device = None
    if user is not None:
        devices = WebAuthnDevice.objects.devices_for_user(user, confirmed=True)
        device = devices.by_credential_id(assertion.credential_id).first()
    if device is None:
        return failed("unknown_credential")
    if not _may_sign_in(user):
        return failed("account_disabled", 403)
    # The account was found by the assertion's user handle: it is the one expected.
    result = verify_device(device, bind(device, assertion, pending, handle=assertion.user_handle))
    if not result.ok:
        return answer(result)
    limits.release_client(request, "password")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    signin.finish(request, signin.Subject(user, backend, password=False), device)
    redirect = pending.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL)
    return Result(data={"device": device.persistent_id, "redirect": redirect})
