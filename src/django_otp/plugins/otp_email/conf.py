"""The email plugin's settings object, kept for code written for django-otp: a view of the
registry in :mod:`django_otp.app_settings` for the ``OTP_EMAIL_*`` names."""

from __future__ import annotations

from typing import Any, ClassVar

from django_otp.app_settings import SettingsView, app_settings


class OTPEmailSettings(SettingsView):
    """Django settings, with the registry's defaults for the ``OTP_EMAIL_*`` names."""

    defaults: ClassVar[dict[str, Any]] = app_settings.defaults("OTP_EMAIL_")
    names: ClassVar[tuple[str, ...]] = tuple(defaults)


settings = OTPEmailSettings()
