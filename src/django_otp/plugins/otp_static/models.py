"""Static devices: a user's list of single-use backup codes."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.crypto import constant_time_compare

from django_otp import tokens
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.verification import TokenMatch


class StaticDevice(TimestampMixin, ThrottlingMixin, Device):
    """A container of single-use tokens (backup codes), each accepted once, in any order."""

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_STATIC_THROTTLE_FACTOR`` (default 1)."""
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def normalize_token(self, token: Any) -> str | None:
        """Backup codes are case-insensitive, whitespace is ignored, 16 characters at most."""
        return tokens.normalize_static(token)

    def find_token_match(self, token: str) -> TokenMatch | None:
        """Find a stored code equal to ``token``; consuming it deletes exactly that row.

        Codes are compared in Python in constant time, so the database collation plays no
        part, and every row is looked at so that timing does not reveal which one matched.
        """
        if self.pk is None:
            return None
        found: int | None = None
        for pk, stored in self.token_set.order_by("pk").values_list("pk", "token"):
            if constant_time_compare(token, stored.lower()) and found is None:
                found = pk
        if found is None:
            return None
        return TokenMatch(claim=self._token_claim(found))

    def _token_claim(self, token_pk: int) -> Callable[[], bool]:
        """Return a callable that deletes the token row ``token_pk``, True if it was there."""
        db = self._state.db

        def claim() -> bool:
            deleted, _ = StaticToken._base_manager.using(db).filter(pk=token_pk).delete()
            return deleted > 0

        return claim


class StaticToken(models.Model):  # noqa: DJ008 (the default __str__ keeps the code out of logs)
    """One backup code of a :class:`StaticDevice`."""

    device = models.ForeignKey(StaticDevice, related_name="token_set", on_delete=models.CASCADE)
    token = models.CharField(max_length=16, db_index=True)

    @staticmethod
    def random_token() -> str:
        """Return a new random code: 5 random bytes as 8 lower-case base32 characters."""
        return base64.b32encode(os.urandom(5)).decode("ascii").lower()
