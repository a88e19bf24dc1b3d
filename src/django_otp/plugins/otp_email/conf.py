"""The email plugin's ``OTP_EMAIL_*`` settings with their defaults, read at call time."""

from __future__ import annotations

from typing import Any, ClassVar

import django.conf

from django_otp.app_settings import defaults


class OTPEmailSettings:
    """Attribute access to Django settings, with defaults for the ``OTP_EMAIL_*`` names."""

    defaults: ClassVar[dict[str, Any]] = defaults("OTP_EMAIL_")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if hasattr(django.conf.settings, name):
            return getattr(django.conf.settings, name)
        if name in self.defaults:
            return self.defaults[name]
        raise AttributeError(f"setting {name!r} is not defined")


settings = OTPEmailSettings()
