"""System checks that catch a misconfigured installation at start-up, naming the setting."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver

from django_otp.app_settings import OWNED_PREFIXES, AppSettings, app_settings
from django_otp.assurance.policies import policies
from django_otp.internal.policy_rules import path_policies_problem
from django_otp.internal.rules import is_ip_address

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


_WEBAUTHN_APP = "django_otp.plugins.otp_webauthn"


def _webauthn_origin_problems(rp_id: str) -> list[CheckMessage]:
    """Each origin must be HTTPS (HTTP only on localhost) on the RP id or a subdomain of it."""
    messages: list[CheckMessage] = []
    for origin in app_settings.OTP_WEBAUTHN_ORIGINS:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if host != rp_id and not host.endswith("." + rp_id):
            messages.append(
                Error(
                    f"OTP_WEBAUTHN_ORIGINS holds {origin!r}, whose host is not "
                    f"OTP_WEBAUTHN_RP_ID ({rp_id!r}) nor a subdomain of it.",
                    hint="Browsers refuse such ceremonies; use the RP id of that site.",
                    id="django_otp.E022",
                )
            )
        elif parts.scheme == "http" and host != "localhost":
            messages.append(
                Error(
                    f"OTP_WEBAUTHN_ORIGINS holds {origin!r}: WebAuthn needs HTTPS "
                    "(plain HTTP only on localhost).",
                    hint="Serve the site over HTTPS and list its https:// origin.",
                    id="django_otp.E023",
                )
            )
    return messages


def _host_allowed(rp_id: str) -> bool:
    """Whether ``ALLOWED_HOSTS`` lets requests for the RP id or one of its subdomains in."""
    for pattern in getattr(settings, "ALLOWED_HOSTS", None) or ():
        pattern = str(pattern).lower()
        if pattern == "*" or pattern == rp_id or pattern == "." + rp_id:
            return True
        host = pattern.lstrip(".")
        if host.endswith("." + rp_id) or (pattern.startswith(".") and rp_id.endswith(pattern)):
            return True
    return False


@register(Tags.security)
def check_webauthn(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Passkeys need an RP id, origins that belong to it, and hosts that serve it."""
    if not apps.is_installed(_WEBAUTHN_APP):
        return []
    rp_id = app_settings.OTP_WEBAUTHN_RP_ID
    if not rp_id:
        return [
            Error(
                "OTP_WEBAUTHN_RP_ID is not set, and the otp_webauthn plugin needs it.",
                hint="Set it to the site's domain, such as 'example.com' (see the passkeys docs).",
                id="django_otp.E020",
            )
        ]
    rp_id = str(rp_id)
    if rp_id != rp_id.strip().lower() or "/" in rp_id or ":" in rp_id or not rp_id.strip("."):
        return [
            Error(
                f"OTP_WEBAUTHN_RP_ID is {rp_id!r}, which is not a domain.",
                hint="Give the lower-case domain alone: no scheme, port or path.",
                id="django_otp.E021",
            )
        ]
    if is_ip_address(rp_id):
        return [
            Error(
                f"OTP_WEBAUTHN_RP_ID is the IP address {rp_id!r}; browsers accept only domains.",
                hint="Use a domain name ('localhost' for development).",
                id="django_otp.E021",
            )
        ]
    messages = _webauthn_origin_problems(rp_id)
    if getattr(settings, "ALLOWED_HOSTS", None) and not _host_allowed(rp_id):
        messages.append(
            Warning(
                f"ALLOWED_HOSTS serves neither OTP_WEBAUTHN_RP_ID ({rp_id!r}) nor a subdomain.",
                hint="Ceremonies run on the pages of the RP id; add its host to ALLOWED_HOSTS.",
                id="django_otp.W020",
            )
        )
    if app_settings.OTP_WEBAUTHN_PASSKEY_ONLY and not app_settings.OTP_WEBAUTHN_PASSWORDLESS:
        messages.append(
            Warning(
                "OTP_WEBAUTHN_PASSKEY_ONLY is on but OTP_WEBAUTHN_PASSWORDLESS is off.",
                hint="Passkey-only accounts sign in passwordless; turn that on too.",
                id="django_otp.W021",
            )
        )
    return messages
