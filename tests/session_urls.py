"""URLs of the session and signal tests: log in, log out, reset a password, verify a token."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import path

import django_otp
from django_otp.admin import OTPAdminSite
from django_otp.models import Device
from django_otp.views import LoginView

#: The template of the OTP admin login, which renders both forms of ``LoginView``.
LOGIN_TEMPLATE = "otp/admin111/login.html"


def whoami(request: HttpRequest) -> JsonResponse:
    """Report what the middleware found out about the request's user."""
    user = request.user
    return JsonResponse(
        {
            "authenticated": user.is_authenticated,
            "verified": user.is_verified(),  # type: ignore[union-attr]
        }
    )


def otp_login(request: HttpRequest) -> JsonResponse:
    """Mark the session as verified by the posted device, with ``django_otp.login``."""
    device = Device.from_persistent_id(request.POST["device"])
    django_otp.login(request, device)
    return JsonResponse({"device": request.session.get(django_otp.DEVICE_ID_SESSION_KEY)})


def verify(request: HttpRequest) -> JsonResponse:
    """Verify the posted token on the posted device, as a view of a site would."""
    device = Device.from_persistent_id(request.POST["device"])
    assert device is not None
    return JsonResponse({"accepted": device.verify_token(request.POST["token"])})


otp_admin_site = OTPAdminSite(OTPAdminSite.name)

urlpatterns = [
    path("whoami/", whoami),
    path("otp-login/", otp_login),
    path("verify/", verify),
    path("login/", LoginView.as_view(template_name=LOGIN_TEMPLATE)),
    path("logout/", auth_views.LogoutView.as_view(next_page="/whoami/")),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(post_reset_login=True, success_url="/whoami/"),
    ),
    path("otpadmin/", otp_admin_site.urls),
]
