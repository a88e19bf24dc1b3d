"""Helpers to hand out backup codes from code (used by the ``addstatictoken`` command)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

__all__ = ["add_static_token", "get_user_model"]


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
