"""``manage.py seed_demo``: create the demo users and devices, then show how to sign in.

Safe to run again: an existing user keeps its password and an existing phone keeps its key,
so an authenticator app enrolled earlier goes on working. The second user, ``newcomer``, has
no device, to try enforcement's reminder; ``--end-grace`` ends their grace period, to try
the wall.
"""

from __future__ import annotations

import datetime
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from django_otp.app_settings import app_settings
from django_otp.contrib.limits.models import EnrolmentGrace
from django_otp.oath import TOTP
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import svg_qrcode, terminal_qrcode

USERNAME = "demo"
PASSWORD = "demo"
EMAIL = "demo@example.com"
PHONE_NAME = "demo-phone"
BACKUP_NAME = "backup-codes"
EMAIL_DEVICE_NAME = "demo-email"
BACKUP_CODE_COUNT = 5
#: The second user: no device, so enforcement reminds them, then walls them.
NEWCOMER = "newcomer"
#: Where the QR code image goes unless ``--qr-svg`` says otherwise (git-ignored).
QR_IMAGE_NAME = "demo-qr.svg"


class Command(BaseCommand):
    help = (
        "Create (or keep) the superuser demo/demo with a TOTP device, backup codes and an "
        "email device, then print the TOTP provisioning URI, a QR code and the current code."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--qr-svg",
            type=Path,
            default=None,
            help=f"Write the QR code image here (default: {QR_IMAGE_NAME} next to manage.py).",
        )
        parser.add_argument(
            "--end-grace",
            action="store_true",
            help=f"End the grace period of {NEWCOMER!r}, who then meets enforcement's wall.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed the database and print what the user needs to sign in."""
        qr_image = options.get("qr_svg") or Path(settings.BASE_DIR) / QR_IMAGE_NAME
        with transaction.atomic():
            user, user_created = self._user()
            phone, phone_created = self._device(TOTPDevice, user, PHONE_NAME)
            backup, _ = self._device(StaticDevice, user, BACKUP_NAME)
            new_codes = self._top_up_backup_codes(backup)
            self._device(EmailDevice, user, EMAIL_DEVICE_NAME)
            newcomer, newcomer_created = self._newcomer()
            if options.get("end_grace"):
                self._end_grace(newcomer)

        state = "created" if user_created else "kept, password unchanged"
        self.stdout.write(f"User: {USERNAME} / password: {PASSWORD} ({state})")
        state = "created" if phone_created else "kept, same key as before"
        self.stdout.write(f'TOTP device "{PHONE_NAME}" ({state}):')
        self.stdout.write(phone.config_url)
        self._write_qrcode(phone.config_url, qr_image)
        self._write_current_code(phone)
        self._write_backup_codes(backup, new_codes)
        self.stdout.write(
            f'Email device "{EMAIL_DEVICE_NAME}": choose "Email code" and press "Send me a code" '
            "on the sign-in page; the email appears in this console."
        )
        state = "created" if newcomer_created else "kept, password unchanged"
        self.stdout.write(
            f"Second user without a device: {NEWCOMER} / password: {NEWCOMER} ({state}); "
            "sign in as them to see enforcement's reminder"
            + (", now past its grace period: the wall." if options.get("end_grace") else ".")
        )

    def _user(self) -> tuple[AbstractBaseUser, bool]:
        """Return the demo superuser, creating it with the demo password if it is missing."""
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: USERNAME}).first()
        if user is not None:
            return user, False
        user = user_model._default_manager.create_superuser(USERNAME, EMAIL, PASSWORD)
        return user, True

    def _newcomer(self) -> tuple[AbstractBaseUser, bool]:
        """Return the second user, without a device, creating them if they are missing."""
        user_model = get_user_model()
        found = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: NEWCOMER})
        user = found.first()
        if user is not None:
            return user, False
        email = f"{NEWCOMER}@example.com"
        return user_model._default_manager.create_user(NEWCOMER, email, NEWCOMER), True

    def _end_grace(self, user: AbstractBaseUser) -> None:
        """Start the user's grace period long enough ago that it has ended."""
        days = app_settings.OTP_ENFORCE_GRACE_DAYS + 1
        started = timezone.now() - datetime.timedelta(days=days)
        EnrolmentGrace.objects.update_or_create(user=user, defaults={"started_at": started})

    def _device(self, model: type[Any], user: AbstractBaseUser, name: str) -> tuple[Any, bool]:
        """Return the user's confirmed device of ``model`` named ``name``, creating it if needed."""
        device = model.objects.filter(user=user, name=name).order_by("pk").first()
        if device is None:
            return model.objects.create(user=user, name=name, confirmed=True), True
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        return device, False

    def _top_up_backup_codes(self, device: StaticDevice) -> list[str]:
        """Add backup codes until the device holds enough; return the codes added."""
        missing = BACKUP_CODE_COUNT - device.token_set.count()
        codes = [StaticToken.random_token() for _ in range(max(missing, 0))]
        for code in codes:
            device.token_set.create(token=code)
        return codes

    def _write_backup_codes(self, device: StaticDevice, new_codes: list[str]) -> None:
        """Print the codes added now, the unused ones from earlier runs, and how many in all.

        Earlier codes are shown when they are stored in plain text; hashed ones
        (``OTP_STATIC_HASH_TOKENS``) cannot be read back, so only their number is given.
        """
        if new_codes:
            self.stdout.write("New backup codes (each works once): " + " ".join(new_codes))
        earlier = StaticToken.plain_rows(device.token_set.exclude(token__in=new_codes))
        earlier_codes = list(earlier.order_by("pk").values_list("token", flat=True))
        if earlier_codes:
            self.stdout.write(
                "Backup codes from earlier runs, still unused: " + " ".join(earlier_codes)
            )
        remaining = device.token_set.count()
        hashed = remaining - len(new_codes) - len(earlier_codes)
        if hashed:
            self.stdout.write(
                f"{hashed} more unused codes are stored hashed (OTP_STATIC_HASH_TOKENS) and "
                "cannot be shown; they are the ones printed when they were made."
            )
        self.stdout.write(f'Backup device "{BACKUP_NAME}" holds {remaining} unused codes.')

    def _write_qrcode(self, uri: str, image: Path) -> None:
        """Print the provisioning URI as a QR code and write it as an SVG image.

        Text drawn for a dark terminal shows inverted on a light one, where readers fail, so
        the image (dark on white, whatever the viewer's theme) is the way on a light terminal.
        """
        try:
            text, svg = terminal_qrcode(uri), svg_qrcode(uri)
        except ModuleNotFoundError as error:
            self.stdout.write(self.style.WARNING(f"No QR code: {error}"))
            return
        self.stdout.write("QR code, drawn for a dark terminal (light blocks on a dark background):")
        self.stdout.write(text)
        try:
            image.write_text(svg, encoding="utf-8")
        except OSError as error:
            self.stdout.write(self.style.WARNING(f"No QR code image: {error}"))
            return
        self.stdout.write(
            f"On a light terminal, scan the image instead: {image.resolve()} "
            "(open it in a browser or an image viewer; it holds the demo key)."
        )

    def _write_current_code(self, device: TOTPDevice) -> None:
        """Print the code the phone shows right now, for signing in without a phone."""
        generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        generator.time = time.time()
        code = generator.token()
        left = device.step - (int(generator.time) - device.t0) % device.step
        self.stdout.write(
            f"Current code: {code:0{device.digits}d} (valid for about {left} more seconds; "
            "each code works once, so wait for the next one if it was already used)."
        )
