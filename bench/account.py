"""Statements and time of the security overview (``otp:security``), with 1 device and 1
remembered browser, and with 5 devices and 3 browsers.

Each database is measured in a child process (``python -m bench.account DB``) with the
settings of :mod:`bench.settings` and a throw-away database, as in :mod:`bench.verification`.
The statement count must not grow with the number of devices or browsers: one query per
device model and one for the browsers, whatever the number of rows.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.verification import BATCH, ROUNDS, Case, none, run_per_database

#: The cases: devices, remembered browsers.
CASES = ((1, 1), (5, 3))


def run() -> None:
    """Print the overview's table for each database that can be reached."""
    print(f"account: GET otp:security, statements and median ms ({ROUNDS} rounds of {BATCH})")
    run_per_database(
        "bench.account", "bench_django_otp_account", DJANGO_SETTINGS_MODULE="bench.settings"
    )


def _user_with_devices(name: str, count: int) -> tuple[Any, Any]:
    """A user with ``count`` devices of mixed types; returns the user and the first device."""
    from django.contrib.auth import get_user_model

    from django_otp.plugins.otp_email.models import EmailDevice
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.create_user(name, f"{name}@x.example", "bench")
    makers = [
        lambda: TOTPDevice.objects.create(user=user, name="phone"),
        lambda: EmailDevice.objects.create(user=user, name="mail"),
        lambda: HOTPDevice.objects.create(user=user, name="fob"),
        lambda: TOTPDevice.objects.create(user=user, name="tablet"),
        lambda: StaticDevice.objects.create(user=user, name="codes"),
    ]
    devices = [make() for make in makers[:count]]
    for device in devices:
        if isinstance(device, StaticDevice):
            for index in range(10):
                device.token_set.create(token=f"code{index:04d}")
    return user, devices[0]


def _worker(db: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from tests.account.helpers import COOKIE, trusted_browser
    from tests.browser.sessions import signed_in_session_key

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        cases = []
        for count, browsers in CASES:
            user, device = _user_with_devices(f"user{count}", count)
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session_key(user, device)
            for _ in range(browsers):
                client.cookies[COOKIE] = trusted_browser(user, device)[1]
            rows = count + browsers

            def get(_: Any, client: Any = client, rows: int = rows) -> None:
                response = client.get("/otp/security/")
                assert response.status_code == 200, response.status_code
                assert response.content.count(b'class="otp-device"') == rows

            name = f"overview, {count} device{'s' if count > 1 else ''}, {browsers} browser"
            cases.append(Case(name + ("s" if browsers > 1 else ""), none, get))
        for case in cases:
            case.count()
        for _ in range(ROUNDS):
            for case in cases:
                case.time_round()
        print(f"{db} ({connection.vendor})")
        print(f"  {'figure':<40} {'stmts':>5} {'ms':>8}  target")
        for case in cases:
            target = "statements independent of the devices and browsers"
            print(f"  {case.name:<40} {case.statements:>5} {case.micros / 1000:>8.2f}  {target}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    _worker(sys.argv[1])
