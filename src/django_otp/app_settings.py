"""The one settings registry: every ``OTP_*`` setting, its default and its rule, side by side.

Code reads a setting as an attribute of :data:`app_settings` (``app_settings.OTP_TOTP_SYNC``);
:mod:`django_otp.conf` and the email plugin's ``conf`` are views of the same registry, kept
for code written for django-otp. Values are validated at start-up by :mod:`django_otp.checks`,
which names the faulty setting. A value is looked up once and remembered until Django
announces a settings change (``override_settings`` does), so reading a setting on the
verification path costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, overload

import django.conf
from django.conf import settings
from django.core.signals import setting_changed

from django_otp.internal import rules
from django_otp.internal.keys import key_list_problem
from django_otp.internal.policy_rules import path_policies_problem, policies_problem
from django_otp.internal.signin_rules import (
    enforce_for_problem,
    failure_cap_problem,
    grace_until_problem,
    regex_list_problem,
    to_datetime,
    to_patterns,
)

T = TypeVar("T")

__all__ = [
    "OWNED_PREFIXES",
    "AppSettings",
    "Setting",
    "SettingSpec",
    "SettingsView",
    "app_settings",
]

#: Prefixes of the settings families this package owns; unknown names under them are typos.
#: ``OTP_WEBAUTHN_`` is not one of them: django-otp-webauthn uses that prefix too, and both
#: packages may be installed while a site moves from one to the other.
OWNED_PREFIXES = (
    "OTP_HOTP_",
    "OTP_TOTP_",
    "OTP_STATIC_",
    "OTP_EMAIL_",
    "OTP_REMEMBER_",
    "OTP_LIMITS_",
    "OTP_ENFORCE_",
)

#: COSE algorithms a passkey may use (RFC 9053): EdDSA, ES256/384/512, PS256/384/512 and
#: RS256/384/512, all that py_webauthn verifies.
WEBAUTHN_ALGORITHMS = frozenset({-8, -7, -35, -36, -37, -38, -39, -257, -258, -259})


@dataclass(frozen=True)
class SettingSpec:
    """What the registry knows of one setting: its name, default and rule.

    ``default_factory``, when given, computes the default at read time (``OTP_LOGIN_URL``
    follows ``LOGIN_URL``), and ``default_text`` says so in the system check's hint.
    """

    name: str
    default: Any
    problem: Callable[[Any], str | None]
    default_factory: Callable[[], Any] | None = None
    default_text: str | None = None

    def default_value(self) -> Any:
        """The value used when the setting is not defined."""
        return self.default if self.default_factory is None else self.default_factory()

    def describe_default(self) -> str:
        """The default, as the system check's hint states it."""
        return self.default_text or repr(self.default)


_UNSET: Any = object()


