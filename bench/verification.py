"""SQL queries and time per ``verify_token`` and per verified request, on SQLite and PostgreSQL.

Each database is measured in a child process (``python -m bench.verification DB``) that sets
Django up with the test settings, creates a throw-away database, and times each operation
on its own (set-up between operations is not timed). Times are medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

DATABASES = ("sqlite", "postgres")
SAMPLES = 300


def run() -> None:
    """Print the verification table for each database that can be reached."""
    print(f"verification: queries and median time over {SAMPLES} operations")
    for db in DATABASES:
        env = {**os.environ, "DB": db, "TEST_DB_NAME": "bench_django_otp"}
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.verification", db],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            print(f"{db}: not measured ({result.stderr.strip().splitlines()[-1:]})")
            continue
        print(result.stdout, end="")
    print()


def _measure(prepare: Callable[[], Any], operation: Callable[[Any], Any]) -> tuple[int, float]:
    """Return (queries of one operation, median microseconds) for ``operation(prepare())``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    argument = prepare()
    with CaptureQueriesContext(connection) as queries:
        operation(argument)
    count = len(queries.captured_queries)  # read now: each request empties the query log
    durations = []
    for _ in range(SAMPLES):
        argument = prepare()
        start = time.perf_counter_ns()
        operation(argument)
        durations.append(time.perf_counter_ns() - start)
    return count, statistics.median(durations) / 1000


def _copy_client(client: Any) -> Any:
    """A new test client (so with a new middleware chain) in the same session."""
    from django.test import Client

    copy = Client()
    copy.cookies = client.cookies
    return copy


def _worker(db: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.oath import hotp, totp
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_user("bench", password="bench")
        key = bytes(range(20))
        totp_device = TOTPDevice.objects.create(user=user, name="t", key=key.hex(), tolerance=1)
        hotp_device = HOTPDevice.objects.create(user=user, name="h", key=key.hex())
        static_device = StaticDevice.objects.create(user=user, name="s")
        rows: list[tuple[str, int, float]] = []

        def fresh_totp() -> tuple[Any, int]:
            TOTPDevice.objects.filter(pk=totp_device.pk).update(last_t=-1)
            return TOTPDevice.objects.get(pk=totp_device.pk), totp(key)

        def reset_throttle() -> Any:
            TOTPDevice.objects.filter(pk=totp_device.pk).update(
                throttling_failure_count=0, throttling_failure_timestamp=None
            )
            return TOTPDevice.objects.get(pk=totp_device.pk)

        def next_hotp() -> tuple[Any, int]:
            device = HOTPDevice.objects.get(pk=hotp_device.pk)
            return device, hotp(key, device.counter)

        def new_static() -> tuple[Any, str]:
            static_device.token_set.create(token="abcdefgh")
            return StaticDevice.objects.get(pk=static_device.pk), "abcdefgh"

        rows.append(("TOTP, right code", *_measure(fresh_totp, lambda a: a[0].verify_token(a[1]))))
        rows.append(("HOTP, right code", *_measure(next_hotp, lambda a: a[0].verify_token(a[1]))))
        rows.append(
            ("static, right code", *_measure(new_static, lambda a: a[0].verify_token(a[1])))
        )
        rows.append(
            ("TOTP, wrong code", *_measure(reset_throttle, lambda d: d.verify_token("000000")))
        )
        with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
            rows.append(
                (
                    "TOTP, wrong code, no throttle",
                    *_measure(reset_throttle, lambda d: d.verify_token("000000")),
                )
            )

        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device.persistent_id
        session.save()
        clients: dict[str, Client] = defaultdict(lambda: _copy_client(client))

        def get(path: str, expected: bytes) -> None:
            # A new handler per call would time middleware loading; one per settings is enough.
            response = clients[str(settings.MIDDLEWARE)].get(path)
            assert response.content == expected, (response.status_code, response.content)

        with override_settings(ROOT_URLCONF="bench.urls"):
            rows.append(
                ("request, verified user", *_measure(lambda: None, lambda _: get("/", b"True")))
            )
            without = [m for m in settings.MIDDLEWARE if not m.endswith("OTPMiddleware")]
            with override_settings(MIDDLEWARE=without):
                rows.append(
                    (
                        "request, no OTPMiddleware",
                        *_measure(lambda: None, lambda _: get("/plain/", b"True")),
                    )
                )
        print(f"{db} ({connection.vendor})")
        for name, queries, micros in rows:
            print(f"  {name:<32} {queries:>2} queries  {micros:>8.1f} us")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    _worker(sys.argv[1])
