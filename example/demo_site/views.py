"""Pages of the demo site: a public home page and pages behind a verified session or a policy."""

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


@otp_required(policy="recent")
def recent(request: HttpRequest) -> HttpResponse:
    """A page behind the ``recent`` policy: a device proved within the last five minutes."""
    return render(request, "demo_site/policy.html", {"policy": "recent"})


@otp_required(policy="aal2")
def strong(request: HttpRequest) -> HttpResponse:
    """A page behind the ``aal2`` policy: two kinds of factor (an emailed code is not one)."""
    return render(request, "demo_site/policy.html", {"policy": "aal2"})
