"""URLs used by the test suite: protected views, the OTP login view and two admin sites."""

from __future__ import annotations

import pickle

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from django_otp.admin import OTPAdminSite
from django_otp.decorators import otp_required
from django_otp.verification import current_request
from django_otp.views import LoginView


def _state(request: HttpRequest) -> JsonResponse:
    user = request.user
    device = user.otp_device  # type: ignore[union-attr]
    return JsonResponse(
        {
            "authenticated": user.is_authenticated,
            "verified": user.is_verified(),  # type: ignore[union-attr]
            "device": device.persistent_id if device is not None else None,
            "current_request": current_request.get() is request,
        }
    )


def whoami(request: HttpRequest) -> JsonResponse:
    """Report what the middleware found out about the request's user."""
    return _state(request)


async def awhoami(request: HttpRequest) -> JsonResponse:
    """Report what ``request.auser()`` returns after the middleware."""
    user = await request.auser()
    device = user.otp_device
    return JsonResponse(
        {
            "authenticated": user.is_authenticated,
            "verified": user.is_verified(),
            "device": device.persistent_id if device is not None else None,
            "current_request": current_request.get() is request,
        }
    )


def untouched(request: HttpRequest) -> HttpResponse:
    """A view that never looks at the user."""
    return HttpResponse("ok")


def pickled_user(request: HttpRequest) -> HttpResponse:
    """Return ``request.user`` pickled, after the middleware ran."""
    request.user.is_verified()  # type: ignore[union-attr]
    return HttpResponse(pickle.dumps(request.user), content_type="application/octet-stream")


def protected(request: HttpRequest) -> HttpResponse:
    """The view behind the decorator tests."""
    return HttpResponse("secret")


async def aprotected(request: HttpRequest) -> HttpResponse:
    """An async view behind the decorator."""
    return HttpResponse("async secret")


otp_admin_site = OTPAdminSite(OTPAdminSite.name)

urlpatterns = [
    path("whoami/", whoami),
    path("awhoami/", awhoami),
    path("untouched/", untouched),
    path("pickled-user/", pickled_user),
    path("protected/bare/", otp_required(protected)),
    path("protected/called/", otp_required()(protected)),
    path("protected/if-configured/", otp_required(if_configured=True)(protected)),
    path(
        "protected/custom/",
        otp_required(login_url="/custom-login/", redirect_field_name="goto")(protected),
    ),
    path(
        "protected/no-next/",
        otp_required(protected, login_url="/custom-login/", redirect_field_name=None),
    ),
    path("protected/async/", otp_required(aprotected)),
    path("login/", LoginView.as_view(template_name="otp/admin111/login.html"), name="login"),
    path("browser/login/", LoginView.as_view(template_name="browser/login.html")),
    path("admin/", admin.site.urls),
    path("otpadmin/", otp_admin_site.urls),
]
