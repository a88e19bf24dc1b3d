"""Helpers to hand out backup codes from code (used by the ``addstatictoken`` command)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

__all__ = ["add_static_token", "get_user_model", "replace_backup_codes"]


def add_static_token(username: str, token: str | None = None) -> StaticToken:
    """Add ``token`` (random when ``None``) to the user's first static device.

    The device with the lowest primary key is used, confirmed or not; a device named
    ``'Backup Code'`` is created when the user has none. Raises the user model's
    ``DoesNotExist`` for an unknown username.
    """
    user = get_user_model().objects.get_by_natural_key(username)
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup Code")
    if token is None:
        token = StaticToken.random_token()
    return device.token_set.create(token=token)


def format_code(code: str) -> str:
    """Group a backup code in blocks of four for display, e.g. ``abcd-efgh-jkmn-pqrs``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def replace_backup_codes(device: StaticDevice, count: int = 10) -> list[str]:
    """Replace the device's codes with ``count`` new ones and return them, for display once.

    The codes carry 80 bits of entropy each (NIST SP 800-63B asks for 64). They are returned
    from memory, so this works whether or not ``OTP_STATIC_HASH_TOKENS`` stores them hashed;
    typing them with or without the hyphens works.
    """
    codes = [StaticToken.random_code() for _ in range(count)]
    with transaction.atomic():
        device.token_set.all().delete()
        for code in codes:
            device.token_set.create(token=code)
    return [format_code(code) for code in codes]
