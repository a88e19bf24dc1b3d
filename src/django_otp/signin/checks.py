"""System checks of the sign-in and of enforcement: what is missing for them to protect.

The values of the settings are checked by ``django_otp.E002`` like every other setting;
these checks look at how they fit together.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from django_otp.app_settings import AppSettings, app_settings

_LIMITS_APP = "django_otp.contrib.limits"
_OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"


def _resolves(name: str) -> bool:
    """Whether the URL name ``name`` (or URL) can be resolved in the root URLconf."""
    if "/" in name:
        return True
    if not getattr(settings, "ROOT_URLCONF", None):
        return False
    try:
        reverse(name)
    except (NoReverseMatch, ImproperlyConfigured, ImportError):
        return False
    return True


def _valid(name: str) -> bool:
    """Whether the setting ``name`` is defined with a valid value (E002 reports the rest)."""
    return hasattr(settings, name) and not AppSettings.spec(name).problem(getattr(settings, name))


def _limits_messages(login_served: bool) -> list[CheckMessage]:
    if apps.is_installed(_LIMITS_APP):
        return []
    messages: list[CheckMessage] = []
    if login_served:
        messages.append(
            Error(
                f"The sign-in page otp:login is served, but INSTALLED_APPS does not contain "
                f"{_LIMITS_APP!r}: wrong codes would not be limited per account, nor wrong "
                "passwords and codes per client.",
                hint=f"Add {_LIMITS_APP!r} to INSTALLED_APPS and run migrate.",
                id="django_otp.E030",
            )
        )
    if _valid("OTP_ENFORCE_GRACE_DAYS") and app_settings.OTP_ENFORCE_GRACE_DAYS:
        messages.append(
            Error(
                f"OTP_ENFORCE_GRACE_DAYS needs {_LIMITS_APP!r} in INSTALLED_APPS, which "
                "keeps each user's first sign-in.",
                hint=f"Add {_LIMITS_APP!r} to INSTALLED_APPS and run migrate, or use "
                "OTP_ENFORCE_GRACE_UNTIL.",
                id="django_otp.E031",
            )
        )
    return messages


def _enforcement_messages(login_served: bool) -> list[CheckMessage]:
    if not _valid("OTP_ENFORCE_FOR") or app_settings.OTP_ENFORCE_FOR is None:
        return []
    messages: list[CheckMessage] = []
    if _OTP_MIDDLEWARE not in list(getattr(settings, "MIDDLEWARE", None) or []):
        messages.append(
            Error(
                f"OTP_ENFORCE_FOR is set, but MIDDLEWARE does not contain {_OTP_MIDDLEWARE!r}, "
                "which enforces it: nothing is enforced.",
                hint=f"Add {_OTP_MIDDLEWARE!r} after AuthenticationMiddleware.",
                id="django_otp.E032",
            )
        )
    if not login_served:
        messages.append(
            Error(
                "OTP_ENFORCE_FOR is set, but the URL otp:login does not resolve: enforcement "
                "sends users to it and to otp:login-setup.",
                hint='Add path("otp/", include("django_otp.urls")) to the root URLconf.',
                id="django_otp.E033",
            )
        )
    # The default, otp:security, comes with django_otp.urls (E033 asks for it).
    setup = app_settings.OTP_ENFORCE_SETUP_URL
    if _valid("OTP_ENFORCE_SETUP_URL") and not _resolves(str(setup)):
        messages.append(
            Warning(
                f"OTP_ENFORCE_SETUP_URL {setup!r} does not resolve, so the page that asks "
                "users to set up a device has no link to where they can.",
                hint="Include the account pages, or name the page where users add a device.",
                id="django_otp.W030",
            )
        )
    return messages


@register(Tags.security, Tags.urls)
def check_signin(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The sign-in has its limits, and enforcement has its middleware and pages."""
    login_served = _resolves("otp:login")
    return _limits_messages(login_served) + _enforcement_messages(login_served)
