"""The sessions of a user: when each signed in, and the end of those that signed in before
the user signed out everywhere (:func:`django_otp.flows.browsers.sign_out_everywhere`).

Sessions end without a scan of the session store, so this works with any
``SESSION_ENGINE``: every session notes when it signed in (:func:`record_sign_in`, on Django's
``user_logged_in``), and the query that loads a verified session's device also reads the
instant the user last signed out everywhere (see :mod:`django_otp.devices`, and
``AssuranceReset.signed_out_at``). ``OTPMiddleware`` ends a session that signed in before it
on its next request (:func:`end`), at no extra cost. A session that no device verifies makes
no such query: it is ended as soon as it proves a device, so it never reaches a page that
needs one; pages that need only a signed-in user see it until then.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from django_otp.assurance.verified import SIGNED_OUT, annotate
from django_otp.internal.session_keys import SIGNED_IN_SESSION_KEY

__all__ = ["aend", "end", "record_sign_in", "signed_out"]


def record_sign_in(request: HttpRequest | None) -> None:
    """Note in the session when it signed in (a receiver of Django's ``user_logged_in``)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_SESSION_KEY] = time.time()


def signed_out(user: Any) -> bool:
    """Whether the session of ``user`` (annotated by the middleware) signed in before the
    user last signed out everywhere."""
    return bool(getattr(user, SIGNED_OUT, False))


def _anonymous(request: HttpRequest) -> AnonymousUser:
    anonymous = AnonymousUser()
    annotate(request, anonymous)
    return anonymous


def end(request: HttpRequest) -> AnonymousUser:
    """End the session of ``request``, whose user signed out everywhere since it signed in:
    its data is deleted (and its cookie with it), and the request goes on anonymous.

    Django's ``user_logged_out`` is not sent: this runs while ``request.user`` is being
    resolved, where a receiver reading it would recurse. ``signed_out_everywhere`` was sent
    when the person signed out everywhere.
    """
    session = getattr(request, "session", None)
    if session is not None:
        session.flush()
    return _anonymous(request)


async def aend(request: HttpRequest) -> AnonymousUser:
    """Async variant of :func:`end`."""
    session = getattr(request, "session", None)
    if session is not None:
        aflush = getattr(session, "aflush", None)  # Django >= 5.1
        await (aflush() if aflush is not None else sync_to_async(session.flush)())
    return _anonymous(request)
