"""Parallel verification on real connections: each code succeeds once, throttling holds.

Every test commits its rows (``TransactionTestCase``) and then lets threads, or forked
processes, each load the device through its own database connection, wait on a barrier and
call ``verify_token`` at the same moment. Nothing in these tests retries: an error from the
database is a failure of the package.
"""

from __future__ import annotations

import datetime
import multiprocessing
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.dispatch import Signal
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

import django_otp
from django_otp import signals
from django_otp.forms import OTPTokenForm
from django_otp.models import Device
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

THREADS = 20
PROCESSES = 4
#: How long a thread or process waits for the others before the test gives up on it.
WAIT_SECONDS = 60
#: A throttle factor so large that a lock taken during a test does not expire before it ends.
LONG_THROTTLE = 60
KEY = "3132333435363738393031323334353637383930"

Outcome = Any  # the value returned by the action, or the exception it raised


def in_threads(count: int, model: type[Device], pk: int, act: Callable[[Any, int], Any]) -> list:
    """Run ``act(device, index)`` in ``count`` threads at once, each on its own fresh device."""
    barrier = threading.Barrier(count)
    outcomes: list[Outcome] = [None] * count

    def run(index: int) -> None:
        try:
            device = model.objects.get(pk=pk)
        except Exception as error:
            barrier.abort()  # the others would wait for this thread in vain
            outcomes[index] = error
            connections.close_all()
            return
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            outcomes[index] = act(device, index)
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return outcomes


def _run_in_child(
    barrier: Any,
    results: Any,
    prepare: Callable[[int], Any],
    act: Callable[[Any, int], Any],
    index: int,
) -> None:  # pragma: no cover (runs in a forked child)
    try:
        prepared = prepare(index)
    except Exception as error:
        barrier.abort()  # the others would wait for this process in vain
        results.put(repr(error))
        connections.close_all()
        return
    try:
        barrier.wait(timeout=WAIT_SECONDS)
        results.put(act(prepared, index))
    except Exception as error:
        results.put(repr(error))
    finally:
        connections.close_all()


def run_in_processes(
    count: int, prepare: Callable[[int], Any], act: Callable[[Any, int], Any]
) -> list:
    """In ``count`` forked processes at once: ``prepare(index)`` (loading what the process
    needs through its own connection), wait for the others, then ``act(prepared, index)``;
    returns what each ``act`` returned (it must be picklable), or the error it raised.

    The parent closes its connections before forking, so no child shares (or closes) the
    parent's socket: every child opens its own connection.
    """
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(count)
    results = context.Queue()
    connections.close_all()
    processes = [
        context.Process(target=_run_in_child, args=(barrier, results, prepare, act, index))
        for index in range(count)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=WAIT_SECONDS * 2) for _ in processes]
    for process in processes:
        process.join(timeout=WAIT_SECONDS)
    assert [process.exitcode for process in processes] == [0] * count
    return outcomes


def in_processes(count: int, model: type[Device], pk: int, token: str) -> list:
    """Verify ``token`` in ``count`` forked processes at once, each loading the device itself."""
    return run_in_processes(
        count,
        lambda index: model.objects.get(pk=pk),
        lambda device, index: device.verify_token(token),
    )


