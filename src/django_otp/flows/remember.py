"""Remembered browsers: "trust this browser for N days" once a device was proved.

:func:`remember` stores a row (the user, a selector, a hash of a random secret, the device
just proved, a fingerprint of the password, a label from the ``User-Agent``, an expiry) and
gives the browser a signed, HttpOnly, SameSite=Lax cookie (Secure outside ``DEBUG``) that
holds only the selector and the secret. :mod:`django_otp.flows.recall` reads it back on the
first request of a new session. The functions here list and revoke a user's browsers;
:func:`revoke_everything` also ends the assurance of every session of the user. Browsers are
offered when ``django_otp.contrib.remember`` is installed and ``OTP_REMEMBER_DAYS`` > 0.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import router, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

from django_otp import devices, devices_for_user, signals
from django_otp.app_settings import app_settings
from django_otp.assurance.state import state_for
from django_otp.internal.user_agent import browser_label

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from django_otp.contrib.remember.models import RememberedBrowser
    from django_otp.models import Device

__all__ = [
    "ERRORS",
    "Remembered",
    "browsers_for",
    "enabled",
    "is_this_browser",
    "password_saved",
    "remember",
    "revoke",
    "revoke_all",
    "revoke_everything",
    "withdraw_device",
]

APP = "django_otp.contrib.remember"
#: The salts of the cookie's signature and of the password fingerprint.
COOKIE_SALT = "django_otp.remember.cookie"
ACCOUNT_SALT = "django_otp.remember.account"
#: A browser is remembered only with a device proved this long ago at most (seconds).
PROOF_WINDOW = 300

#: The error codes of :class:`Remembered`.
ERRORS: Mapping[str, str] = {
    "disabled": "remembered browsers are not enabled (the app, or OTP_REMEMBER_DAYS is 0)",
    "device_required": "the device is not a confirmed device of the signed-in user",
    "not_proved": "the session did not just prove the device (a remembered proof is not enough)",
}


@dataclass(frozen=True)
class Remembered:
    """The result of :func:`remember`: the new row, or an error code of :data:`ERRORS`."""

    browser: RememberedBrowser | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True if the browser is now remembered."""
        return self.error is None


def enabled() -> bool:
    """Whether browsers can be remembered: the app is installed and ``OTP_REMEMBER_DAYS`` > 0."""
    return app_settings.OTP_REMEMBER_DAYS > 0 and apps.is_installed(APP)


def browser_model() -> type[RememberedBrowser]:
    """The ``RememberedBrowser`` model (the app must be installed)."""
    return apps.get_model("otp_remember", "RememberedBrowser")


