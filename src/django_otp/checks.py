"""System checks that catch a misconfigured installation at start-up, naming the setting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_otp.app_settings import OWNED_PREFIXES, AppSettings

_OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register(Tags.security)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """OTPMiddleware must be installed, after AuthenticationMiddleware."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if _OTP_MIDDLEWARE not in middleware:
        return [
            Warning(
                f"MIDDLEWARE does not contain {_OTP_MIDDLEWARE!r}.",
                hint=(
                    "Without it request.user.is_verified() is unavailable to templates and "
                    f"views; add it right after {_AUTH_MIDDLEWARE!r}."
                ),
                id="django_otp.W001",
            )
        ]
    if _AUTH_MIDDLEWARE in middleware and middleware.index(_OTP_MIDDLEWARE) < middleware.index(
        _AUTH_MIDDLEWARE
    ):
        return [
            Error(
                f"MIDDLEWARE lists {_OTP_MIDDLEWARE!r} before {_AUTH_MIDDLEWARE!r}.",
                hint="OTPMiddleware needs request.user; move it after AuthenticationMiddleware.",
                id="django_otp.E001",
            )
        ]
    return []


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every OTP setting that is defined has a value of the right kind."""
    messages: list[CheckMessage] = []
    known = set()
    for spec in AppSettings.specs():
        known.add(spec.name)
        if not hasattr(settings, spec.name):
            continue
        problem = spec.problem(getattr(settings, spec.name))
        if problem:
            messages.append(
                Error(
                    f"{spec.name} {problem}.",
                    hint=f"The default is {spec.describe_default()}.",
                    id="django_otp.E002",
                )
            )
    for name in dir(settings):
        if name.startswith(OWNED_PREFIXES) and name not in known:
            messages.append(
                Warning(
                    f"{name} is not a setting of django-otp-ng; it has no effect.",
                    hint="Check its spelling against the settings reference.",
                    id="django_otp.W002",
                )
            )
    return messages