class Setting(Generic[T]):
    """A typed attribute of :class:`AppSettings` that reads one Django setting."""

    def __init__(
        self,
        default: Any,
        problem: Callable[[Any], str | None],
        *,
        convert: Callable[[Any], T] | None = None,
        default_factory: Callable[[], Any] | None = None,
        default_text: str | None = None,
    ) -> None:
        self._args = (default, problem, default_factory, default_text)
        self.convert = convert
        self.spec: SettingSpec

    def __set_name__(self, owner: type, name: str) -> None:
        default, problem, factory, text = self._args
        self.spec = SettingSpec(name, default, problem, factory, text)

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Setting[T]: ...
    @overload
    def __get__(self, instance: AppSettings, owner: type | None = None) -> T: ...
    def __get__(self, instance: AppSettings | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cache = instance._cache
        value = cache.get(self.spec.name, _UNSET)
        if value is _UNSET:
            value = getattr(settings, self.spec.name, _UNSET)
            if value is _UNSET:
                value = self.spec.default_value()
            if self.convert is not None:
                value = self.convert(value)
            cache[self.spec.name] = value
        return value


def _key_list(value: Any) -> list[str]:
    return list(value or ())


class AppSettings:
    """Every setting django-otp-ng reads, as typed attributes with their defaults.

    The compatible ``OTP_*`` settings keep django-otp's names and defaults; the others are
    added by django-otp-ng and documented in the settings reference.
    """

    # The core (django_otp.conf).
    OTP_LOGIN_URL = Setting[str](
        None,
        rules.text,
        default_factory=lambda: settings.LOGIN_URL,
        default_text="the value of LOGIN_URL",
    )
    OTP_ADMIN_HIDE_SENSITIVE_DATA = Setting[bool](False, rules.boolean)

    # HOTP, TOTP and static devices.
    OTP_HOTP_ISSUER = Setting[Any](None, rules.text_or_callable)
    OTP_HOTP_THROTTLE_FACTOR = Setting[float](1, rules.non_negative_number)
    OTP_TOTP_ISSUER = Setting[Any](None, rules.text_or_callable)
    OTP_TOTP_IMAGE = Setting[Any](None, rules.text_or_callable)
    OTP_TOTP_SYNC = Setting[bool](True, rules.boolean)
    OTP_TOTP_THROTTLE_FACTOR = Setting[float](1, rules.non_negative_number)
    OTP_STATIC_THROTTLE_FACTOR = Setting[float](1, rules.non_negative_number)

    # Email devices (django_otp.plugins.otp_email.conf).
    OTP_EMAIL_SENDER = Setting[Any](None, rules.optional_text)
    OTP_EMAIL_SUBJECT = Setting[Any]("OTP token", rules.text)
    OTP_EMAIL_BODY_TEMPLATE = Setting[Any](None, rules.optional_text)
    OTP_EMAIL_BODY_TEMPLATE_PATH = Setting[str]("otp/email/token.txt", rules.text)
    OTP_EMAIL_BODY_HTML_TEMPLATE = Setting[Any](None, rules.optional_text)
    OTP_EMAIL_BODY_HTML_TEMPLATE_PATH = Setting[Any](None, rules.optional_text)
    OTP_EMAIL_TOKEN_VALIDITY = Setting[int](300, rules.positive_int)
    OTP_EMAIL_THROTTLE_FACTOR = Setting[float](1, rules.non_negative_number)
    OTP_EMAIL_COOLDOWN_DURATION = Setting[int](60, rules.non_negative_int)

    # Added by django-otp-ng.
    #: Consecutive failures after which ``device_locked`` is sent (0 never sends it).
    OTP_LOCKOUT_FAILURES = Setting[int](10, rules.non_negative_int)
    #: Keys that encrypt OTP secrets at rest: the first encrypts, all decrypt.
    OTP_KEY_ENCRYPTION_KEYS = Setting[list[str]]((), key_list_problem, convert=_key_list)
    #: Store new backup codes as keyed hashes instead of plain text.
    OTP_STATIC_HASH_TOKENS = Setting[bool](False, rules.boolean)

    #: Email the user when a sign-in method is added or removed, or backup codes are made.
    OTP_NOTIFY_EMAIL = Setting[bool](False, rules.boolean)

    # The authentication state (django_otp.assurance) and step-up.
    #: Named policies (name: dict or policy object); they add to and override the built-in ones.
    OTP_POLICIES = Setting[dict[str, Any]]({}, policies_problem, convert=dict)
    #: ``(path regex, policy name)`` pairs that OTPMiddleware enforces; the first match wins.
    OTP_PATH_POLICIES = Setting[list[tuple[str, str]]](
        (), path_policies_problem, convert=lambda value: [tuple(item) for item in value or ()]
    )
    #: Where an unmet policy sends a person: a URL or URL name (the step-up page by default).
    OTP_STEP_UP_URL = Setting[str]("otp:step-up", rules.text)
    #: An alias of ``CACHES`` that keeps device state between requests; ``None``: no cache.
    OTP_CACHE = Setting[Any](None, rules.optional_text)
    #: Seconds a cached device state may be used before it is read again.
    OTP_CACHE_TIMEOUT = Setting[int](300, rules.positive_int)

    # Remembered browsers (django_otp.contrib.remember).
    #: Days a browser stays trusted after "trust this browser"; 0 does not offer it.
    OTP_REMEMBER_DAYS = Setting[int](0, rules.non_negative_int)
    #: The name of the remembered-browser cookie.
    OTP_REMEMBER_COOKIE_NAME = Setting[str]("otp_remember", rules.text)

    # Passkeys and security keys (django_otp.plugins.otp_webauthn).
    #: The relying-party id: the site's registrable domain or a parent of it ("example.com").
    OTP_WEBAUTHN_RP_ID = Setting[Any](None, rules.optional_text)
    #: The site's name that authenticators show; ``None``: the relying-party id.
    OTP_WEBAUTHN_RP_NAME = Setting[Any](None, rules.optional_text)
    #: The exact origins ceremonies may come from; empty: ``https://`` and the RP id.
    OTP_WEBAUTHN_ORIGINS = Setting[list[str]]((), rules.origins, convert=_key_list)
    #: Whether authenticators must verify the person: required, preferred or discouraged.
    OTP_WEBAUTHN_USER_VERIFICATION = Setting[str](
        "preferred", rules.one_of("required", "preferred", "discouraged")
    )
    #: Seconds a ceremony may take; its challenge expires after that.
    OTP_WEBAUTHN_TIMEOUT = Setting[int](300, rules.positive_int)
    #: The COSE algorithms accepted for new credentials, in order of preference.
    OTP_WEBAUTHN_ALGORITHMS = Setting[list[int]](
        (-8, -7, -257), rules.int_subset(WEBAUTHN_ALGORITHMS), convert=list
    )
    #: Offer passwordless sign-in with a passkey (a discoverable credential).
    OTP_WEBAUTHN_PASSWORDLESS = Setting[bool](False, rules.boolean)
    #: Let accounts without a usable password sign in with a passkey (passwordless only).
    OTP_WEBAUTHN_PASSKEY_ONLY = Setting[bool](False, rules.boolean)
    #: The throttling factor of passkeys and security keys, as for the other devices.
    OTP_WEBAUTHN_THROTTLE_FACTOR = Setting[float](1, rules.non_negative_number)
    # The two-step sign-in (otp:login) and its limits (django_otp.contrib.limits).
    #: Seconds the sign-in waits for the second step once the password was accepted.
    OTP_LOGIN_PENDING_TIMEOUT = Setting[int](600, rules.positive_int)
    #: Consecutive failed codes, across all of a user's devices, that lock the account.
    OTP_LIMITS_ACCOUNT_FAILURES = Setting[int](100, failure_cap_problem)
    #: Consecutive failed codes of an account before it has to wait between attempts.
    OTP_LIMITS_ACCOUNT_DELAY_AFTER = Setting[int](5, rules.non_negative_int)
    #: The first wait (seconds); each further failure doubles it, up to the maximum.
    OTP_LIMITS_ACCOUNT_DELAY = Setting[float](1, rules.non_negative_number)
    #: The longest wait between two attempts of an account (seconds).
    OTP_LIMITS_ACCOUNT_MAX_DELAY = Setting[float](3600, rules.non_negative_number)
    #: Failed passwords, or failed codes, from one client in a window; 0: no client limit.
    OTP_LIMITS_CLIENT_FAILURES = Setting[int](20, rules.non_negative_int)
    #: The length of the per-client window (seconds).
    OTP_LIMITS_CLIENT_WINDOW = Setting[int](900, rules.positive_int)
    #: Proxies in front of the site that append to the forwarding header; 0: REMOTE_ADDR.
    OTP_LIMITS_TRUSTED_PROXIES = Setting[int](0, rules.non_negative_int)
    #: The header those proxies append the client address to.
    OTP_LIMITS_PROXY_HEADER = Setting[str]("X-Forwarded-For", rules.text)

    # Enforcement: who must use a second factor (django_otp.flows.enforce).
    #: None (nobody), "everyone", "staff", "superusers", group names, or a callable.
    OTP_ENFORCE_FOR = Setting[Any](None, enforce_for_problem)
    #: Until then, users without a device are reminded and may skip.
    OTP_ENFORCE_GRACE_UNTIL = Setting[Any](None, grace_until_problem, convert=to_datetime)
    #: Days from a user's first sign-in under enforcement during which they may skip.
    OTP_ENFORCE_GRACE_DAYS = Setting[int](0, rules.non_negative_int)
    #: Regexes of paths that enforcement leaves alone.
    OTP_ENFORCE_EXEMPT_PATHS = Setting[Any]((), regex_list_problem, convert=to_patterns)
    #: Where users set up a device: a URL or URL name.
    OTP_ENFORCE_SETUP_URL = Setting[str]("otp:security", rules.text)
    #: The site's sign-out page (a URL name or path), reachable behind the wall.
    OTP_ENFORCE_LOGOUT_URL = Setting[str]("logout", rules.text)

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @classmethod
    def specs(cls) -> Iterator[SettingSpec]:
        """Every setting of the registry, in the order of declaration."""
        for value in vars(cls).values():
            if isinstance(value, Setting):
                yield value.spec

    @classmethod
    def spec(cls, name: str) -> SettingSpec:
        """The registry's entry for ``name``; ``KeyError`` if it is not one of its settings."""
        value = vars(cls).get(name)
        if not isinstance(value, Setting):
            raise KeyError(name)
        return value.spec

    def defaults(self, prefix: str) -> dict[str, Any]:
        """The defaults of the settings whose names start with ``prefix``."""
        return {
            spec.name: spec.default_value() for spec in self.specs() if spec.name.startswith(prefix)
        }

    def forget(self, **kwargs: Any) -> None:
        """Drop the remembered values, so that the next read sees the current settings."""
        self._cache.clear()


app_settings = AppSettings()
setting_changed.connect(app_settings.forget, dispatch_uid="django_otp.app_settings")


class SettingsView:
    """Attribute access to Django settings that answers ``names`` from the registry.

    The base of django-otp's ``conf.settings`` objects: a registered name gets its default
    when the site does not define it; any other name is Django's setting or an
    ``AttributeError``.
    """

    names: ClassVar[tuple[str, ...]] = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self.names:
            return getattr(app_settings, name)
        if hasattr(django.conf.settings, name):
            return getattr(django.conf.settings, name)
        raise AttributeError(f"setting {name!r} is not defined")
