"""The account's browsers and sessions: forget remembered browsers, sign out everywhere.

:func:`forget_browser` and :func:`forget_browsers` revoke remembered browsers
(:mod:`django_otp.flows.remember` sends ``browser_revoked``); they change the account, so they
need the ``recent`` policy (:data:`~django_otp.flows.manage.BROWSERS`).
:func:`sign_out_everywhere` revokes every browser and the assurance of every session
(:func:`~django_otp.flows.remember.revoke_everything`), records the instant, and signs this
session out; the others end on their next request (:mod:`django_otp.flows.sessions`). Each
returns a :class:`~django_otp.flows.manage.Result`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import auth
from django.db import router
from django.http import HttpRequest

from django_otp import signals
from django_otp.flows import remember
from django_otp.flows.rules import BROWSERS, VIEW, Result, permission

if TYPE_CHECKING:
    from django_otp.contrib.remember.models import RememberedBrowser

__all__ = [
    "ERRORS",
    "active",
    "can_sign_out_everywhere",
    "forget_browser",
    "forget_browsers",
    "sign_out_everywhere",
]

#: The error codes of these flows, besides ``login_required`` and ``step_up_required`` (see
#: :data:`django_otp.flows.manage.ERRORS`).
ERRORS: Mapping[str, str] = {
    "browser_required": "the browser is not an active remembered browser of the user",
    "not_installed": "django_otp.contrib.remember is not installed",
}


def active(request: HttpRequest) -> list[RememberedBrowser]:
    """The signed-in user's remembered browsers that still count, newest first, each with
    ``is_current`` set when it is the browser making ``request``; empty when browsers
    cannot be remembered (the app, or ``OTP_REMEMBER_DAYS``)."""
    if not remember.enabled():
        return []
    rows = remember.browsers_for(request.user)
    for row in rows:
        row.is_current = remember.is_this_browser(request, row)  # type: ignore[attr-defined]
    return rows


def forget_browser(request: HttpRequest, browser_id: Any) -> Result:
    """Revoke one of the user's remembered browsers (its primary key); sends
    ``browser_revoked`` with the reason ``"user"``."""
    allowed = permission(request, BROWSERS)
    if not allowed.ok:
        return allowed
    if not remember.revoke(request.user, browser_id):
        return Result(error="browser_required")
    return Result()


def forget_browsers(request: HttpRequest) -> Result:
    """Revoke every remembered browser of the user; ``data["count"]`` says how many."""
    allowed = permission(request, BROWSERS)
    if not allowed.ok:
        return allowed
    return Result(data={"count": remember.revoke_all(request.user)})


def can_sign_out_everywhere() -> bool:
    """Whether :func:`sign_out_everywhere` can work here (the remember app is installed)."""
    return apps.is_installed(remember.APP)


def sign_out_everywhere(request: HttpRequest) -> Result:
    """Sign the user out of every session, this one included, and end every remembered
    browser and the assurance of every session (:func:`~django_otp.flows.remember.
    revoke_everything`).

    Needs what seeing the account needs (``default``), no more: it only takes access away,
    and a person who lost their device must still be able to do it. Sends
    ``signed_out_everywhere``; ``data["browsers"]`` is the number of browsers revoked.
    """
    user: Any = request.user
    allowed = permission(request, VIEW)
    if not allowed.ok:
        return allowed
    if not can_sign_out_everywhere():
        return Result(error="not_installed")
    revoked = remember.revoke_everything(user, sign_out=True)
    model = apps.get_model("otp_remember", "AssuranceReset")
    signals.send_event(
        signals.signed_out_everywhere,
        model,
        using=router.db_for_write(model),
        user=user,
        browsers=revoked,
    )
    auth.logout(request)
    return Result(data={"browsers": revoked})
