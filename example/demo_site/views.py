"""Pages of the demo site: a public home page and a page that needs a verified session."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from django_otp.decorators import otp_required


def home(request: HttpRequest) -> HttpResponse:
    """Show who the visitor is and whether a one-time password verified the session."""
    return render(request, "demo_site/home.html")


@otp_required
def secret(request: HttpRequest) -> HttpResponse:
    """A page only users who signed in with a one-time password may see."""
    return render(request, "demo_site/secret.html")
