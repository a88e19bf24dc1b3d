"""The passkey as a factor of the two-step sign-in (``otp:login``).

The endpoints ``otp:webauthn-verify-begin`` and ``-complete`` prove a key of the signed-in
user (:func:`.assertions.begin_verification`); for a visitor who is not signed in, they prove a
key of the user whose password was just accepted: the *pending* sign-in of
:mod:`django_otp.flows.signin`. That user is the subject of the ceremony (the challenge is
bound to the session, to that user and to the ceremony type ``signin``, and only that
user's credentials are allowed), and the assertion goes through
:func:`django_otp.flows.signin.prove`: the relying-party checks, the device's throttling,
the account's and the client's limits, then one ``login()`` with the password and the
passkey proved. Nobody is signed in before the key is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from django_otp.flows import signin, stepup
from django_otp.plugins.otp_webauthn import assertions
from django_otp.plugins.otp_webauthn.flows import CEREMONY_SESSION_KEY, Result, failed

__all__ = ["SIGNIN", "begin_verification", "complete_verification"]

#: The ceremony type of a pending sign-in's key (a signed-in user's is ``verify``).
SIGNIN = "signin"


def _refusal(request: HttpRequest, error: str | None, next_url: Any) -> Result:
    """Why nobody can prove a key here: not signed in, or a sign-in that took too long, which
    goes back to the password page (``redirect``, with ``next_url`` if it is of this site)."""
    if error != "expired":
        return failed("login_required", 401)
    query = {"expired": "1"}
    safe = stepup.safe_next(request, next_url)
    if safe:
        query["next"] = safe
    return failed("signin_expired", 401, redirect=f"{reverse('otp:login')}?{urlencode(query)}")


def begin_verification(request: HttpRequest, data: Any) -> Result:
    """Options to prove a key of the signed-in user, else of the pending sign-in's user."""
    if request.user.is_authenticated:
        return assertions.begin_verification(request, data)
    subject, error = signin.current(request)
    if subject is None:
        return _refusal(request, error, data.get("next"))
    next_url = stepup.safe_next(request, data.get("next"))
    return assertions.begin_assertion(request, SIGNIN, subject.user, policy=None, next_url=next_url)


def complete_verification(request: HttpRequest, data: Any) -> Result:
    """Check the key of the signed-in user, else of the pending sign-in's user, whom it then
    signs in (:func:`django_otp.flows.signin.prove`)."""
    if request.user.is_authenticated:
        return assertions.complete_verification(request, data)
    subject, error = signin.current(request)
    if subject is None:
        # A challenge is used once, whatever happens.
        stale = request.session.pop(CEREMONY_SESSION_KEY, None)
        return _refusal(request, error, stale.get("next") if isinstance(stale, dict) else None)
    presented = assertions.take_assertion(request, SIGNIN, subject.user, data)
    if isinstance(presented, Result):
        return presented
    result = signin.prove(request, subject, presented.device, presented.assertion)
    if not result.ok:
        return assertions.answer(result)
    return presented.done(data)
