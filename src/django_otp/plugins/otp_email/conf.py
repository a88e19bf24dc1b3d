"""The email plugin's ``OTP_EMAIL_*`` settings with their defaults, read at call time."""

from __future__ import annotations

from typing import Any, ClassVar

import django.conf


class OTPEmailSettings:
    """Attribute access to Django settings, with defaults for the ``OTP_EMAIL_*`` names."""

    defaults: ClassVar[dict[str, Any]] = {
        "OTP_EMAIL_SENDER": None,
        "OTP_EMAIL_SUBJECT": "OTP token",
        "OTP_EMAIL_BODY_TEMPLATE": None,
        "OTP_EMAIL_BODY_TEMPLATE_PATH": "otp/email/token.txt",
        "OTP_EMAIL_BODY_HTML_TEMPLATE": None,
        "OTP_EMAIL_BODY_HTML_TEMPLATE_PATH": None,
        "OTP_EMAIL_TOKEN_VALIDITY": 300,
        "OTP_EMAIL_THROTTLE_FACTOR": 1,
        "OTP_EMAIL_COOLDOWN_DURATION": 60,
    }

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if hasattr(django.conf.settings, name):
            return getattr(django.conf.settings, name)
        if name in self.defaults:
            return self.defaults[name]
        raise AttributeError(f"setting {name!r} is not defined")


settings = OTPEmailSettings()
