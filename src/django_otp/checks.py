"""System checks that catch a misconfigured installation at start-up, naming the setting."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver

from django_otp.app_settings import OWNED_PREFIXES, AppSettings, app_settings
from django_otp.assurance.policies import policies
from django_otp.internal.policy_rules import path_policies_problem

_OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
_REMEMBER_APP = "django_otp.contrib.remember"


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


#: Module and name of the admin site class; compared by name because the admin module sits
#: above this one (layers point one way).
_OTP_ADMIN_SITE = ("django_otp.admin", "OTPAdminSite")


def _served_admin_sites(patterns: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(URL prefix, admin site)`` for every view of an admin site in ``patterns``.

    ``AdminSite.get_urls()`` marks each of its own views with an ``admin_site`` attribute.
    """
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _served_admin_sites(entry.url_patterns, prefix + str(entry.pattern))
        else:
            site = getattr(entry.callback, "admin_site", None)
            if site is not None:
                yield prefix, site


@register(Tags.admin)
def check_otp_admin_site_app(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An OTPAdminSite in the root URLconf needs the ``django_otp`` app for its templates.

    Without the app its login page fails with ``TemplateDoesNotExist``. Registered when this
    module is imported: by the core app, and also by the plugin apps and ``django_otp.admin``,
    which load when the core app is missing.
    """
    if apps.is_installed("django_otp") or not getattr(settings, "ROOT_URLCONF", None):
        return []
    found: dict[int, tuple[str, Any]] = {}
    for prefix, site in _served_admin_sites(get_resolver().url_patterns):
        classes = ((cls.__module__, cls.__qualname__) for cls in type(site).__mro__)
        if _OTP_ADMIN_SITE in classes:
            found.setdefault(id(site), (prefix, site))
    return [
        Error(
            f"An OTPAdminSite is served at {'/' + prefix!r}, but INSTALLED_APPS does not "
            "contain 'django_otp'.",
            hint=(
                "Add 'django_otp' to INSTALLED_APPS: the admin login template "
                "otp/admin111/login.html comes from that app, and without it the login page "
                "fails with TemplateDoesNotExist."
            ),
            obj=site,
            id="django_otp.E003",
        )
        for prefix, site in found.values()
    ]


@register(Tags.security)
def check_policies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``OTP_PATH_POLICIES`` names only policies that exist (built-in or ``OTP_POLICIES``)."""
    if path_policies_problem(getattr(settings, "OTP_PATH_POLICIES", ())):
        return []  # reported by check_settings
    try:
        known = policies()
    except ImproperlyConfigured:
        return []  # OTP_POLICIES itself is malformed: check_settings reports it
    return [
        Error(
            f"OTP_PATH_POLICIES item {position} names the policy {name!r}, which does not exist.",
            hint=f"Define it in OTP_POLICIES, or use one of: {', '.join(sorted(known))}.",
            id="django_otp.E010",
        )
        for position, (_, name) in enumerate(app_settings.OTP_PATH_POLICIES)
        if name not in known
    ]


@register(Tags.security)
def check_remember(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``OTP_REMEMBER_DAYS`` offers remembered browsers only with their app installed."""
    days = getattr(settings, "OTP_REMEMBER_DAYS", 0)
    if not isinstance(days, int) or days <= 0 or apps.is_installed(_REMEMBER_APP):
        return []
    return [
        Warning(
            f"OTP_REMEMBER_DAYS is {days}, but INSTALLED_APPS does not contain "
            f"{_REMEMBER_APP!r}, so no browser is remembered.",
            hint=f"Add {_REMEMBER_APP!r} to INSTALLED_APPS and migrate, or remove the setting.",
            id="django_otp.W003",
        )
    ]
