"""URLs of the enforcement tests: django_otp.urls with stand-ins for the account pages
(``otp:security``, ``otp:security-totp``), Django's own login and logout views, and pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from django_otp import urls as otp_urls
from tests.urls import untouched, whoami


def page(request: HttpRequest) -> HttpResponse:
    """A page of the site, for anyone signed in."""
    return HttpResponse(f"page for {request.user}")


def posted(request: HttpRequest) -> HttpResponse:
    """A form's target."""
    return HttpResponse(f"posted {request.POST.get('value')}")


def api(request: HttpRequest) -> JsonResponse:
    """A JSON endpoint."""
    return JsonResponse({"ok": True})


def account_page(request: HttpRequest) -> HttpResponse:
    """Stands for the account pages of django_otp.urls, where a device is set up."""
    return HttpResponse("set up a device here")


otp_patterns = [
    *otp_urls.urlpatterns,
    path("security/", account_page, name="security"),
    path("security/totp/", account_page, name="security-totp"),
]

urlpatterns = [
    path("otp/", include((otp_patterns, "otp"))),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="enforce/django_login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/help/"), name="logout"),
    path("page/", page),
    path("form/", posted),
    path("api/", api),
    path("help/", page),
    path("whoami/", whoami),
    path("untouched/", untouched),
]
