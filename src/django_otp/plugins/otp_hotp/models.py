"""The HOTP device: counter-based one-time passwords (RFC 4226) from a token or an app.

Field definitions match django-otp 1.7.5 exactly (migrations encode them). Verification runs
the shared path in :mod:`django_otp.verification`; this module only says which counter a
token belongs to and how far the counter then moves.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from django_otp.app_settings import app_settings
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import hotp_match
from django_otp.provisioning import otpauth_url, setting_str
from django_otp.secret_storage import SecretKeyField, SecretKeyMixin
from django_otp.util import hex_validator, random_hex
from django_otp.verification import TokenMatch, TokenRejected

#: The largest counter that can be consumed: the next one must still fit the BigIntegerField.
_MAX_COUNTER = 2**63 - 2


def default_key() -> str:
    """Return a new random 20-byte key, hex-encoded (the ``key`` default; migrations use it)."""
    return random_hex(20)


def key_validator(value: Any) -> None:
    """Accept hex-encoded data of any even length (the ``key`` validator; migrations use it)."""
    hex_validator()(value)


class HOTPDevice(SecretKeyMixin, TimestampMixin, ThrottlingMixin, Device):
    """A device that accepts each HOTP counter value once, tolerating a few skipped ones."""

    otp_method = "hotp"

    key = SecretKeyField(
        max_length=80,
        validators=[key_validator],
        default=default_key,
        help_text="A hex-encoded secret key of up to 40 bytes.",
    )
    digits = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)],
        default=6,
        help_text="The number of digits to expect in a token.",
    )
    tolerance = models.PositiveSmallIntegerField(
        default=5, help_text="The number of missed tokens to tolerate."
    )
    counter = models.BigIntegerField(default=0, help_text="The next counter value to expect.")

    class Meta(Device.Meta):
        verbose_name = "HOTP device"

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_HOTP_THROTTLE_FACTOR`` (default 1), read now."""
        return app_settings.OTP_HOTP_THROTTLE_FACTOR

    def find_token_match(self, token: str) -> TokenMatch | None:
        """Find the first of counters ``counter .. counter + tolerance`` that gives ``token``.

        Consuming the match moves the counter past it, unless a parallel request already did.
        A token of one of the ``tolerance + 1`` counters just before ``counter`` (used, or
        skipped by a later code) is refused as ``replayed_token``.
        """
        key = self.usable_key()
        if key is None or self.digits not in self.USABLE_DIGITS:
            return None
        counters = range(max(self.counter, 0), min(self.counter + self.tolerance, _MAX_COUNTER) + 1)
        matched = hotp_match(key, int(token), counters, self.digits)
        if matched is None:
            used = range(max(self.counter - self.tolerance - 1, 0), max(self.counter, 0))
            if hotp_match(key, int(token), used, self.digits) is not None:
                raise TokenRejected("replayed_token")
            return None
        return TokenMatch(condition=Q(counter__lte=matched), changes={"counter": matched + 1})

    @property
    def config_url(self) -> str:
        """The ``otpauth://hotp/...`` URL that provisions an authenticator app."""
        issuer = setting_str(app_settings.OTP_HOTP_ISSUER, self)
        return otpauth_url(
            "hotp",
            self.user.get_username(),
            self.bin_key,
            [("digits", self.digits), ("counter", self.counter)],
            issuer=issuer,
        )
