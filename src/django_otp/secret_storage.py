"""How secrets are stored: device keys encrypted, backup codes hashed, when enabled.

:class:`SecretKeyMixin` stores a device's hex ``key`` encrypted when keys are configured
(the device declares ``key`` as a :class:`SecretKeyField`).

The ``key`` attribute always holds the plain hex value in memory, so ``device.key``,
``bin_key`` and ``config_url`` work as before. In the database, with
``OTP_KEY_ENCRYPTION_KEYS`` set, the ``key`` column is left empty and the ciphertext goes
to ``encrypted_key``; without keys, ``key`` holds the hex value as django-otp stores it.
Rows written before encryption was turned on keep working and are encrypted on their next
save or by ``manage.py otp_protect_secrets``.
"""

from __future__ import annotations

import binascii
from typing import Any

from django.db import models, transaction

from django_otp import crypto


class CharFieldInMigrations(models.CharField):
    """A ``CharField`` that migrations record as a plain ``CharField``.

    The fields below only change what is written to the column; recording them as plain
    ``CharField`` keeps the migration state of django-otp, so nothing is generated.
    """

    def deconstruct(self) -> Any:
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class SecretKeyField(CharFieldInMigrations):
    """A device's hex key: the attribute is plain, the column empty while keys encrypt it."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        return "" if crypto.enabled() else value


class KeyCiphertextField(CharFieldInMigrations):
    """The ciphertext of the device's ``key``, recomputed whenever the key is written."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        instance: Any = model_instance
        value = crypto.encrypt(instance.key, instance._key_context()) if crypto.enabled() else None
        setattr(model_instance, self.attname, value)
        return value


class SecretKeyMixin(models.Model):
    """A device whose secret is a hex ``key``: encrypted at rest when configured.

    The concrete model declares the ``key`` field itself (its definition is part of the
    django-otp schema); this mixin adds the ciphertext column and the decoding rules.
    """

    #: Token lengths an OATH device can be verified with; other values never verify.
    USABLE_DIGITS = range(6, 11)

    # Nullable, so that rows inserted by code that predates this column still work.
    encrypted_key = KeyCiphertextField(
        max_length=255,
        blank=True,
        null=True,
        default=None,
        editable=False,
        help_text="The secret key encrypted with OTP_KEY_ENCRYPTION_KEYS; empty when plain.",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write ``key`` and ``encrypted_key`` together when either is among ``update_fields``."""
        update_fields = kwargs.get("update_fields")
        pair = {"key", "encrypted_key"}
        if update_fields is not None and pair & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *pair}
        super().save(*args, **kwargs)

    def refresh_from_db(  # type: ignore[override]
        self, using: str | None = None, fields: Any = None, **kwargs: Any
    ) -> None:
        """Reload ``key`` and ``encrypted_key`` together: one is meaningless without the other."""
        if fields is not None and {"key", "encrypted_key"} & set(fields):
            fields = {*fields, "key", "encrypted_key"}
        super().refresh_from_db(using=using, fields=fields, **kwargs)

    @classmethod
    def _key_context(cls) -> str:
        return f"{cls._meta.app_label}.{cls._meta.model_name}.key"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Any:
        """Decrypt the key as the row is loaded.

        A non-empty ``key`` column wins: it was written in plain text after the ciphertext
        (by ``QuerySet.update()``, say). When only one of the two columns was loaded, both
        are left deferred, so that the first use of ``key`` loads them as a pair.
        """
        instance = super().from_db(db, field_names, values, **kwargs)
        loaded = instance.__dict__
        if ("key" in loaded) != ("encrypted_key" in loaded):
            loaded.pop("key", None)
            loaded.pop("encrypted_key", None)
        elif loaded.get("encrypted_key") and not loaded.get("key"):
            loaded["key"] = crypto.decrypt(loaded["encrypted_key"], cls._key_context())
        return instance

    @property
    def bin_key(self) -> bytes:
        """The secret key as bytes (raises ``binascii.Error`` if it is not hex)."""
        return binascii.unhexlify(self.key.encode())  # type: ignore[attr-defined]

    def usable_key(self) -> bytes | None:
        """The key as bytes, or ``None`` if it is empty or not hex: such a key never verifies."""
        try:
            key = binascii.unhexlify(self.key)  # type: ignore[attr-defined]
        except (ValueError, TypeError):
            return None
        return key or None

    @classmethod
    def protect_secrets(cls) -> dict[str, int]:
        """Encrypt every plain key and re-encrypt every key not made by the first key."""
        counts = {"encrypted": 0, "re-encrypted": 0, "unchanged": 0}
        current = crypto.current_key_id()
        if current is None:
            return counts
        for pk in cls._base_manager.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                device = cls._base_manager.select_for_update().filter(pk=pk).first()
                if device is None:
                    continue
                stored = device.encrypted_key
                if stored and crypto.ciphertext_key_id(stored) == current:
                    counts["unchanged"] += 1
                    continue
                counts["re-encrypted" if stored else "encrypted"] += 1
                device.save(update_fields=["key", "encrypted_key"])  # type: ignore[misc]
        return counts
