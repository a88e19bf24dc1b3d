"""Migrate a SQLite database with this package, or use the devices in one, and print JSON.

Run by ``tests/test_upgrade.py`` in a subprocess, because the test suite's own settings (and its
test database) cannot be swapped in-process. Usage::

    python tests/upgrade_script.py migrate DB_PATH
    python tests/upgrade_script.py exercise DB_PATH

The settings are those of a site that ran django-otp 1.7.5: auth, contenttypes, sessions,
``django_otp`` and its four plugins, with the default throttling and email settings. The
script only reports what it saw; the test decides what is right.
"""

from __future__ import annotations

import json
import sys
from typing import Any

#: The hex keys that ``spec/upstream/README.md`` gives for the devices in the 1.7.5 database.
RFC_SEED_HEX = "3132333435363738393031323334353637383930"
BOB_KEY_HEX = "00112233445566778899aabbccddeeff00112233"
BACKUP_TOKENS = ["a1b2c3d4", "e5f6g7h8", "jkmnpqrs"]


#: A fixed encryption key, for the runs that turn on secrets at rest.
ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def configure(db_path: str, protected: bool) -> None:
    """Configure Django for a site like the one that made the 1.7.5 database, on ``db_path``.

    With ``protected``, the site has turned on key encryption and hashed backup codes.
    """
    import django
    from django.conf import settings

    extra = (
        {"OTP_KEY_ENCRYPTION_KEYS": [ENCRYPTION_KEY], "OTP_STATIC_HASH_TOKENS": True}
        if protected
        else {}
    )
    settings.configure(
        **extra,
        SECRET_KEY="upgrade-test-only",
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django_otp",
            "django_otp.plugins.otp_hotp",
            "django_otp.plugins.otp_totp",
            "django_otp.plugins.otp_static",
            "django_otp.plugins.otp_email",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
        ],
        ROOT_URLCONF=__name__,
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    django.setup()


#: ``ROOT_URLCONF`` of the configured site: no views are needed.
urlpatterns: list[Any] = []


def migrate() -> dict[str, Any]:
    """Run ``migrate``; report the plan it followed and the leaf migrations afterwards."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    return {
        "plan": [[migration.app_label, migration.name] for migration, backwards in plan],
        "backwards": [migration.name for migration, backwards in plan if backwards],
    }


def _attempts(device: Any, token: str) -> dict[str, Any]:
    """Verify ``token`` twice; before each try, note whether the device allowed verifying.

    The throttle is reset before the second try, so that a refusal means the token itself was
    refused (already used) rather than that the device was waiting after a failure.
    """
    allowed_first = device.verify_is_allowed()[0]
    first = device.verify_token(token)
    device.throttle_reset()
    allowed_again = device.verify_is_allowed()[0]
    again = device.verify_token(token)
    device.throttle_reset()
    return {
        "allowed_first": allowed_first,
        "first": first,
        "allowed_again": allowed_again,
        "again": again,
    }


def exercise() -> dict[str, Any]:
    """Use every device of the 1.7.5 database the way a site would, and report the outcomes."""
    from django.contrib.auth import authenticate, get_user_model
    from django.core import mail
    from django.test import Client
    from django.test.utils import setup_test_environment

    import django_otp
    from django_otp.oath import hotp, totp
    from django_otp.plugins.otp_email.models import EmailDevice
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    setup_test_environment()  # locmem outbox and test client
    users = get_user_model().objects
    alice, bob = users.get(username="alice"), users.get(username="bob")
    seed = bytes.fromhex(RFC_SEED_HEX)
    seen: dict[str, Any] = {
        "alice_devices": sorted(
            [device.persistent_id.split("/")[0], device.name]
            for device in django_otp.devices_for_user(alice)
        ),
        "bob_confirmed": [device.name for device in django_otp.devices_for_user(bob)],
        "bob_all": [
            [device.name, device.key, device.confirmed]
            for device in django_otp.devices_for_user(bob, confirmed=None)
        ],
    }

    phone = TOTPDevice.objects.get(user=alice, name="phone")
    seen["totp"] = _attempts(phone, f"{totp(seed):06d}")
    phone.refresh_from_db()
    seen["totp"]["last_t"] = phone.last_t

    token_device = HOTPDevice.objects.get(user=alice, name="token")
    seen["hotp"] = {"code": hotp(seed, 3), "counter_before": token_device.counter}
    seen["hotp"].update(_attempts(token_device, f"{hotp(seed, 3):06d}"))
    token_device.refresh_from_db()
    seen["hotp"]["counter_after"] = token_device.counter

    backup = StaticDevice.objects.get(user=alice, name="backup")
    seen["static"] = {token: _attempts(backup, token) for token in BACKUP_TOKENS}

    email_device = EmailDevice.objects.get(user=alice, name="email")
    challenge = email_device.generate_challenge()
    outbox = list(mail.outbox)
    sent = [{"to": message.to, "body": message.body} for message in outbox]
    seen["email"] = {"challenge": str(challenge), "sent": sent}
    if len(outbox) == 1:
        seen["email"].update(_attempts(email_device, outbox[0].body.strip()))

    seen["authenticate"] = authenticate(username="alice", password="alice-password") == alice
    seen["client_login"] = Client().login(username="alice", password="alice-password")
    seen["wrong_password"] = Client().login(username="alice", password="bob-password")
    return seen


def protect() -> dict[str, Any]:
    """Run ``otp_protect_secrets`` and report what it printed."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("otp_protect_secrets", stdout=out)
    return {"output": out.getvalue()}


def main(argv: list[str]) -> None:
    """Run the command named in ``argv`` on the database file named there; print JSON.

    A command ending in ``-protected`` runs with secrets at rest turned on.
    """
    command, db_path = argv
    name = command.removesuffix("-protected")
    run = {"migrate": migrate, "exercise": exercise, "protect": protect}[name]
    configure(db_path, protected=command.endswith("-protected"))
    sys.stdout.write(json.dumps(run()))


if __name__ == "__main__":
    main(sys.argv[1:])
