"""URLconf of the ecosystem tests: django-two-factor-auth's views, and pages showing OTP state."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urlpatterns

from django_otp.decorators import otp_required


def otp_state(request: HttpRequest) -> JsonResponse:
    """Say who the visitor is, whether the session is verified and by which device."""
    device = getattr(request.user, "otp_device", None)
    return JsonResponse(
        {
            "username": request.user.get_username(),
            "verified": request.user.is_verified(),  # type: ignore[union-attr]
            "device": device.persistent_id if device is not None else None,
        }
    )


urlpatterns = [
    path("", include(two_factor_urlpatterns)),
    path("state/", otp_state, name="otp_state"),
    path("protected/", otp_required(otp_state, login_url="/account/login/"), name="protected"),
]
