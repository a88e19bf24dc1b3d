"""The sign-in limits hold under parallel attempts on real connections, threads and processes.

As in tests/test_concurrency.py, rows are committed (``TransactionTestCase``) and each thread
or forked process loads what it needs through its own connection, waits on a barrier and
attempts at the same moment. Nothing retries: an error from the database fails the test.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory, TransactionTestCase, override_settings

from django_otp.contrib.limits import counters
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.flows import signin
from django_otp.flows.verify import verify_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.test_concurrency import THREADS, in_threads, run_in_processes

pytestmark = pytest.mark.concurrency

PROCESSES = 4
#: Not a code of the devices below: their keys are fixed and "000000" is far from now's codes.
WRONG = "000000"
KEY = "3132333435363738393031323334353637383930"


def _outcome(result: Any) -> str:
    return "evaluated" if result.error == "invalid_token" else str(result.error)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, OTP_LIMITS_ACCOUNT_DELAY=0)
class AccountLimitTests(TransactionTestCase):
    """Parallel wrong codes on several devices of one account."""

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.devices = [
            TOTPDevice.objects.create(user=self.user, name=f"phone {n}", key=KEY, tolerance=0)
            for n in range(4)
        ]
        self.pks = [device.pk for device in self.devices]

    def guess(self, user: Any, index: int) -> str:
        device = TOTPDevice.objects.get(pk=self.pks[index % len(self.pks)])
        return _outcome(verify_device(device, WRONG))

    def evaluated_on_devices(self) -> int:
        return sum(
            TOTPDevice.objects.filter(pk__in=self.pks).values_list(
                "throttling_failure_count", flat=True
            )
        )

    def assert_exactly(self, outcomes: list[Any], evaluated: int) -> None:
        assert Counter(outcomes) == {"evaluated": evaluated, "throttled": len(outcomes) - evaluated}
        assert AccountLimit.objects.get(user=self.user).failures == evaluated
        assert self.evaluated_on_devices() == evaluated

    @override_settings(OTP_LIMITS_ACCOUNT_FAILURES=5)
    def test_parallel_guesses_on_all_devices_stop_at_the_cap_in_threads(self) -> None:
        outcomes = in_threads(THREADS, get_user_model(), self.user.pk, self.guess)
        self.assert_exactly(outcomes, 5)

    @override_settings(OTP_LIMITS_ACCOUNT_FAILURES=2)
    def test_parallel_guesses_on_all_devices_stop_at_the_cap_in_processes(self) -> None:
        outcomes = run_in_processes(
            PROCESSES, lambda index: get_user_model().objects.get(pk=self.user.pk), self.guess
        )
        self.assert_exactly(outcomes, 2)

    @override_settings(
        OTP_LIMITS_ACCOUNT_DELAY_AFTER=1,
        OTP_LIMITS_ACCOUNT_DELAY=60,
        OTP_LIMITS_ACCOUNT_MAX_DELAY=60,
    )
    def test_parallel_guesses_cannot_outrun_the_wait(self) -> None:
        outcomes = in_threads(THREADS, get_user_model(), self.user.pk, self.guess)
        self.assert_exactly(outcomes, 1)
        outcomes = run_in_processes(
            PROCESSES, lambda index: get_user_model().objects.get(pk=self.user.pk), self.guess
        )
        assert set(outcomes) == {"throttled"}


class ClientLimitTests(TransactionTestCase):
    """Parallel attempts from one client, starting without a row (the insert races too)."""

    def claim(self, prepared: Any, index: int) -> bool:
        return counters.claim_client("password", "192.0.2.7").admitted

    @override_settings(OTP_LIMITS_CLIENT_FAILURES=5)
    def test_parallel_attempts_stop_at_the_limit_in_threads(self) -> None:
        user = get_user_model().objects.create_user("alice")
        outcomes = in_threads(THREADS, get_user_model(), user.pk, self.claim)
        assert outcomes.count(True) == 5 and outcomes.count(False) == THREADS - 5
        assert ClientLimit.objects.get().failures == 5

    @override_settings(OTP_LIMITS_CLIENT_FAILURES=2)
    def test_parallel_attempts_stop_at_the_limit_in_processes(self) -> None:
        outcomes = run_in_processes(PROCESSES, lambda index: None, self.claim)
        assert outcomes.count(True) == 2 and outcomes.count(False) == PROCESSES - 2
        assert ClientLimit.objects.get().failures == 2

    @override_settings(OTP_LIMITS_CLIENT_FAILURES=3)
    def test_parallel_passwords_are_tried_only_within_the_limit(self) -> None:
        user = get_user_model().objects.create_user("alice", password="alice-pw")

        def attempt(user: Any, index: int) -> str:
            request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
            return str(signin.check_password(request, "alice", "wrong").error)

        outcomes = in_threads(THREADS, get_user_model(), user.pk, attempt)
        assert Counter(outcomes) == {"invalid_login": 3, "throttled": THREADS - 3}
