"""Tiny views for the per-request benchmark: verified?, the state's level, or neither."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def verified(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.is_verified()))  # type: ignore[union-attr]


def state(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.otp_state.satisfies("aal2")))  # type: ignore[attr-defined]


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.is_authenticated))


urlpatterns = [path("", verified), path("state/", state), path("plain/", plain)]
