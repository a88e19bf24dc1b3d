"""``manage.py otp_protect_secrets``: encrypt or re-encrypt keys and hash backup codes."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from django_otp import crypto


class Command(BaseCommand):
    help = (
        "Bring every stored OTP secret up to the current settings: encrypt plain device keys "
        "and re-encrypt keys made by an older key with the first key of "
        "OTP_KEY_ENCRYPTION_KEYS, and hash plain backup codes when OTP_STATIC_HASH_TOKENS "
        "is on. Safe to run repeatedly and while the site is serving."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not crypto.enabled():
            self.stdout.write("OTP_KEY_ENCRYPTION_KEYS is empty: device keys stay as they are.")
        models = [model for model in apps.get_models() if hasattr(model, "protect_secrets")]
        if not models:
            raise CommandError("No installed model stores OTP secrets.")
        for model in models:
            counts = model.protect_secrets()
            summary = ", ".join(f"{count} {what}" for what, count in counts.items())
            self.stdout.write(f"{model._meta.label}: {summary}")
