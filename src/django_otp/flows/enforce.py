"""Enforcement: who must use a second factor, their grace period, and the wall after it.

``OTP_ENFORCE_FOR`` names who must (see :func:`must_use_mfa`). :class:`OTPMiddleware
<django_otp.middleware.OTPMiddleware>` calls :func:`refusal` on each request only when it is
set, so a site that does not enforce pays nothing. For a signed-in user who must:

* a verified session passes;
* a user with a confirmed device whose session is not verified (signed in by a page that
  asks only for the password) is sent to the second step of ``otp:login``;
* a user without a device is, during the grace period, sent once to the reminder page
  ``otp:login-setup``, where they may skip for the rest of the session, and after it is
  walled: every page sends them to that page, where they can set up a device
  (``OTP_ENFORCE_SETUP_URL``) or sign out.

Always reachable: the sign-in pages (``otp:login*``), the device pages (``otp:security*``)
and the passkey endpoints they use (``otp:webauthn-*``), ``OTP_ENFORCE_SETUP_URL``,
``OTP_ENFORCE_LOGOUT_URL``, static files and the paths of ``OTP_ENFORCE_EXEMPT_PATHS``.
The grace period ends at ``OTP_ENFORCE_GRACE_UNTIL`` or ``OTP_ENFORCE_GRACE_DAYS`` days after
the user's first sign-in under enforcement, whichever is later (the first sign-in is kept by
``django_otp.contrib.limits``).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from django_otp import user_has_device
from django_otp.app_settings import app_settings
from django_otp.assurance.verified import request_is_verified
from django_otp.flows import limits
from django_otp.flows.stepup import wants_json

__all__ = [
    "SKIP_SESSION_KEY",
    "Status",
    "grace_ends",
    "must_use_mfa",
    "refusal",
    "skip",
    "status",
    "url_or_none",
]

#: The session key that records "not now" during the grace period: ``[user pk, until]``.
SKIP_SESSION_KEY = "otp_enforce_skip"


@dataclass(frozen=True)
class Status:
    """What enforcement asks of a request's user: ``action`` is ``"none"``, ``"verify"``
    (prove a device), ``"remind"`` (set one up; may skip until ``grace_ends``) or ``"wall"``."""

    action: str
    grace_ends: datetime.datetime | None = None


_NONE = Status("none")


def must_use_mfa(user: Any) -> bool:
    """Whether ``OTP_ENFORCE_FOR`` asks ``user`` (a signed-in user) to use a second factor."""
    rule = app_settings.OTP_ENFORCE_FOR
    if rule is None:
        return False
    if rule == "everyone":
        return True
    if rule == "staff":
        return bool(getattr(user, "is_staff", False))
    if rule == "superusers":
        return bool(getattr(user, "is_superuser", False))
    if isinstance(rule, str):
        rule = import_string(rule)
    if callable(rule):
        return bool(rule(user))
    groups = getattr(user, "groups", None)
    return groups is not None and groups.filter(name__in=list(rule)).exists()


def grace_ends(user: Any, now: datetime.datetime) -> datetime.datetime | None:
    """When ``user``'s grace period ends (``None``: there is none); it may start now."""
    ends = []
    if app_settings.OTP_ENFORCE_GRACE_UNTIL is not None:
        ends.append(app_settings.OTP_ENFORCE_GRACE_UNTIL)
    days = app_settings.OTP_ENFORCE_GRACE_DAYS
    if days and limits.installed():
        from django_otp.contrib.limits.models import EnrolmentGrace

        started = EnrolmentGrace.start_for(user.pk, now)
        ends.append(started + datetime.timedelta(days=days))
    return max(ends) if ends else None


def _skipped(request: HttpRequest, user: Any, now: datetime.datetime) -> bool:
    value = getattr(request, "session", {}).get(SKIP_SESSION_KEY)
    if not isinstance(value, list) or len(value) != 2 or value[0] != str(user.pk):
        return False
    return isinstance(value[1], (int, float)) and now.timestamp() < value[1]


def status(request: HttpRequest) -> Status:
    """What enforcement asks of the request's user (see the module docstring)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not must_use_mfa(user):
        return _NONE
    if request_is_verified(request):
        return _NONE
    now = timezone.now()
    if _skipped(request, user, now):
        return _NONE
    if user_has_device(user):
        return Status("verify")
    ends = grace_ends(user, now)
    if ends is not None and now < ends:
        return Status("remind", ends)
    return Status("wall")


def skip(request: HttpRequest) -> bool:
    """ "Not now" during the grace period: no reminder for the rest of the session."""
    current = status(request)
    if current.action != "remind" or current.grace_ends is None:
        return False
    request.session[SKIP_SESSION_KEY] = [str(request.user.pk), current.grace_ends.timestamp()]
    return True


def url_or_none(value: str) -> str | None:
    """``value`` (a URL name or a URL) as a URL, or ``None`` if it names no URL."""
    try:
        return resolve_url(value)
    except NoReverseMatch:
        return None


#: The pages of ``django_otp.urls`` behind the wall: the sign-in, the account pages where a
#: device is added, and the passkey endpoints they call.
_REACHABLE_NAMES = ("login", "security", "webauthn-")


def _static(path: str) -> bool:
    prefix = str(getattr(settings, "STATIC_URL", "") or "")
    if not prefix or "://" in prefix:
        return False
    return path.startswith(prefix if prefix.startswith("/") else f"/{prefix}")


def _reachable(request: HttpRequest) -> bool:
    """Whether the path stays reachable for a walled user (see the module docstring)."""
    path = request.path_info
    if _static(path) or any(rule.search(path) for rule in app_settings.OTP_ENFORCE_EXEMPT_PATHS):
        return True
    try:
        match = resolve(path, getattr(request, "urlconf", None))
    except Resolver404:
        match = None
    name = (match.url_name or "") if match is not None else ""
    if match is not None and "otp" in match.namespaces and name.startswith(_REACHABLE_NAMES):
        return True
    for value in (app_settings.OTP_ENFORCE_LOGOUT_URL, app_settings.OTP_ENFORCE_SETUP_URL):
        if match is not None and match.view_name == value:
            return True
        if url_or_none(value) in (request.path, path):
            return True
    return False


def _json(status_code: int, error: str, url: str) -> HttpResponse:
    body = json.dumps({"error": error, "url": url})
    return HttpResponse(body, status=status_code, content_type="application/json")


def refusal(request: HttpRequest) -> HttpResponse | None:
    """The response that enforcement gives instead of the page, or ``None`` to let it be.

    During the grace period only ``GET`` and ``HEAD`` requests of HTML pages are sent to the
    reminder, so that a form being sent is never lost.
    """
    user = getattr(request, "user", None)
    if app_settings.OTP_ENFORCE_FOR is None or user is None or not user.is_authenticated:
        return None
    if _reachable(request):
        return None
    current = status(request)
    if current.action == "none":
        return None
    to_json = wants_json(request)
    if current.action == "remind" and (request.method not in ("GET", "HEAD") or to_json):
        return None
    query = urlencode({"next": request.get_full_path()})
    if current.action == "verify":
        url = f"{reverse('otp:login')}?{query}"
        return _json(401, "mfa_required", url) if to_json else HttpResponseRedirect(url)
    url = f"{reverse('otp:login-setup')}?{query}"
    return _json(403, "mfa_setup_required", url) if to_json else HttpResponseRedirect(url)
