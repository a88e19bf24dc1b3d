"""Server time of one passkey authentication ceremony next to one TOTP verification.

Measured in a child process (``python -m bench.webauthn``) with the test settings on SQLite
(in ``/dev/shm`` where there is one). Through the test client, a ceremony is two requests,
``verify-begin`` and ``verify-complete``; the authenticator's own work (signing, done by the
software authenticator of the tests) happens between them and is not counted. A TOTP
verification is one POST of the step-up form. Below them, the verification path alone: a
device's ``verify_token`` with an assertion (an ECDSA P-256 signature check) and with a
code. Each figure is the median over rounds of the median of a batch, with statements.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

SHM = "/dev/shm"  # noqa: S108 (the bench's own throw-away database)
ROUNDS = 7
BATCH = 30


def run() -> None:
    """Print the table from a child process with its own database."""
    print(f"webauthn: server time per operation, median us ({ROUNDS} rounds of {BATCH})")
    env = {**os.environ, "DB": "sqlite"}
    if os.path.isdir(SHM):
        env["SQLITE_TEST_NAME"] = os.path.join(SHM, f"bench-webauthn-{os.getpid()}.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bench.webauthn"], env=env, capture_output=True, text=True
    )
    if result.returncode:
        print(f"not measured: {result.stderr.strip().splitlines()[-1:]}")
        return
    print(result.stdout, end="")
    print()


class Figure:
    """Durations (ns) of one operation, collected round by round, and its statements."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.batch: list[int] = []
        self.rounds: list[float] = []
        self.statements = 0

    def add(self, nanoseconds: int) -> None:
        self.batch.append(nanoseconds)

    def close_round(self) -> None:
        self.rounds.append(statistics.median(self.batch) / 1000)
        self.batch = []

    @property
    def micros(self) -> float:
        return statistics.median(self.rounds)


def _timed(figure: Figure, operation: Callable[[], Any]) -> Any:
    start = time.perf_counter_ns()
    result = operation()
    figure.add(time.perf_counter_ns() - start)
    return result


def _counted(operation: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        operation()
    return len(queries.captured_queries)


def _worker() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from tests.plugins.webauthn.authenticator import Authenticator, unb64url

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
    from django_otp.plugins.otp_webauthn.wire import parse_assertion

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_user("bench", password="bench")
        key = Authenticator()
        device = WebAuthnDevice.objects.create(
            user=user,
            name="key",
            credential_id=key.credential_id,
            public_key=key.cose_key(),
            user_verified=True,
        )
        secret = bytes(range(20))
        phone = TOTPDevice.objects.create(user=user, name="phone", key=secret.hex())
        phones = TOTPDevice.objects.filter(pk=phone.pk)
        client = Client()
        client.force_login(user)

        def post(path: str, body: Any) -> Any:
            return client.post(path, json.dumps(body), content_type="application/json")

        def ceremony(begin: Figure | None = None, complete: Figure | None = None) -> None:
            start = time.perf_counter_ns()
            options = post("/otp/webauthn/verify/begin/", {}).json()
            middle = time.perf_counter_ns()
            body = key.assertion(options)  # the authenticator's work: not counted
            resumed = time.perf_counter_ns()
            response = post("/otp/webauthn/verify/complete/", body)
            end = time.perf_counter_ns()
            assert response.status_code == 200, response.content
            if begin is not None and complete is not None:
                begin.add(middle - start)
                complete.add(end - resumed)
                both.add(middle - start + end - resumed)

        def step_up() -> Any:
            phones.update(last_t=-1)
            data = {"otp_device": phone.persistent_id, "otp_token": f"{totp(secret):06d}"}
            return lambda: client.post("/otp/step-up/?policy=default", data)

        def assertion() -> Any:
            options = post("/otp/webauthn/verify/begin/", {}).json()
            token = dataclasses.replace(
                parse_assertion(key.assertion(options)), challenge=unb64url(options["challenge"])
            )
            fresh = WebAuthnDevice.objects.get(pk=device.pk)
            return lambda: fresh.verify_token(token)

        def code() -> Any:
            phones.update(last_t=-1)
            fresh = TOTPDevice.objects.get(pk=phone.pk)
            token = f"{totp(secret):06d}"
            return lambda: fresh.verify_token(token)

        both = Figure("passkey ceremony: begin + complete (2 requests)")
        begin = Figure("  begin (options, challenge in the session)")
        complete = Figure("  complete (decode, checks, signature, UPDATE)")
        form = Figure("TOTP verification: step-up form POST")
        by_key = Figure("device.verify_token(): passkey assertion")
        by_code = Figure("device.verify_token(): TOTP code")
        both.statements = _counted(ceremony)
        form.statements = _counted(step_up())
        by_key.statements = _counted(assertion())
        by_code.statements = _counted(code())
        for _ in range(ROUNDS):
            for _ in range(BATCH):
                ceremony(begin, complete)
                _timed(form, step_up())
                _timed(by_key, assertion())
                _timed(by_code, code())
            for figure in (both, begin, complete, form, by_key, by_code):
                figure.close_round()
        print(f"  {'figure':<50} {'stmts':>5} {'us':>9} {'x TOTP':>7}")
        for figure, reference in (
            (both, form),
            (begin, None),
            (complete, None),
            (form, form),
            (by_key, by_code),
            (by_code, by_code),
        ):
            ratio = f"{figure.micros / reference.micros:>7.2f}" if reference else " " * 7
            stmts = f"{figure.statements:>5}" if figure.statements else " " * 5
            print(f"  {figure.name:<50} {stmts} {figure.micros:>9.1f} {ratio}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    _worker()
