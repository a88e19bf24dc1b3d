"""Access to the compatible ``OTP_*`` settings with their defaults, read at call time."""

from __future__ import annotations

from typing import Any

import django.conf


class Settings:
    """Attribute access to Django settings, with defaults for the core's own settings."""

    @property
    def defaults(self) -> dict[str, Any]:
        """The core settings and their defaults; ``OTP_LOGIN_URL`` follows ``LOGIN_URL`` live."""
        return {
            "OTP_LOGIN_URL": django.conf.settings.LOGIN_URL,
            "OTP_ADMIN_HIDE_SENSITIVE_DATA": False,
        }

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if hasattr(django.conf.settings, name):
            return getattr(django.conf.settings, name)
        defaults = self.defaults
        if name in defaults:
            return defaults[name]
        raise AttributeError(f"setting {name!r} is not defined")


settings = Settings()
