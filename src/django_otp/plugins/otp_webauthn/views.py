"""The JSON endpoints of the ceremonies: each reads the body strictly, calls a flow, and
answers its result; ``django_otp.urls`` names them ``otp:webauthn-*``.

Every endpoint is a ``POST`` protected by Django's CSRF check (the browser module sends the
token in ``X-CSRFToken``). A body that is not JSON, too large, of another content type, or
holds a malformed credential is answered ``400`` with ``{"error": "malformed"}`` and nothing
is stored or counted. A verification whose body asks to trust this browser
(``"remember": true``, the sign-in's checkbox) sets the remembered-browser cookie of
:func:`django_otp.flows.remember.remember` on the response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from django_otp.flows import remember
from django_otp.plugins.otp_webauthn import flows, passwordless, signin, wire
from django_otp.plugins.otp_webauthn.messages import message_for

__all__ = [
    "MAX_BODY_BYTES",
    "login_begin",
    "login_complete",
    "register_begin",
    "register_complete",
    "verify_begin",
    "verify_complete",
]

#: The largest body an endpoint reads; a credential with attestation is a few kilobytes.
MAX_BODY_BYTES = 64 * 1024


def _malformed(field: str) -> JsonResponse:
    return JsonResponse(
        {"error": "malformed", "field": field, "message": str(message_for("malformed"))},
        status=400,
    )


def _body(request: HttpRequest) -> Any:
    """The request's JSON object; :class:`~.wire.Malformed` for anything else."""
    if request.content_type != "application/json":
        raise wire.Malformed("content_type")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise wire.Malformed("content_length") from None
    if length > MAX_BODY_BYTES:
        raise wire.Malformed("body_too_large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise wire.Malformed("body_too_large")
    data = wire.loads(body)
    if not isinstance(data, dict):
        raise wire.Malformed("body")
    return data


def _endpoint(step: Callable[[HttpRequest, Any], flows.Result]) -> Callable[..., JsonResponse]:
    """A view that runs ``step`` on the request's JSON body and answers its result."""

    @never_cache
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        try:
            result = step(request, _body(request))
        except wire.Malformed as error:
            return _malformed(error.field)
        if result.ok:
            response = JsonResponse(result.data)
            if result.trust is not None:
                remember.remember(request, response, result.trust)
            return response
        body = {
            "error": result.error,
            "reason": result.reason,
            "message": str(message_for(result.error or "", result.reason)),
            **result.data,
        }
        return JsonResponse(body, status=result.status)

    view.__name__ = view.__qualname__ = step.__name__
    view.__doc__ = step.__doc__
    return view


def _without_body(step: Callable[[HttpRequest], flows.Result]) -> Any:
    def run(request: HttpRequest, data: Any) -> flows.Result:
        return step(request)

    run.__name__, run.__doc__ = step.__name__, step.__doc__
    return run


register_begin = _endpoint(_without_body(flows.begin_registration))
register_complete = _endpoint(flows.complete_registration)
verify_begin = _endpoint(signin.begin_verification)
verify_complete = _endpoint(signin.complete_verification)
login_begin = _endpoint(passwordless.begin_login)
login_complete = _endpoint(passwordless.complete_login)
