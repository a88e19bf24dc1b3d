"""Typed access to the settings this package adds beyond django-otp's ``OTP_*`` names.

Each property reads ``django.conf.settings`` at call time (so ``override_settings`` works);
``django_otp.checks`` validates the same values at start-up and names the faulty setting.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


class AppSettings:
    """The package's own settings, each with its default next to it."""

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    @property
    def OTP_LOCKOUT_FAILURES(self) -> int:
        """Consecutive failures after which ``device_locked`` is sent (0 disables it)."""
        return int(self._get("OTP_LOCKOUT_FAILURES", 10))


app_settings = AppSettings()
