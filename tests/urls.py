"""URLs used by the test suite: protected views, the OTP login view and two admin sites."""

from __future__ import annotations

import pickle

from django.contrib import admin
from django.contrib.auth.views import LoginView as PasswordLoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import include, path
from django.views import View

from django_otp.admin import OTPAdminSite
from django_otp.assurance.policies import AnyOf, Requirement
from django_otp.decorators import otp_required
from django_otp.verification import current_request
from django_otp.views import LoginView, OTPRequiredMixin


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


def passkeys(request: HttpRequest) -> HttpResponse:
    """The plugin's snippets to add a key and list the keys, as an account page has them."""
    from django_otp.plugins.otp_webauthn.models import WebAuthnDevice

    devices = (
        WebAuthnDevice.objects.devices_for_user(request.user)
        if request.user.is_authenticated
        else []
    )
    context = {
        "title": "Passkeys",
        "snippets": ["otp_webauthn/devices.html", "otp_webauthn/register.html"],
        "devices": devices,
    }
    return render(request, "browser/passkeys.html", context)


def passkey_login(request: HttpRequest) -> HttpResponse:
    """The plugin's passwordless sign-in snippet on a page of its own."""
    context = {
        "title": "Sign in",
        "snippets": ["otp_webauthn/login.html"],
        "next": request.GET.get("next", ""),
        # ?autofill=1: passkeys offered in the username's autofill (conditional mediation).
        "autofill": bool(request.GET.get("autofill")),
    }
    return render(request, "browser/passkeys.html", context)


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


def assurance(request: HttpRequest, **kwargs: str) -> JsonResponse:
    """Report the request's authentication state."""
    state = request.otp_state  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "aal": state.aal,
            "amr": state.amr,
            "methods": [proof.method for proof in state.proofs],
            "auth_time": state.auth_time,
        }
    )


class ProtectedView(OTPRequiredMixin, View):
    """A class-based view behind a policy."""

    otp_policy = "recent"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("class secret")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("posted")


class VerifiedView(OTPRequiredMixin, View):
    """A class-based view that only asks for a verified session."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("verified secret")


#: A Python policy: a backup code, or a device within a minute.
BACKUP_OR_FRESH = AnyOf(
    "backup-or-fresh",
    (Requirement("backup", methods=("static",)), Requirement("fresh", max_age=60)),
)

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
    path("protected/recent/", otp_required(protected, policy="recent")),
    path("protected/aal2/", otp_required(policy="aal2")(protected)),
    path("protected/phr/", otp_required(protected, policy="phishing_resistant")),
    path("protected/object/", otp_required(protected, policy=BACKUP_OR_FRESH)),
    path("protected/async-recent/", otp_required(aprotected, policy="recent")),
    path("protected/class/", ProtectedView.as_view()),
    path("protected/class-verified/", VerifiedView.as_view()),
    path("assurance/", assurance),
    path("ruled/<path:rest>", assurance),
    path("otp/", include("django_otp.urls")),
    path("login/", LoginView.as_view(template_name="otp/admin111/login.html"), name="login"),
    path("browser/login/", LoginView.as_view(template_name="browser/login.html")),
    path(
        "browser/password-login/",
        PasswordLoginView.as_view(template_name="browser/password_login.html"),
    ),
    path("browser/passkeys/", passkeys),
    path("browser/passkey-login/", passkey_login),
    path("admin/", admin.site.urls),
    path("otpadmin/", otp_admin_site.urls),
]