def secret_hash(secret: str) -> str:
    """What a row keeps of its cookie's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _fingerprints(user: Any) -> list[str]:
    """The user's password fingerprint under ``SECRET_KEY`` and each of its fallbacks."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    value = f"{user.pk}:{user.password}"
    return [
        salted_hmac(ACCOUNT_SALT, value, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


def same_account(browser: RememberedBrowser, user: Any) -> bool:
    """Whether ``browser`` was remembered with the password ``user`` has now."""
    return any(constant_time_compare(browser.account_hash, fp) for fp in _fingerprints(user))


def read_cookie(request: HttpRequest) -> tuple[str, str] | None:
    """The selector and secret of the request's cookie if it is signed and unexpired."""
    value = request.get_signed_cookie(
        app_settings.OTP_REMEMBER_COOKIE_NAME,
        default=None,
        salt=COOKIE_SALT,
        max_age=app_settings.OTP_REMEMBER_DAYS * 86400,
    )
    selector, _, secret = (value or "").partition(":")
    return (selector, secret) if selector and secret else None


def _set_cookie(response: HttpResponseBase, value: str) -> None:
    response.set_signed_cookie(
        app_settings.OTP_REMEMBER_COOKIE_NAME,
        value,
        salt=COOKIE_SALT,
        max_age=app_settings.OTP_REMEMBER_DAYS * 86400,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )


def _just_proved(request: HttpRequest, device: Device) -> bool:
    """Whether the session proved ``device`` itself (not through a remembered browser) lately."""
    now = time.time()
    return any(
        proof.device_id == device.persistent_id
        and not proof.remembered
        and now - proof.at <= PROOF_WINDOW
        for proof in state_for(request).proofs
    )


def remember(request: HttpRequest, response: HttpResponseBase, device: Device) -> Remembered:
    """Remember the browser of ``request`` for ``OTP_REMEMBER_DAYS``; the cookie goes on
    ``response``.

    Call it right after ``device`` was proved in this session (the step-up page and
    ``LoginView`` do when "trust this browser" is ticked). The browser's previous row, if
    any, is revoked as ``"replaced"``. Sends ``browser_remembered``.
    """
    if not enabled():
        return Remembered(None, "disabled")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or device is None:
        return Remembered(None, "device_required")
    if device.user_id != user.pk or not device.confirmed:
        return Remembered(None, "device_required")
    if not _just_proved(request, device):
        return Remembered(None, "not_proved")
    model = browser_model()
    previous = read_cookie(request)
    if previous is not None:
        rows = model.objects.filter(user=user, selector=previous[0], revoked_at__isnull=True)
        revoke_rows(rows, "replaced", user)
    selector, secret = get_random_string(24), get_random_string(40)
    now = timezone.now()
    browser = model.objects.create(
        user=user,
        selector=selector,
        secret_hash=secret_hash(secret),
        device_id=device.persistent_id,
        account_hash=_fingerprints(user)[0],
        label=browser_label(request.headers.get("User-Agent", "")),
        last_used_at=now,
        expires_at=now + timedelta(days=app_settings.OTP_REMEMBER_DAYS),
    )
    _set_cookie(response, f"{selector}:{secret}")
    database = browser._state.db or router.db_for_write(model)
    signals.send_event(
        signals.browser_remembered, model, using=database, browser=browser, user=user
    )
    return Remembered(browser)


def is_this_browser(request: HttpRequest, browser: RememberedBrowser) -> bool:
    """Whether ``browser`` is the one making ``request`` (to mark it in a list)."""
    parts = read_cookie(request) if enabled() else None
    return parts is not None and constant_time_compare(parts[0], browser.selector)


def browsers_for(user: Any) -> list[RememberedBrowser]:
    """The browsers ``user`` still trusts (not revoked, not expired), newest first."""
    if not apps.is_installed(APP) or not getattr(user, "is_authenticated", False):
        return []
    rows = browser_model().objects.filter(user=user).active()
    return [browser for browser in rows if same_account(browser, user)]


def revoke_rows(rows: QuerySet | list[RememberedBrowser], reason: str, user: Any = None) -> int:
    """Revoke those of ``rows`` still active; one ``browser_revoked`` lists the ones changed.

    Without receivers of the signal a query set is revoked by one ``UPDATE``.
    """
    model = browser_model()
    now = timezone.now()
    if not isinstance(rows, list):
        if not signals.browser_revoked.has_listeners(model):
            return rows.filter(revoked_at__isnull=True).update(revoked_at=now, revoke_reason=reason)
        rows = list(rows.select_related("user"))
    rows = [row for row in rows if row.revoked_at is None]
    changed = model.objects.filter(pk__in=[row.pk for row in rows], revoked_at__isnull=True)
    count = changed.update(revoked_at=now, revoke_reason=reason)
    if count:
        for row in rows:
            row.revoked_at, row.revoke_reason = now, reason
        signals.send_event(
            signals.browser_revoked,
            model,
            using=router.db_for_write(model),
            browsers=rows,
            user=rows[0].user if user is None else user,
            reason=reason,
        )
    return count


def revoke(user: Any, browser_id: Any, *, reason: str = "user") -> bool:
    """Revoke the browser ``browser_id`` (its primary key) of ``user``; ``False`` if ``user``
    has no such active browser (another user's id included)."""
    if not apps.is_installed(APP):
        return False
    rows = browser_model().objects.filter(user=user, pk=browser_id).active()
    return revoke_rows(list(rows), reason, user) > 0


def revoke_all(user: Any, *, reason: str = "user") -> int:
    """Revoke every browser of ``user``; returns how many were not revoked yet."""
    if not apps.is_installed(APP):
        return 0
    rows = browser_model().objects.filter(user=user, revoked_at__isnull=True)
    return revoke_rows(rows, reason, user)


def _forget_devices(user: Any) -> None:
    """Drop the user's devices from ``OTP_CACHE``, whose entries carry the reset instant."""
    if devices.cache() is None:
        return
    ids = [device.persistent_id for device in devices_for_user(user, confirmed=None)]
    for persistent_id in ids:
        devices.forget(persistent_id)

    def forget_again() -> None:
        for persistent_id in ids:
            devices.forget(persistent_id)

    transaction.on_commit(forget_again, using=router.db_for_write(browser_model()))


def revoke_everything(user: Any, *, sign_out: bool = False) -> int:
    """Revoke every browser of ``user`` and every proof of every session of theirs, at once.

    Each session of the user, this one included, stops being verified on its next request
    (it stays signed in): it must prove a device again. With ``sign_out`` each session that
    signed in before now is also ended (see :mod:`django_otp.flows.sessions`). Returns the
    browsers revoked.
    """
    if not apps.is_installed(APP):
        return 0
    reset = apps.get_model("otp_remember", "AssuranceReset")
    now = timezone.now()
    instants = {"at": now, "signed_out_at": now} if sign_out else {"at": now}
    with transaction.atomic(using=router.db_for_write(reset)):
        revoked = revoke_all(user, reason="everything")
        reset.objects.update_or_create(user=user, defaults=instants)
        _forget_devices(user)
    return revoked


def withdraw_device(device: Device) -> int:
    """Revoke the browsers remembered with ``device``, which was deleted or unconfirmed."""
    if not apps.is_installed(APP):
        return 0
    rows = browser_model().objects.filter(
        user_id=device.user_id, device_id=device.persistent_id, revoked_at__isnull=True
    )
    return revoke_rows(rows, "device_removed")


def password_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of the user model: a new password revokes every browser of the user.

    Django's ``set_password()`` keeps the new password in ``_password`` until the user is
    saved. A password written otherwise (a bulk ``UPDATE``) is caught when a cookie is read:
    the row's password fingerprint no longer matches.
    """
    if created or kwargs.get("raw") or getattr(instance, "_password", None) is None:
        return
    revoke_all(instance, reason="password_changed")
