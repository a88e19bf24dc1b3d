"""Every setting this package reads, with its default and its validation side by side.

The compatible ``OTP_*`` settings keep their django-otp names and defaults; the settings this
package adds are read through :data:`app_settings`. Values are read at call time (so
``override_settings`` works) and validated at start-up by :mod:`django_otp.checks`, which
names the faulty setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise


def _non_negative_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return "must be a number of seconds, 0 or more"
    if value != value or value == float("inf"):
        return "must be a finite number"
    return None


def _non_negative_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be a whole number, 0 or more"
    return None


def _positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a whole number greater than 0"
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be True or False"


def _is_text(value: Any) -> bool:
    """A string, or a lazy one (``reverse_lazy``, ``gettext_lazy``)."""
    return isinstance(value, (str, Promise))


def _text(value: Any) -> str | None:
    return None if _is_text(value) else "must be a string"


def _optional_text(value: Any) -> str | None:
    return None if value is None or _is_text(value) else "must be a string or None"


def _text_or_callable(value: Any) -> str | None:
    if value is None or _is_text(value) or callable(value):
        return None
    return "must be a string, a callable taking the device, or None"


def _key_list(value: Any) -> str | None:
    from django_otp.crypto import key_list_problem

    return key_list_problem(value)


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its name, its default, and a function that describes a bad value."""

    name: str
    default: Any
    problem: Callable[[Any], str | None]


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("OTP_LOGIN_URL", None, _text),
    SettingSpec("OTP_ADMIN_HIDE_SENSITIVE_DATA", False, _boolean),
    SettingSpec("OTP_HOTP_ISSUER", None, _text_or_callable),
    SettingSpec("OTP_HOTP_THROTTLE_FACTOR", 1, _non_negative_number),
    SettingSpec("OTP_TOTP_ISSUER", None, _text_or_callable),
    SettingSpec("OTP_TOTP_IMAGE", None, _text_or_callable),
    SettingSpec("OTP_TOTP_SYNC", True, _boolean),
    SettingSpec("OTP_TOTP_THROTTLE_FACTOR", 1, _non_negative_number),
    SettingSpec("OTP_STATIC_THROTTLE_FACTOR", 1, _non_negative_number),
    SettingSpec("OTP_EMAIL_SENDER", None, _optional_text),
    SettingSpec("OTP_EMAIL_SUBJECT", "OTP token", _text),
    SettingSpec("OTP_EMAIL_BODY_TEMPLATE", None, _optional_text),
    SettingSpec("OTP_EMAIL_BODY_TEMPLATE_PATH", "otp/email/token.txt", _text),
    SettingSpec("OTP_EMAIL_BODY_HTML_TEMPLATE", None, _optional_text),
    SettingSpec("OTP_EMAIL_BODY_HTML_TEMPLATE_PATH", None, _optional_text),
    SettingSpec("OTP_EMAIL_TOKEN_VALIDITY", 300, _positive_int),
    SettingSpec("OTP_EMAIL_THROTTLE_FACTOR", 1, _non_negative_number),
    SettingSpec("OTP_EMAIL_COOLDOWN_DURATION", 60, _non_negative_int),
    # Settings added by django-otp-ng.
    SettingSpec("OTP_LOCKOUT_FAILURES", 10, _non_negative_int),
    SettingSpec("OTP_KEY_ENCRYPTION_KEYS", (), _key_list),
    SettingSpec("OTP_STATIC_HASH_TOKENS", False, _boolean),
)

#: Prefixes of the settings families this package owns; unknown names under them are typos.
OWNED_PREFIXES = ("OTP_HOTP_", "OTP_TOTP_", "OTP_STATIC_", "OTP_EMAIL_")

_DEFAULTS = {spec.name: spec.default for spec in SETTINGS}


def setting(name: str) -> Any:
    """The value of the setting ``name``, or its default from :data:`SETTINGS`."""
    return getattr(settings, name, _DEFAULTS[name])


def defaults(prefix: str) -> dict[str, Any]:
    """The defaults of the settings whose names start with ``prefix``."""
    return {name: value for name, value in _DEFAULTS.items() if name.startswith(prefix)}


class AppSettings:
    """The settings django-otp-ng adds, each a property with its default."""

    @property
    def OTP_LOCKOUT_FAILURES(self) -> int:
        """Consecutive failures after which ``device_locked`` is sent (0 never sends it)."""
        return int(setting("OTP_LOCKOUT_FAILURES"))

    @property
    def OTP_KEY_ENCRYPTION_KEYS(self) -> list[str]:
        """Keys that encrypt OTP secrets at rest: the first encrypts, all decrypt."""
        return list(setting("OTP_KEY_ENCRYPTION_KEYS") or ())

    @property
    def OTP_STATIC_HASH_TOKENS(self) -> bool:
        """Store new backup codes as keyed hashes instead of plain text."""
        return bool(setting("OTP_STATIC_HASH_TOKENS"))


app_settings = AppSettings()