class SignalCounter:
    """Counts how often a signal is sent, from any thread."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> SignalCounter:
        self.signal.connect(self.receive, weak=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.signal.disconnect(self.receive)

    def receive(self, **kwargs: Any) -> None:
        with self._lock:
            self.count += 1


if TYPE_CHECKING:
    _TestCase = TransactionTestCase
else:
    _TestCase = object  # so that the mixin itself is not collected as a test case


class ParallelVerification(_TestCase):
    """The same tests for every device type; subclasses say how to make and use a device."""

    model: type[Device]
    throttle_setting: str

    def make_device(self, user: Any) -> Device:
        raise NotImplementedError

    def valid_code(self, device: Any) -> str:
        raise NotImplementedError

    def wrong_codes(self, device: Any, count: int) -> list[str]:
        """``count`` different well-formed codes that the device does not accept."""
        raise NotImplementedError

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user(
            "alice", password="password", email="alice@example.com"
        )

    def throttle_factor(self, factor: float) -> override_settings:
        return override_settings(**{self.throttle_setting: factor})

    def assert_no_errors(self, outcomes: list) -> None:
        errors = [outcome for outcome in outcomes if not isinstance(outcome, bool)]
        self.assertEqual(errors, [])

    def failure_count(self, device: Any) -> int:
        device.refresh_from_db()
        return device.throttling_failure_count

    def test_same_code_in_threads_succeeds_once(self) -> None:
        for factor in (0, 1, LONG_THROTTLE):
            with self.subTest(throttle_factor=factor), self.throttle_factor(factor):
                device = self.make_device(self.user)
                code = self.valid_code(device)

                def verify(twin: Device, index: int, code: str = code) -> bool:
                    return twin.verify_token(code)

                outcomes = in_threads(THREADS, self.model, device.pk, verify)
                self.assert_no_errors(outcomes)
                self.assertEqual(outcomes.count(True), 1)

    def test_same_code_in_processes_succeeds_once(self) -> None:
        for factor in (0, 1):
            with self.subTest(throttle_factor=factor), self.throttle_factor(factor):
                device = self.make_device(self.user)
                outcomes = in_processes(PROCESSES, self.model, device.pk, self.valid_code(device))
                self.assert_no_errors(outcomes)
                self.assertEqual(outcomes.count(True), 1)

    def test_same_code_through_verify_token_succeeds_once(self) -> None:
        device = self.make_device(self.user)
        code = self.valid_code(device)
        persistent_id = device.persistent_id

        def verify(twin: Device, index: int) -> bool:
            return django_otp.verify_token(self.user, persistent_id, code) is not None

        with self.throttle_factor(0):
            outcomes = in_threads(THREADS, self.model, device.pk, verify)
        self.assert_no_errors(outcomes)
        self.assertEqual(outcomes.count(True), 1)

    def test_same_code_through_the_token_form_succeeds_once(self) -> None:
        device = self.make_device(self.user)
        data = {"otp_device": device.persistent_id, "otp_token": self.valid_code(device)}

        def submit(twin: Device, index: int) -> bool:
            user = get_user_model().objects.get(pk=self.user.pk)
            return OTPTokenForm(user, None, data).is_valid()

        with self.throttle_factor(0):
            outcomes = in_threads(THREADS, self.model, device.pk, submit)
        self.assert_no_errors(outcomes)
        self.assertEqual(outcomes.count(True), 1)

    def test_same_code_through_match_token_succeeds_once(self) -> None:
        device = self.make_device(self.user)
        other = TOTPDevice.objects.create(user=self.user, name="other", key="00" * 20)
        code = self.valid_code(device)

        def match(twin: Device, index: int) -> bool:
            return django_otp.match_token(self.user, code) == device

        with self.throttle_factor(0), override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
            outcomes = in_threads(THREADS, self.model, device.pk, match)
        self.assert_no_errors(outcomes)
        self.assertEqual(outcomes.count(True), 1)
        self.assertEqual(self.failure_count(other), THREADS - 1)

    def test_parallel_guesses_with_throttling_are_evaluated_once(self) -> None:
        device = self.make_device(self.user)
        guesses = self.wrong_codes(device, THREADS)
        with (
            self.throttle_factor(LONG_THROTTLE),
            SignalCounter(signals.verification_failed) as evaluated,
            SignalCounter(signals.verification_throttled) as refused,
        ):
            outcomes = in_threads(
                THREADS,
                self.model,
                device.pk,
                lambda twin, index: twin.verify_token(guesses[index]),
            )
        self.assert_no_errors(outcomes)
        self.assertEqual(outcomes, [False] * THREADS)
        self.assertEqual((evaluated.count, refused.count), (1, THREADS - 1))
        self.assertEqual(self.failure_count(device), 1)

    def test_parallel_guesses_without_throttling_all_count(self) -> None:
        device = self.make_device(self.user)
        guesses = self.wrong_codes(device, THREADS)
        with (
            self.throttle_factor(0),
            override_settings(OTP_LOCKOUT_FAILURES=THREADS // 2),
            SignalCounter(signals.verification_failed) as evaluated,
            SignalCounter(signals.verification_throttled) as refused,
            SignalCounter(signals.device_locked) as locked,
        ):
            outcomes = in_threads(
                THREADS,
                self.model,
                device.pk,
                lambda twin, index: twin.verify_token(guesses[index]),
            )
        self.assert_no_errors(outcomes)
        self.assertEqual(outcomes, [False] * THREADS)
        self.assertEqual((evaluated.count, refused.count), (THREADS, 0))
        self.assertEqual(self.failure_count(device), THREADS)
        self.assertEqual(locked.count, 1)  # when the count reached OTP_LOCKOUT_FAILURES


def _other_codes(taken: set[int], count: int) -> list[str]:
    """``count`` six-digit codes that are none of ``taken``: guesses that are certainly wrong."""
    return [f"{code:06d}" for code in range(count + len(taken)) if code not in taken][:count]


@pytest.mark.concurrency
class TOTPParallelTests(ParallelVerification, TransactionTestCase):
    model = TOTPDevice
    throttle_setting = "OTP_TOTP_THROTTLE_FACTOR"

    def make_device(self, user: Any) -> Device:
        return TOTPDevice.objects.create(user=user, name="app", key=KEY)

    def valid_code(self, device: Any) -> str:
        return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"

    def wrong_codes(self, device: Any, count: int) -> list[str]:
        # Every code of the window around now, with a margin for the clock moving on.
        now = int(timezone.now().timestamp()) // device.step
        return _other_codes({hotp(device.bin_key, t) for t in range(now - 3, now + 4)}, count)


@pytest.mark.concurrency
class HOTPParallelTests(ParallelVerification, TransactionTestCase):
    model = HOTPDevice
    throttle_setting = "OTP_HOTP_THROTTLE_FACTOR"

    def make_device(self, user: Any) -> Device:
        return HOTPDevice.objects.create(user=user, name="token", key=KEY)

    def valid_code(self, device: Any) -> str:
        return f"{hotp(device.bin_key, device.counter):06d}"

    def wrong_codes(self, device: Any, count: int) -> list[str]:
        window = range(device.counter, device.counter + device.tolerance + 1)
        return _other_codes({hotp(device.bin_key, counter) for counter in window}, count)


@pytest.mark.concurrency
class StaticParallelTests(ParallelVerification, TransactionTestCase):
    model = StaticDevice
    throttle_setting = "OTP_STATIC_THROTTLE_FACTOR"

    def make_device(self, user: Any) -> Device:
        device = StaticDevice.objects.create(user=user, name="backup")
        for code in ("a1b2c3d4", "e5f6g7h8"):
            device.token_set.create(token=code)
        return device

    def valid_code(self, device: Any) -> str:
        return "a1b2c3d4"

    def wrong_codes(self, device: Any, count: int) -> list[str]:
        return [f"zzzz{index:04d}" for index in range(count)]

    def test_only_the_used_code_is_gone(self) -> None:
        device = self.make_device(self.user)
        with self.throttle_factor(0):
            outcomes = in_threads(
                THREADS, StaticDevice, device.pk, lambda twin, _: twin.verify_token("a1b2c3d4")
            )
        self.assertEqual(outcomes.count(True), 1)
        self.assertEqual(list(device.token_set.values_list("token", flat=True)), ["e5f6g7h8"])


@pytest.mark.concurrency
class EmailParallelTests(ParallelVerification, TransactionTestCase):
    model = EmailDevice
    throttle_setting = "OTP_EMAIL_THROTTLE_FACTOR"

    def make_device(self, user: Any) -> Device:
        return EmailDevice.objects.create(
            user=user,
            name="email",
            token="123456",
            valid_until=timezone.now() + datetime.timedelta(minutes=5),
        )

    def valid_code(self, device: Any) -> str:
        return "123456"

    def wrong_codes(self, device: Any, count: int) -> list[str]:
        return _other_codes({123456}, count)
