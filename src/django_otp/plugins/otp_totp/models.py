"""The TOTP device: time-based one-time passwords (RFC 6238) from an authenticator app.

Field definitions match django-otp 1.7.5 exactly (migrations encode them). Verification runs
the shared path in :mod:`django_otp.verification`; this module only says which time step a
token belongs to, what that teaches about the app's clock, and that no step is used twice.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import models
from django.db.models import Q

from django_otp.app_settings import app_settings
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import hotp_match, totp_match
from django_otp.provisioning import otpauth_url, setting_str
from django_otp.secret_storage import SecretKeyField, SecretKeyMixin
from django_otp.util import hex_validator, random_hex
from django_otp.verification import TokenMatch, TokenRejected

#: The largest time step that can be recorded in ``last_t`` (a BigIntegerField).
_MAX_STEP = 2**63 - 1


def default_key() -> str:
    """Return a new random 20-byte key, hex-encoded (the ``key`` default; migrations use it)."""
    return random_hex(20)


def key_validator(value: Any) -> None:
    """Accept hex-encoded data of any even length (the ``key`` validator; migrations use it)."""
    hex_validator()(value)


def drift_is_learnable(drift: int, stored_drift: int, tolerance: int) -> bool:
    """Whether a drift seen on a match may replace ``stored_drift``.

    Drift is learned up to ``tolerance`` steps from zero; beyond that (a drift set by hand or
    learned by django-otp) it may only move back towards zero. So repeated matches at the
    edge of the window can never walk it further and further away.
    """
    return abs(drift) <= max(tolerance, abs(stored_drift))


class TOTPDevice(SecretKeyMixin, TimestampMixin, ThrottlingMixin, Device):
    """A device that accepts the TOTP token of each time step once, within a clock tolerance."""

    otp_method = "totp"

    key = SecretKeyField(
        max_length=80,
        validators=[key_validator],
        default=default_key,
        help_text="A hex-encoded secret key of up to 40 bytes.",
    )
    step = models.PositiveSmallIntegerField(default=30, help_text="The time step in seconds.")
    t0 = models.BigIntegerField(
        default=0, help_text="The Unix time at which to begin counting steps."
    )
    digits = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)],
        default=6,
        help_text="The number of digits to expect in a token.",
    )
    tolerance = models.PositiveSmallIntegerField(
        default=1, help_text="The number of time steps in the past or future to allow."
    )
    drift = models.SmallIntegerField(
        default=0,
        help_text="The number of time steps the prover is known to deviate from our clock.",
    )
    last_t = models.BigIntegerField(
        default=-1,
        help_text=(
            "The t value of the latest verified token. "
            "The next token must be at a higher time step."
        ),
    )

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_TOTP_THROTTLE_FACTOR`` (default 1), read now."""
        return app_settings.OTP_TOTP_THROTTLE_FACTOR

    def find_token_match(self, token: str) -> TokenMatch | None:
        """Find the step within ``tolerance`` of now (plus drift) whose token is ``token``.

        Steps at or below ``last_t`` are never matched, and consuming the match raises
        ``last_t`` to it unless a parallel request already used that step or a later one. A
        token of a step of the window that was used already is refused as
        ``replayed_token`` (see :meth:`_refuse_replay`).
        """
        key = self.usable_key()
        if key is None or self.digits not in self.USABLE_DIGITS or self.step <= 0:
            return None
        t = (int(time.time()) - self.t0) // self.step + self.drift
        if t + self.tolerance > _MAX_STEP:
            return None
        matched_t = totp_match(
            key, int(token), t, self.tolerance, max(self.last_t + 1, 0), self.digits
        )
        if matched_t is None:
            self._refuse_replay(key, int(token), t)
            return None
        changes: dict[str, Any] = {"last_t": matched_t}
        drift = self.drift + matched_t - t
        if (
            app_settings.OTP_TOTP_SYNC
            and drift != self.drift
            and drift_is_learnable(drift, self.drift, self.tolerance)
        ):
            changes["drift"] = drift
        return TokenMatch(condition=Q(last_t__lt=matched_t), changes=changes)

    def _refuse_replay(self, key: bytes, token: int, t: int) -> None:
        """Raise ``TokenRejected("replayed_token")`` if ``token`` is the code of a step of
        the window around ``t`` that was used already (at or below ``last_t``).

        Only a token that matched nothing comes here, and only a window that reaches back to
        ``last_t`` costs anything: a TOTP step's code is the HOTP code of the step number.
        """
        used = range(max(t - self.tolerance, 0), min(self.last_t, t + self.tolerance) + 1)
        if used and hotp_match(key, token, used, self.digits) is not None:
            raise TokenRejected("replayed_token")

    @property
    def config_url(self) -> str:
        """The ``otpauth://totp/...`` URL that provisions an authenticator app."""
        return otpauth_url(
            "totp",
            str(self.user.get_username()),
            self.bin_key,
            [("digits", self.digits), ("period", self.step)],
            issuer=self._read_str_from_settings("OTP_TOTP_ISSUER"),
            image=self._read_str_from_settings("OTP_TOTP_IMAGE"),
        )

    def _read_str_from_settings(self, key: str) -> str | None:
        """Read setting ``key`` as a non-empty str, calling it with this device if callable."""
        return setting_str(getattr(app_settings, key, None), self)
