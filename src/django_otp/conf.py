"""django-otp's settings object, kept for code written for it: a view of the registry.

``django_otp.conf.settings.OTP_LOGIN_URL`` reads :data:`django_otp.app_settings.app_settings`;
any other name is looked up in Django's settings.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django_otp.app_settings import AppSettings, SettingsView


class Settings(SettingsView):
    """Django settings, with the registry's defaults for the core's two settings."""

    names: ClassVar[tuple[str, ...]] = ("OTP_LOGIN_URL", "OTP_ADMIN_HIDE_SENSITIVE_DATA")

    @property
    def defaults(self) -> dict[str, Any]:
        """The settings with defaults here; ``OTP_LOGIN_URL`` follows ``LOGIN_URL`` live."""
        return {name: AppSettings.spec(name).default_value() for name in self.names}


settings = Settings()
