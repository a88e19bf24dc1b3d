"""Device models used only by the tests, so request-layer tests do not depend on the plugins."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.crypto import constant_time_compare

from django_otp.models import (
    CooldownMixin,
    Device,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
)
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.verification import TokenMatch


class CodeMatchMixin(models.Model):
    """Accepts one fixed code, stored on the device."""

    code = models.CharField(max_length=16, default="123456")

    class Meta:
        abstract = True

    def find_token_match(self, token: str) -> TokenMatch | None:
        if constant_time_compare(token, self.code):
            return TokenMatch()
        return None


class SimpleDevice(CodeMatchMixin, TimestampMixin, ThrottlingMixin, Device):
    """A non-interactive device with a throttle factor of 1."""

    def get_throttle_factor(self) -> int:
        return 1


class ChallengeDevice(CodeMatchMixin, TimestampMixin, CooldownMixin, ThrottlingMixin, Device):
    """An interactive device with a 10-second cooldown between challenges."""

    def get_throttle_factor(self) -> int:
        return 1

    def get_cooldown_duration(self) -> int:
        return 10

    def generate_challenge(self) -> str:
        self.cooldown_set()
        return "sent"


class ProxySimpleDevice(SimpleDevice):
    """A proxy model: resolvable by persistent id, never listed by ``device_classes()``."""

    class Meta:
        proxy = True


class TwilioStyleDevice(ThrottlingMixin, SideChannelDevice):
    """A side-channel device written for django-otp: it throttles around its super() call."""

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: Any) -> bool:
        if not self.verify_is_allowed()[0]:
            return False
        accepted = super().verify_token(token)
        if accepted:
            self.throttle_reset()
        else:
            self.throttle_increment()
        return accepted


class InheritingSideChannelDevice(ThrottlingMixin, SideChannelDevice):
    """A side-channel device that leaves all of verification to the shared path."""

    def get_throttle_factor(self) -> int:
        return 1


class TextMessageDevice(EmailDevice):
    """A proxy that delivers elsewhere than by email, as ``send_mail`` overrides may."""

    sent: ClassVar[list[str]] = []

    class Meta:
        proxy = True

    def send_mail(self, body: str, **kwargs: Any) -> None:
        self.sent.append(body)
