"""Two tiny views for the per-request benchmark: one asks whether the user is verified."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def verified(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.is_verified()))  # type: ignore[union-attr]


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.is_authenticated))


urlpatterns = [path("", verified), path("plain/", plain)]
