"""Statements and time per verification, on SQLite and PostgreSQL, next to a floor reference.

Each database is measured in a child process (``python -m bench.verification DB``) that sets
Django up with the test settings and a throw-away database. SQLite's file lives in
``/dev/shm`` where there is one, so that the disk's flushes do not drown what the code costs.
Every operation is timed in batches, round after round, all operations in turn within a round
(so each ratio compares moments close together); the table gives the median over rounds.

The floor is what any verification must do at least: one TOTP computation with the standard
library's ``hmac`` and one hand-written conditional ``UPDATE`` through the same cursor.
"""

from __future__ import annotations

import hmac
import os
import statistics
import struct
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

DATABASES = ("sqlite", "postgres")
SHM = "/dev/shm"  # noqa: S108 (a memory file system; the file is the bench's own throw-away db)
ROUNDS = 7
BATCH = 60

# (figure, target) from the performance issue; "-" where there is none.
TARGETS = {
    "device.verify_token(), right code": "<= 195 us, 1 statement",
    "device.verify_token(), wrong code": "<= 220 us, 1 statement",
    "device.verify_token(), throttled": "<= 15 us, 0 statements",
    "django_otp.verify_token()": "<= 2 statements",
    "static code, right code": "<= 3 statements",
}


def run() -> None:
    """Print the verification table for each database that can be reached."""
    print(f"verification: statements and median us per call ({ROUNDS} rounds of {BATCH})")
    run_per_database("bench.verification", "bench_django_otp")


def run_per_database(module: str, name: str, **env: str) -> None:
    """Run ``python -m module DB`` for each database, with a throw-away database ``name``
    (and ``env``), and print what each child printed."""
    for db in DATABASES:
        child_env = {**os.environ, "DB": db, "TEST_DB_NAME": name, **env}
        if db == "sqlite" and os.path.isdir(SHM):
            file = f"{name.replace('_', '-')}-{os.getpid()}.sqlite3"
            child_env["SQLITE_TEST_NAME"] = os.path.join(SHM, file)
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", module, db],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            print(f"{db}: not measured ({result.stderr.strip().splitlines()[-1:]})")
            continue
        print(result.stdout, end="")
    print()


