"""Static devices: a user's list of single-use backup codes."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Exists, Q
from django.db.models.signals import post_delete, pre_delete
from django.utils.crypto import constant_time_compare, get_random_string

from django_otp import token_hashing, tokens
from django_otp.app_settings import app_settings
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.secret_storage import CharFieldInMigrations
from django_otp.verification import TokenMatch

#: Readable alphabet of new backup codes: digits and lower-case letters without i, l, o, u.
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: Characters in a new backup code: 16 from 32 symbols carry 80 bits of entropy.
CODE_LENGTH = 16


class StaticDevice(TimestampMixin, ThrottlingMixin, Device):
    """A container of single-use tokens (backup codes), each accepted once, in any order."""

    otp_method = "static"
    otp_properties = frozenset({"recovery"})

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_STATIC_THROTTLE_FACTOR`` (default 1)."""
        return app_settings.OTP_STATIC_THROTTLE_FACTOR

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
        rows = self.token_set.order_by("pk").values_list("pk", "token", "token_hash")
        for pk, stored, stored_hash in rows:
            if stored_hash:
                matched = token_hashing.check_token(token, stored_hash)
            else:
                matched = constant_time_compare(token, tokens.normalize_static(stored) or "")
            if matched and found is None:
                found = pk
        if found is None:
            return None
        still_there = Exists(StaticToken._base_manager.filter(pk=found))
        return TokenMatch(condition=Q(still_there), claim=self._token_claim(found))

    def _token_claim(self, token_pk: int) -> Callable[[], bool]:
        """Return a callable that deletes the token row ``token_pk``, True if it was there.

        It runs once the device's conditional write took effect. With hashing on, the
        device's remaining plain codes are hashed at the same time.
        """
        db = self._state.db

        def claim() -> bool:
            rows = StaticToken._base_manager.using(db).filter(pk=token_pk)
            if pre_delete.has_listeners(StaticToken) or post_delete.has_listeners(StaticToken):
                deleted, _ = rows.delete()
            else:  # one DELETE, without the collector's transaction around it
                deleted = rows._raw_delete(rows.db)
            if deleted and app_settings.OTP_STATIC_HASH_TOKENS:
                StaticToken.hash_plain_tokens(
                    StaticToken._base_manager.using(db).filter(device=self)
                )
            return deleted > 0

        return claim


class BackupCodeField(CharFieldInMigrations):
    """A backup code: the attribute is plain, the column empty when the code is hashed.

    So the instance that was saved keeps its code in memory, to be shown once.
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        return "" if value and app_settings.OTP_STATIC_HASH_TOKENS else value


class BackupCodeHashField(CharFieldInMigrations):
    """The keyed hash of a code written while ``OTP_STATIC_HASH_TOKENS`` is on.

    A row holds either a plain code or a hash: writing a plain code drops the hash, and a
    row whose code is not in memory (a hashed row as loaded) keeps its hash.
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        code = model_instance.token  # type: ignore[attr-defined]
        value = getattr(model_instance, self.attname)
        if code:
            hashing = app_settings.OTP_STATIC_HASH_TOKENS
            canonical = tokens.normalize_static(code) or code.lower()
            value = token_hashing.hash_token(canonical) if hashing else None
            setattr(model_instance, self.attname, value)
        return value


class StaticToken(models.Model):  # noqa: DJ008 (the default __str__ keeps the code out of logs)
    """One backup code of a :class:`StaticDevice`."""

    device = models.ForeignKey(StaticDevice, related_name="token_set", on_delete=models.CASCADE)
    token = BackupCodeField(max_length=16, db_index=True)
    # Nullable, so that rows inserted by code that predates this column still work.
    token_hash = BackupCodeHashField(
        max_length=128,
        blank=True,
        null=True,
        default=None,
        editable=False,
        help_text="A keyed hash of the code when OTP_STATIC_HASH_TOKENS is on; empty when plain.",
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write ``token`` and ``token_hash`` together when ``token`` is among ``update_fields``."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "token" in update_fields:
            kwargs["update_fields"] = {*update_fields, "token_hash"}
        super().save(*args, **kwargs)

    @staticmethod
    def random_token() -> str:
        """Return a new random code: 5 random bytes as 8 lower-case base32 characters."""
        return base64.b32encode(os.urandom(5)).decode("ascii").lower()

    @staticmethod
    def random_code() -> str:
        """Return a new backup code with 80 bits of entropy in a readable alphabet."""
        return get_random_string(CODE_LENGTH, CODE_ALPHABET)

    @staticmethod
    def plain_rows(rows: models.QuerySet[StaticToken]) -> models.QuerySet[StaticToken]:
        """The rows among ``rows`` that hold a plain code, not a hash."""
        return rows.filter(models.Q(token_hash__isnull=True) | models.Q(token_hash="")).exclude(
            token=""
        )

    @staticmethod
    def hash_plain_tokens(rows: models.QuerySet[StaticToken]) -> int:
        """Hash every plain code among ``rows``; return how many were hashed."""
        hashed = 0
        for row in StaticToken.plain_rows(rows):
            row.save(update_fields=["token", "token_hash"])
            hashed += 1
        return hashed

    @classmethod
    def protect_secrets(cls) -> dict[str, int]:
        """Hash every plain code when ``OTP_STATIC_HASH_TOKENS`` is on (see the command)."""
        if not app_settings.OTP_STATIC_HASH_TOKENS:
            plain = cls.plain_rows(cls._base_manager.all()).count()
            return {"hashed": 0, "left plain (OTP_STATIC_HASH_TOKENS is off)": plain}
        hashed = cls.hash_plain_tokens(cls._base_manager.all())
        return {"hashed": hashed, "unchanged": cls._base_manager.count() - hashed}
