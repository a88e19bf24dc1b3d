"""The two-step sign-in: a password, then a second factor, as operations any view can call.

:func:`check_password` authenticates, within the per-client limit of the ``password`` step.
:func:`start` then signs in a user who has no device, or whose browser is remembered (with a
``remembered`` proof, never a fresh one), or keeps the *pending* second step in the session:
the user, the authentication backend, when and the session's auth hash, never the password;
the session key is cycled. :func:`current` finds who the second step is for (the pending
user, or a signed-in user whose session is not verified yet) and drops a pending step older
than ``OTP_LOGIN_PENDING_TIMEOUT`` seconds. :func:`verify` checks a code, and :func:`prove`
any token of a device (a code, or a passkey's assertion), through
:func:`django_otp.flows.verify.verify_device` (the device's and the account's limits) within
the per-client limit of the ``code`` step; :func:`finish` signs the user in: one ``login()``
(one ``user_logged_in``, the password and the device proofs, a new session key).
:func:`send_code` asks a device such as email to send its code.

The HTML views of :mod:`django_otp.signin`, the passkey plugin's JSON endpoints and any JSON
view translate these results.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from django_otp import DEVICE_ID_SESSION_KEY, device_to_verify, user_has_device
from django_otp.app_settings import app_settings
from django_otp.assurance.verified import request_is_verified
from django_otp.flows import limits, recall
from django_otp.flows.factors import has_factors, resend_at
from django_otp.flows.verify import (
    NO_PASSWORD,
    Verification,
    challenge_device,
    mark_verified,
    verify_device,
)
from django_otp.models import Device

__all__ = [
    "ERRORS",
    "PENDING_SESSION_KEY",
    "PasswordCheck",
    "Sent",
    "Subject",
    "cancel",
    "check_password",
    "current",
    "describe_sent",
    "finish",
    "prove",
    "send_code",
    "start",
    "verify",
]

#: The session key of the pending second step.
PENDING_SESSION_KEY = "otp_signin"

#: The error codes of these flows (:func:`verify` gives those of ``flows.verify.ERRORS``).
ERRORS = {
    "invalid_login": "the username or the password is wrong",
    "inactive": "the account is inactive",
    "throttled": "the client failed too often; ``retry_at`` says until when",
    "expired": "the pending second step is older than OTP_LOGIN_PENDING_TIMEOUT, or its "
    "user or password changed",
    "missing": "nobody is signing in: no pending step and no signed-in user",
    "verified": "the signed-in session is verified already",
    "no_device": "the signed-in user has no device",
    "device_required": "the device is not a confirmed device of the user",
    "cooldown": "the device sent a code a moment ago; ``retry_at`` says when it may again",
    "not_interactive": "the device sends no code",
    "challenge_exception": "the device failed to send its code",
}


#: What the sign-in page says about a :class:`Sent`, by its error code (``""``: sent).
SENT_MESSAGES = {
    "": _("We sent you a code. Enter it below."),
    "cooldown": _("A code was sent a moment ago. You can ask for a new one in %(wait)s."),
    "device_required": _("Choose one of your sign-in methods."),
    "not_interactive": _("This method does not send codes."),
    "challenge_exception": _("The code could not be sent. Try again later, or use another method."),
}


@dataclass(frozen=True)
class PasswordCheck:
    """The result of :func:`check_password`: the user, or an error code."""

    user: Any = None
    error: str | None = None
    retry_at: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        """True if the password was accepted."""
        return self.error is None


@dataclass(frozen=True)
class Subject:
    """Who the second step is for; ``backend`` is set while the password step is pending.

    ``password`` is false for a first step that was not a password (a passkey sign-in calls
    :func:`finish` with such a subject), so that no password proof is recorded.
    """

    user: Any
    backend: str | None = None
    password: bool = True

    @property
    def pending(self) -> bool:
        """True after the password step; False for a user who was signed in already."""
        return self.backend is not None


@dataclass(frozen=True)
class Sent:
    """The result of :func:`send_code`; ``retry_at`` is when a new code may be sent."""

    device: Device | None
    error: str | None = None
    retry_at: datetime.datetime | None = None
    exception: Exception | None = None

    @property
    def ok(self) -> bool:
        """True if the device sent its code."""
        return self.error is None


def describe_sent(sent: Sent) -> str:
    """The sentence a person reads about ``sent``, with the wait of a running cooldown."""
    message = str(SENT_MESSAGES.get(sent.error or "", SENT_MESSAGES["challenge_exception"]))
    if sent.error == "cooldown":
        return message % {"wait": limits.wait_text(sent.retry_at)}
    return message


def check_password(request: HttpRequest, username: Any, password: Any) -> PasswordCheck:
    """Authenticate ``username`` and ``password``, within the client's ``password`` limit.

    A failure counts against the client; a success is given back. Django's
    ``user_login_failed`` is sent by ``authenticate()`` as usual.
    """
    admission = limits.claim_client(request, "password")
    if admission is not None and not admission.admitted:
        return PasswordCheck(error="throttled", retry_at=admission.retry_at)
    user = auth.authenticate(request, username=username, password=password)
    if user is None:
        return PasswordCheck(error="invalid_login")
    if not user.is_active:
        return PasswordCheck(user, error="inactive")
    limits.release_client(request, "password")
    return PasswordCheck(user)


def start(request: HttpRequest, user: Any) -> Subject | None:
    """After the password: keep the pending second step in the session, under a new session
    key; or sign in at once (``None``) a user without a device, or on a browser the user
    trusted ("trust this browser"): the session is then verified by the remembered browser's
    device with a ``remembered`` proof, which never counts as a fresh one (see
    :mod:`django_otp.flows.recall`)."""
    if not has_factors(user):
        auth.login(request, user)
        return None
    recognised = recall.recognise(request, user)
    if recognised is not None:
        auth.login(request, user)
        recall.apply(request, user, recognised)
        return None
    session = request.session
    session.cycle_key()
    session[PENDING_SESSION_KEY] = {
        "user": str(user.pk),
        "backend": user.backend,
        "at": time.time(),
        "hash": user.get_session_auth_hash(),
    }
    return Subject(user, user.backend)


def _pending_user(raw: Any) -> Any:
    """The user of a stored pending step, if it is well formed, recent and still valid."""
    if not isinstance(raw, dict):
        return None
    backend, at = raw.get("backend"), raw.get("at")
    if not isinstance(backend, str) or backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    if not isinstance(at, (int, float)):
        return None
    if not 0 <= time.time() - at <= app_settings.OTP_LOGIN_PENDING_TIMEOUT:
        return None
    try:
        pk = auth.get_user_model()._meta.pk.to_python(raw.get("user"))
    except (ValidationError, TypeError, ValueError):  # not a key of the user model
        return None
    user = auth.load_backend(backend).get_user(pk)
    if user is None or not constant_time_compare(
        user.get_session_auth_hash(), str(raw.get("hash"))
    ):
        return None
    user.backend = backend
    return user


def current(request: HttpRequest) -> tuple[Subject | None, str | None]:
    """Who the second step is for, or the error code that says why nobody is."""
    session = getattr(request, "session", None)
    raw = session.get(PENDING_SESSION_KEY) if session is not None else None
    if raw is not None:
        user = _pending_user(raw)
        if user is None:
            session.pop(PENDING_SESSION_KEY, None)  # type: ignore[union-attr]
            return None, "expired"
        return Subject(user, user.backend), None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, "missing"
    if request_is_verified(request):
        return None, "verified"
    if not user_has_device(user):
        return None, "no_device"
    return Subject(user), None


def verify(request: HttpRequest, subject: Subject, factor_id: Any, token: Any) -> Verification:
    """Check ``token`` with the subject's device ``factor_id``; on success, :func:`finish`.

    Another user's device, or an unknown one, is ``device_required``. See :func:`prove`.
    """
    device = device_to_verify(subject.user, factor_id) if factor_id and token else None
    return prove(request, subject, device, token)


def prove(
    request: HttpRequest, subject: Subject, device: Device | None, token: Any
) -> Verification:
    """Check ``token`` (a code, or a passkey's assertion) with ``device``, a confirmed device
    of the subject; on success, :func:`finish`.

    Any other device is ``device_required``. A wrong token counts against the client's
    ``code`` limit; anything else is given back.
    """
    if device is None or device.user_id != subject.user.pk or not device.confirmed:
        return verify_device(None, token)
    admission = limits.claim_client(request, "code")
    if admission is not None and not admission.admitted:
        retry_at = admission.retry_at
        return Verification(device, "throttled", data={"scope": "client"}, retry_at=retry_at)
    result = verify_device(device, token)
    if result.error != "invalid_token":
        limits.release_client(request, "code")
    if result.ok:
        finish(request, subject, device)
    return result


def send_code(request: HttpRequest, subject: Subject, factor_id: Any) -> Sent:
    """Ask the subject's device ``factor_id`` to send its code, unless its cooldown runs."""
    device = device_to_verify(subject.user, factor_id) if factor_id else None
    if device is None:
        return Sent(None, "device_required")
    wait = resend_at(device)
    if wait is not None:
        return Sent(device, "cooldown", retry_at=wait)
    challenge = challenge_device(device)
    if not challenge.ok:
        return Sent(device, challenge.error, exception=challenge.exception)
    return Sent(device, retry_at=resend_at(device))


def finish(request: HttpRequest, subject: Subject, device: Device) -> None:
    """Sign the subject in with ``device``, just verified.

    A pending subject is logged in with Django's ``login()``, which sends ``user_logged_in``
    once; its receiver records the password proof and marks the session verified by
    ``device``. A user who was signed in already only has the session marked. Either way the
    session key changes.
    """
    session = request.session
    session.pop(PENDING_SESSION_KEY, None)
    if not subject.pending:
        mark_verified(request, device)
        return
    user = subject.user
    user.otp_device = device
    if not subject.password:
        setattr(user, NO_PASSWORD, True)
    if SESSION_KEY not in session:
        # login() cycles the key of a session without a user: mark it verified first, so
        # that marking it does not cycle the key a second time.
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    auth.login(request, user, backend=subject.backend)


def cancel(request: HttpRequest) -> None:
    """Forget the pending second step (the person starts again, or gives up)."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(PENDING_SESSION_KEY, None)
