"""Step-up: what happens when a request does not meet a policy, and when the person proves more.

:func:`refusal` is the one gate every entry point uses (``otp_required(policy=...)``,
``OTPRequiredMixin``, ``OTP_PATH_POLICIES``): ``None`` when the policy is met; otherwise a
redirect to the sign-in page (anonymous visitors) or to the step-up page with a safe
``next``, or, for a request that accepts JSON and not HTML, ``401`` with an RFC 9470
``WWW-Authenticate`` challenge and a JSON body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.assurance.policies import Unmet, get_policy
from django_otp.assurance.state import state_for
from django_otp.flows.verify import mark_verified

__all__ = [
    "challenge_header",
    "complete",
    "refusal",
    "safe_next",
    "step_up_url",
    "wants_json",
]


def wants_json(request: HttpRequest) -> bool:
    """Whether the client asked for JSON and not for HTML (an API client, not a browser)."""
    accepts = getattr(request, "accepts", None)
    if accepts is None:
        return False
    return bool(accepts("application/json")) and not request.accepts("text/html")


def safe_next(request: HttpRequest, value: Any) -> str | None:
    """``value`` if it is a URL of this site (its host; HTTPS if the request is), else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if allowed else None


def step_up_url(policy: str, next_url: str, *, resubmit: bool = False) -> str:
    """The step-up page for ``policy``, returning to ``next_url`` afterwards."""
    query = {"policy": policy, "next": next_url}
    if resubmit:
        query["resubmit"] = "1"
    return f"{resolve_url(app_settings.OTP_STEP_UP_URL)}?{urlencode(query)}"


def _quote(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def challenge_header(unmet: Unmet) -> str:
    """The RFC 9470 ``WWW-Authenticate`` value that asks for what ``unmet`` lacks."""
    parts = [
        'Bearer error="insufficient_user_authentication"',
        f"error_description={_quote(unmet.description)}",
    ]
    if unmet.max_age is not None:
        parts.append(f"max_age={_quote(unmet.max_age)}")
    else:
        parts.append(f"acr_values={_quote(unmet.acr_values or unmet.policy)}")
    return ", ".join(parts)


def _challenge(unmet: Unmet, url: str) -> HttpResponse:
    body = {
        "error": "insufficient_user_authentication",
        "policy": unmet.policy,
        "reason": unmet.reason,
        "description": str(unmet.description),
        "max_age": unmet.max_age,
        "acr_values": unmet.acr_values if unmet.max_age is None else None,
        "step_up_url": url,
    }
    response = HttpResponse(json.dumps(body), status=401, content_type="application/json")
    response["WWW-Authenticate"] = challenge_header(unmet)
    return response


def refusal(
    request: HttpRequest,
    policy: Any = None,
    *,
    login_url: str | None = None,
    redirect_field_name: str | None = "next",
) -> HttpResponse | None:
    """The response for a request that does not meet ``policy``, or ``None`` if it does.

    A ``POST`` that is refused is not replayed: the step-up page tells the person to submit
    the form again once it sends them back.
    """
    user = getattr(request, "user", None)
    path = request.get_full_path()
    if user is None or not user.is_authenticated:
        if wants_json(request):
            response = HttpResponse(
                json.dumps({"error": "login_required"}),
                status=401,
                content_type="application/json",
            )
            response["WWW-Authenticate"] = "Bearer"
            return response
        return redirect_to_login(
            path, resolve_url(login_url or app_settings.OTP_LOGIN_URL), redirect_field_name
        )
    resolved = get_policy(policy)
    unmet = state_for(request).unmet(resolved)
    if unmet is None:
        return None
    url = step_up_url(resolved.name, path, resubmit=request.method == "POST")
    if wants_json(request):
        return _challenge(unmet, url)
    return HttpResponseRedirect(url)


def complete(request: HttpRequest, device: Any, policy: Any) -> None:
    """Finish a step-up with a device just verified: record its proof in the session, give
    the session a new key, and send ``step_up_succeeded``."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    mark_verified(request, device)
    if session is not None and session.session_key == key:
        session.cycle_key()
    signals.send_after_commit(
        signals.step_up_succeeded, device, policy=getattr(get_policy(policy), "name", policy)
    )