class Case:
    """One measured operation: ``prepare()`` makes the argument, ``operation(arg)`` is timed."""

    def __init__(
        self, name: str, prepare: Callable[[], Any], operation: Callable[[Any], Any]
    ) -> None:
        self.name = name
        self.prepare = prepare
        self.operation = operation
        self.statements = 0
        self.rounds: list[float] = []

    def count(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        argument = self.prepare()
        with CaptureQueriesContext(connection) as queries:
            self.operation(argument)
        self.statements = len(queries.captured_queries)

    def time_round(self) -> None:
        durations = []
        for _ in range(BATCH):
            argument = self.prepare()
            start = time.perf_counter_ns()
            self.operation(argument)
            durations.append(time.perf_counter_ns() - start)
        self.rounds.append(statistics.median(durations) / 1000)

    @property
    def micros(self) -> float:
        return statistics.median(self.rounds)


def _floor_totp(key: bytes) -> Callable[[int], bool]:
    """A plain-Python TOTP check of +-1 step with ``hmac.digest``: the arithmetic floor."""

    def check(token: int) -> bool:
        t = int(time.time()) // 30
        for step in (t - 1, t, t + 1):
            mac = hmac.digest(key, struct.pack(">Q", step), "sha1")
            offset = mac[19] & 0x0F
            value = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1000000
            if value == token:
                return True
        return False

    return check


def none() -> None:
    """No argument to prepare."""


def _cache_reachable(alias: str) -> bool:
    from django.core.cache import caches

    try:
        caches[alias].set("django-otp-ng-bench", 1, 5)
    except Exception:
        return False
    return True


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
    from django.utils import timezone

    import django_otp
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
        totp_rows = TOTPDevice.objects.filter(pk=totp_device.pk)
        floor_check = _floor_totp(key)
        table = connection.ops.quote_name(TOTPDevice._meta.db_table)

        def fresh_totp() -> tuple[Any, str]:
            totp_rows.update(
                last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
            )
            return TOTPDevice.objects.get(pk=totp_device.pk), str(totp(key)).zfill(6)

        def reset_totp() -> Any:
            return fresh_totp()[0]

        def throttled_totp() -> Any:
            device = reset_totp()
            device.throttling_failure_count = 5
            device.throttling_failure_timestamp = timezone.now()
            return device

        def next_hotp() -> tuple[Any, str]:
            device = HOTPDevice.objects.get(pk=hotp_device.pk)
            return device, str(hotp(key, device.counter)).zfill(6)

        def new_static() -> tuple[Any, str]:
            static_device.token_set.create(token="abcdefgh")
            return StaticDevice.objects.get(pk=static_device.pk), "abcdefgh"

        def floor(_: Any) -> None:
            floor_check(totp(key))
            with connection.cursor() as cursor:
                cursor.execute(
                    f'UPDATE {table} SET "drift" = %s WHERE "id" = %s AND "last_t" < %s',  # noqa: S608
                    [0, totp_device.pk, 2**62],
                )

        cases = [
            Case("floor: hmac TOTP check + one UPDATE", lambda: None, floor),
            Case(
                "device.verify_token(), right code", fresh_totp, lambda a: a[0].verify_token(a[1])
            ),
            Case("device.verify_token(), wrong code", reset_totp, lambda d: d.verify_token("0")),
            Case("device.verify_token(), throttled", throttled_totp, lambda d: d.verify_token("0")),
            Case(
                "django_otp.verify_token()",
                fresh_totp,
                lambda a: django_otp.verify_token(user, totp_device.persistent_id, a[1]),
            ),
            Case("HOTP, right code", next_hotp, lambda a: a[0].verify_token(a[1])),
            Case("static code, right code", new_static, lambda a: a[0].verify_token(a[1])),
        ]
        with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
            no_throttle = Case(
                "wrong code, throttling off", reset_totp, lambda d: d.verify_token("0")
            )
            no_throttle.count()
            for _ in range(ROUNDS):
                no_throttle.time_round()

        reset_totp()
        client = Client()
        response = client.post(
            "/login/",
            {
                "username": "bench",
                "password": "bench",
                "otp_device": totp_device.persistent_id,
                "otp_token": str(totp(key)).zfill(6),
            },
        )
        assert response.status_code == 302, response.content
        clients: dict[str, Client] = defaultdict(lambda: _copy_client(client))

        def get(path: str, expected: bytes) -> None:
            # A new handler per call would time middleware loading; one per settings is enough.
            response = clients[str(settings.MIDDLEWARE)].get(path)
            assert response.content == expected, (response.status_code, response.content)

        request_cases = []

        def measure(case: Case) -> Case:
            case.count()
            for _ in range(ROUNDS):
                case.time_round()
            return case

        with override_settings(ROOT_URLCONF="bench.urls"):
            without = [m for m in settings.MIDDLEWARE if not m.endswith("OTPMiddleware")]
            with override_settings(MIDDLEWARE=without):
                request_cases.append(
                    measure(
                        Case("request, no OTPMiddleware", none, lambda _: get("/plain/", b"True"))
                    )
                )
            request_cases.append(
                measure(Case("request, is_verified()", none, lambda _: get("/", b"True")))
            )
            request_cases.append(
                measure(Case("request, state: aal2?", none, lambda _: get("/state/", b"True")))
            )
            if _cache_reachable("redis"):
                with override_settings(OTP_CACHE="redis"):
                    get("/", b"True")  # fills the cache
                    request_cases.append(
                        measure(
                            Case(
                                "request, is_verified(), OTP_CACHE",
                                none,
                                lambda _: get("/", b"True"),
                            )
                        )
                    )
                    request_cases.append(
                        measure(
                            Case(
                                "request, state: aal2?, OTP_CACHE",
                                none,
                                lambda _: get("/state/", b"True"),
                            )
                        )
                    )

        for case in cases:
            case.count()
        for _ in range(ROUNDS):
            for case in cases:
                case.time_round()

        floor_case = cases[0]
        print(f"{db} ({connection.vendor})")
        print(f"  {'figure':<40} {'stmts':>5} {'us':>8} {'x floor':>8}  target")
        for case in [*cases, no_throttle, *request_cases]:
            ratio = f"{case.micros / floor_case.micros:>8.2f}" if case in cases[1:5] else " " * 8
            target = TARGETS.get(case.name, "")
            print(f"  {case.name:<40} {case.statements:>5} {case.micros:>8.1f} {ratio}  {target}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    _worker(sys.argv[1])
