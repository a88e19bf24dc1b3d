"""Recall a remembered browser: its cookie verifies the first request of a new session.

:func:`restore` runs where ``OTPMiddleware`` annotates ``request.user`` (so a request that
never touches the user costs nothing), once per session: for a signed-in user whose session
no device verifies, a valid cookie (signed, not expired, its row active, the same user and
password, the device still a confirmed device of the user) marks the session verified by
that device, exactly as :func:`django_otp.login` would, but with a ``remembered`` proof that
is dated when the browser was remembered: it meets ``default`` and policies that allow
remembered browsers, never a ``max_age`` or ``phishing_resistant`` one. :func:`recognise`
and :func:`apply` are the two halves, for a sign-in page that skips the code on a
remembered browser (``LoginView`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_otp import DEVICE_ID_SESSION_KEY, devices
from django_otp.app_settings import app_settings
from django_otp.assurance.proofs import device_proof
from django_otp.assurance.state import state_for
from django_otp.flows.remember import (
    browser_model,
    enabled,
    read_cookie,
    revoke_rows,
    same_account,
    secret_hash,
)
from django_otp.internal.session_keys import REMEMBER_CHECKED_SESSION_KEY

if TYPE_CHECKING:
    from django_otp.contrib.remember.models import RememberedBrowser
    from django_otp.models import Device

__all__ = ["Recognised", "apply", "arestore", "forget_bad_cookie", "recognise", "restore"]

#: ``last_used_at`` is written at most this often (seconds).
TOUCH_INTERVAL = 3600
#: Set on a request whose cookie is bad, so that the middleware deletes it.
FORGET_ATTRIBUTE = "_otp_forget_browser"


def _row(request: HttpRequest) -> RememberedBrowser | None:
    """The row the request's cookie names, if the cookie is signed and its secret matches."""
    parts = read_cookie(request)
    if parts is None:
        return None
    browser = browser_model().objects.filter(selector=parts[0]).first()
    if browser is None or not constant_time_compare(browser.secret_hash, secret_hash(parts[1])):
        return None
    return browser


def _vouched_device(browser: RememberedBrowser, user: Any) -> Device | None:
    """The device ``browser`` (a row of ``user``) vouches for; revoke it if it no longer can."""
    if not browser.is_active:
        return None
    if not same_account(browser, user):
        revoke_rows([browser], "password_changed", user)
        return None
    device = devices.load(browser.device_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        revoke_rows([browser], "device_removed", user)
        return None
    if (getattr(device, "otp_reset_at", None) or 0) > browser.created_at.timestamp():
        return None  # made before the user revoked everything
    return device


def _touch(browser: RememberedBrowser) -> None:
    """Record the use of ``browser``, at most once per :data:`TOUCH_INTERVAL`."""
    now = timezone.now()
    last = browser.last_used_at
    if last is None or (now - last).total_seconds() >= TOUCH_INTERVAL:
        browser_model().objects.filter(pk=browser.pk).update(last_used_at=now)


@dataclass(frozen=True)
class Recognised:
    """A valid remembered browser of the user, and the device it vouches for."""

    browser: RememberedBrowser
    device: Device


def recognise(request: HttpRequest, user: Any) -> Recognised | None:
    """The request's remembered browser if its cookie is valid for ``user``, else ``None``.

    One indexed query for the row, then the device's load. A bad cookie is marked for
    deletion (see :func:`forget_bad_cookie`); another user's is left alone.
    """
    if app_settings.OTP_REMEMBER_COOKIE_NAME not in request.COOKIES or not enabled():
        return None
    browser = _row(request)
    if browser is not None and browser.user_id != user.pk:
        return None  # another user's browser: still theirs to use
    device = _vouched_device(browser, user) if browser is not None else None
    if browser is None or device is None:
        setattr(request, FORGET_ATTRIBUTE, True)
        return None
    return Recognised(browser, device)


def apply(request: HttpRequest, user: Any, recognised: Recognised) -> None:
    """Mark the session of ``request`` (signed in as ``user``) verified by the recognised
    browser's device, with a ``remembered`` proof dated when the browser was remembered."""
    session = request.session
    session[REMEMBER_CHECKED_SESSION_KEY] = True
    session[DEVICE_ID_SESSION_KEY] = recognised.device.persistent_id
    proved_at = recognised.browser.created_at.timestamp()
    state_for(request).add(device_proof(recognised.device, proved_at, extra={"remembered"}))
    user.otp_device = recognised.device
    _touch(recognised.browser)


def restore(request: HttpRequest, user: Any) -> bool:
    """Verify the new session of ``user`` with its remembered-browser cookie, if it is valid.

    Runs once per session (the session is marked), only for a signed-in user whose session
    no device verifies, and only when the request has the cookie: one indexed query for the
    row, the device's load (as on every verified request) and, at most once an hour per
    browser, an ``UPDATE`` of ``last_used_at``. The session keeps its key, which the sign-in
    just renewed (nothing the person typed is confirmed here).
    """
    session = getattr(request, "session", None)
    if (
        session is None
        or app_settings.OTP_REMEMBER_COOKIE_NAME not in request.COOKIES
        or not user.is_authenticated
        or getattr(user, "otp_device", None) is not None
        or session.get(REMEMBER_CHECKED_SESSION_KEY)
        or not enabled()
    ):
        return False
    session[REMEMBER_CHECKED_SESSION_KEY] = True
    recognised = recognise(request, user)
    if recognised is None:
        return False
    apply(request, user, recognised)
    return True


async def arestore(request: HttpRequest, user: Any) -> bool:
    """Async variant of :func:`restore` (free when the request has no cookie)."""
    if app_settings.OTP_REMEMBER_COOKIE_NAME not in request.COOKIES:
        return False
    return await sync_to_async(restore)(request, user)


def forget_bad_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Delete the cookie from the browser if :func:`restore` found it bad (the middleware calls
    this on every response)."""
    if getattr(request, FORGET_ATTRIBUTE, False):
        response.delete_cookie(
            app_settings.OTP_REMEMBER_COOKIE_NAME,
            path=settings.SESSION_COOKIE_PATH,
            domain=settings.SESSION_COOKIE_DOMAIN,
            samesite="Lax",
        )
