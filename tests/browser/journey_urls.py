"""URLs of the journey test: the test suite's, with a home page and Django's sign-out page,
as a site that includes ``django_otp.urls`` has them."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from tests import urls


def home(request: HttpRequest) -> HttpResponse:
    """Who is signed in, a link to the account pages, and a button to sign out."""
    return render(request, "browser/home.html")


urlpatterns = [
    path("", home, name="home"),
    path("logout/", LogoutView.as_view(next_page="/"), name="logout"),
    *urls.urlpatterns,
]
