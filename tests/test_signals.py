"""Tests of django_otp.signals: each audit event is sent once, after commit, with the
documented arguments and never a token or a key.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import Signal
from django.test import TestCase, override_settings
from freezegun import freeze_time

from django_otp import signals
from django_otp.forms import OTPTokenForm, otp_verification_failed
from django_otp.models import VerifyNotAllowed
from django_otp.oath import hotp
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

KEY = b"12345678901234567890"
START = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
#: The arguments every audit signal carries, besides the event's own.
COMMON = {"signal", "sender", "device", "user", "request"}
#: Every audit signal with the arguments of its own.
OWN_ARGUMENTS = {
    signals.verification_succeeded: set(),
    signals.verification_failed: {"reason"},
    signals.verification_throttled: {"reason"},
    signals.device_locked: {"failure_count", "locked_until"},
    signals.device_created: set(),
    signals.device_confirmed: set(),
    signals.device_deleted: set(),
}


def current_code(device: TOTPDevice) -> str:
    return f"{hotp(KEY, int(START.timestamp()) // device.step):06d}"


class Recorder:
    """Remembers the arguments of every audit signal sent while it listens."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def receive(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)

    def of(self, signal: Signal) -> list[dict[str, Any]]:
        return [kwargs for kwargs in self.sent if kwargs["signal"] is signal]

    def names(self) -> list[str]:
        """The sent signals in order, named as in ``django_otp.signals``."""
        by_signal = {
            getattr(signals, name): name
            for name in dir(signals)
            if isinstance(getattr(signals, name), Signal)
        }
        return [by_signal[kwargs["signal"]] for kwargs in self.sent]


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    for signal in OWN_ARGUMENTS:
        signal.connect(recorder.receive, weak=False)
    try:
        yield recorder
    finally:
        for signal in OWN_ARGUMENTS:
            signal.disconnect(recorder.receive)


class SignalTestCase(TestCase):
    def setUp(self) -> None:
        # Frozen here rather than by a class decorator, which subclasses would not inherit
        # properly (freezegun binds setUpClass to the decorated class).
        frozen = freeze_time(START)
        frozen.start()
        self.addCleanup(frozen.stop)
        self.user = get_user_model().objects.create_user("alice", password="password")
        self.device = TOTPDevice.objects.create(user=self.user, name="app", key=KEY.hex())
        self.code = current_code(self.device)
        listening = recording()
        self.recorder = listening.__enter__()
        self.addCleanup(listening.__exit__, None, None, None)

    def verify(self, token: Any, device: Any = None) -> bool:
        with self.captureOnCommitCallbacks(execute=True):
            return (device or self.device).verify_token(token)

    def assert_sent(self, signal: Signal, **own: Any) -> dict[str, Any]:
        """Assert that ``signal`` was sent once, about ``self.device``, with exactly ``own``."""
        sent = self.recorder.of(signal)
        self.assertEqual(len(sent), 1, self.recorder.names())
        kwargs = sent[0]
        self.assertEqual(set(kwargs), COMMON | OWN_ARGUMENTS[signal])
        self.assertIs(kwargs["sender"], type(self.device))
        self.assertEqual(kwargs["device"], self.device)
        self.assertEqual(kwargs["user"], self.user)
        self.assertIsNone(kwargs["request"])
        self.assertEqual({name: kwargs[name] for name in OWN_ARGUMENTS[signal]}, own)
        return kwargs

    def assert_no_secret(self, *secrets: str) -> None:
        """No argument other than the device itself holds a token or a key."""
        for kwargs in self.recorder.sent:
            others = {name: value for name, value in kwargs.items() if name != "device"}
            for secret in (*secrets, self.device.key):
                self.assertNotIn(secret, repr(others))


class VerificationSignalTests(SignalTestCase):
    def test_success(self) -> None:
        self.assertIs(self.verify(self.code), True)
        self.assert_sent(signals.verification_succeeded)
        self.assertEqual(self.recorder.names(), ["verification_succeeded"])
        self.assert_no_secret(self.code)

    def test_invalid_token(self) -> None:
        wrong = f"{(int(self.code) + 1) % 10**6:06d}"
        self.assertIs(self.verify(wrong), False)
        self.assert_sent(signals.verification_failed, reason="invalid_token")
        self.assertEqual(self.recorder.names(), ["verification_failed"])
        self.assert_no_secret(wrong)

    def test_malformed_token(self) -> None:
        self.assertIs(self.verify("12ab56"), False)
        self.assert_sent(signals.verification_failed, reason="malformed_token")
        self.assert_no_secret("12ab56")

    @override_settings(OTP_HOTP_THROTTLE_FACTOR=0)
    def test_replayed_token(self) -> None:
        self.device = HOTPDevice.objects.create(user=self.user, name="token", key=KEY.hex())
        stale = HOTPDevice.objects.get(pk=self.device.pk)
        code = f"{hotp(KEY, 0):06d}"
        self.assertIs(self.verify(code), True)
        self.assertIs(self.verify(code, stale), False)
        self.assert_sent(signals.verification_failed, reason="replayed_token")
        self.assert_no_secret(code)

    def test_throttled(self) -> None:
        self.verify("000000")
        self.recorder.sent.clear()
        self.assertIs(self.verify(self.code), False)
        locked_until = START + datetime.timedelta(seconds=1)
        reason = {
            "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
            "failure_count": 1,
            "locked_until": locked_until,
        }
        self.assert_sent(signals.verification_throttled, reason=reason)
        self.assertEqual(self.recorder.names(), ["verification_throttled"])
        self.assert_no_secret(self.code)

    @override_settings(OTP_LOCKOUT_FAILURES=3, OTP_TOTP_THROTTLE_FACTOR=0)
    def test_locked_once_at_the_threshold(self) -> None:
        for _ in range(2):
            self.verify("000000")
        self.assertEqual(self.recorder.of(signals.device_locked), [])
        self.verify("000000")
        self.assert_sent(signals.device_locked, failure_count=3, locked_until=None)
        for _ in range(2):
            self.verify("000000")
        self.assertEqual(len(self.recorder.of(signals.device_locked)), 1)
        self.assertEqual(len(self.recorder.of(signals.verification_failed)), 5)

    @override_settings(OTP_LOCKOUT_FAILURES=3, OTP_TOTP_THROTTLE_FACTOR=0)
    def test_locked_when_a_stale_copy_reaches_the_threshold(self) -> None:
        stale = TOTPDevice.objects.get(pk=self.device.pk)
        for _ in range(2):
            self.verify("000000")
        self.verify("000000", stale)
        self.assertEqual(TOTPDevice.objects.get(pk=self.device.pk).throttling_failure_count, 3)
        self.assert_sent(signals.device_locked, failure_count=3, locked_until=None)

    @override_settings(OTP_LOCKOUT_FAILURES=2)
    def test_locked_until_with_throttling(self) -> None:
        with freeze_time(START) as clock:
            self.verify("000000")
            clock.tick(1)
            self.verify("000000")
        second = START + datetime.timedelta(seconds=1)
        self.assert_sent(
            signals.device_locked,
            failure_count=2,
            locked_until=second + datetime.timedelta(seconds=2),
        )

    @override_settings(OTP_LOCKOUT_FAILURES=0, OTP_TOTP_THROTTLE_FACTOR=0)
    def test_no_lockout_signal_when_disabled(self) -> None:
        for _ in range(12):
            self.verify("000000")
        self.assertEqual(self.recorder.of(signals.device_locked), [])

    def test_success_after_failures_sends_no_lockout(self) -> None:
        self.verify("000000")
        with freeze_time(START + datetime.timedelta(seconds=1)):
            self.assertIs(self.verify(self.code), True)
        self.assertEqual(self.recorder.names(), ["verification_failed", "verification_succeeded"])


class AfterCommitTests(SignalTestCase):
    def test_nothing_is_sent_before_commit(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.device.verify_token(self.code)
            self.assertEqual(self.recorder.sent, [])
        self.assertEqual(self.recorder.names(), ["verification_succeeded"])

    def test_nothing_is_sent_when_the_transaction_rolls_back(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            with transaction.atomic():
                self.assertIs(self.device.verify_token("000000"), False)
                TOTPDevice.objects.create(user=self.user, name="rolled back")
                transaction.set_rollback(True)
            self.device.refresh_from_db()
            self.assertEqual(self.device.throttling_failure_count, 0)
            self.assertIs(self.device.verify_token(self.code), True)
        self.assertEqual(self.recorder.names(), ["verification_succeeded"])

    def test_no_listener_no_work(self) -> None:
        self.recorder.sent.clear()
        for signal in OWN_ARGUMENTS:
            signal.disconnect(self.recorder.receive)
        with self.captureOnCommitCallbacks() as callbacks:
            self.device.verify_token("000000")
        self.assertEqual(callbacks, [])


class LifeCycleSignalTests(SignalTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.recorder.sent.clear()

    def create(self, **fields: Any) -> StaticDevice:
        with self.captureOnCommitCallbacks(execute=True):
            self.device = StaticDevice.objects.create(user=self.user, name="backup", **fields)
        return self.device

    def save(self, device: Any, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(device, name, value)
        with self.captureOnCommitCallbacks(execute=True):
            device.save()

    def test_created_confirmed(self) -> None:
        self.create()
        self.assertEqual(self.recorder.names(), ["device_created", "device_confirmed"])
        self.assert_sent(signals.device_created)
        self.assert_sent(signals.device_confirmed)

    def test_created_unconfirmed_then_confirmed_once(self) -> None:
        device = self.create(confirmed=False)
        self.assertEqual(self.recorder.names(), ["device_created"])
        self.save(device, confirmed=True)
        self.assertEqual(self.recorder.names(), ["device_created", "device_confirmed"])
        self.save(device, name="renamed")
        self.save(device)
        self.assertEqual(self.recorder.names(), ["device_created", "device_confirmed"])
        self.assert_sent(signals.device_confirmed)

    def test_confirmed_when_a_loaded_device_is_confirmed(self) -> None:
        device = self.create(confirmed=False)
        self.save(StaticDevice.objects.get(pk=device.pk), confirmed=True)
        self.assert_sent(signals.device_confirmed)

    def test_confirmed_again_after_being_unconfirmed(self) -> None:
        device = self.create()
        self.save(device, confirmed=False)
        self.assertEqual(len(self.recorder.of(signals.device_confirmed)), 1)
        self.save(device, confirmed=True)
        self.assertEqual(len(self.recorder.of(signals.device_confirmed)), 2)

    def test_deleted(self) -> None:
        device = self.create()
        self.recorder.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            device.delete()
        self.assertEqual(self.recorder.names(), ["device_deleted"])
        self.assert_sent(signals.device_deleted)

    def test_deleted_with_its_user(self) -> None:
        self.create()
        self.recorder.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.user.delete()
        deleted = self.recorder.of(signals.device_deleted)
        self.assertEqual(
            sorted(type(kwargs["device"]).__name__ for kwargs in deleted),
            ["StaticDevice", "TOTPDevice"],
        )
        self.assertEqual({kwargs["user"].username for kwargs in deleted}, {"alice"})

    def test_nothing_when_creation_rolls_back(self) -> None:
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            StaticDevice.objects.create(user=self.user, name="backup")
            transaction.set_rollback(True)
        self.assertEqual(self.recorder.sent, [])


@override_settings(ROOT_URLCONF="tests.session_urls")
class RequestArgumentTests(SignalTestCase):
    def post(self, token: str) -> Any:
        data = {"device": self.device.persistent_id, "token": token}
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post("/verify/", data)

    def test_signals_carry_the_request(self) -> None:
        failed = self.post("000000")
        refused = self.post(self.code)
        sent = self.recorder.sent
        self.assertEqual(self.recorder.names(), ["verification_failed", "verification_throttled"])
        self.assertIs(sent[0]["request"], failed.wsgi_request)
        self.assertIs(sent[1]["request"], refused.wsgi_request)
        self.assertEqual(refused.json(), {"accepted": False})

    def test_success_carries_the_request(self) -> None:
        response = self.post(self.code)
        self.assertEqual(response.json(), {"accepted": True})
        self.assertIs(self.recorder.sent[0]["request"], response.wsgi_request)

    def test_no_request_after_the_request(self) -> None:
        self.post("000000")
        self.recorder.sent.clear()
        self.verify("000000")
        self.assertIsNone(self.recorder.sent[0]["request"])


class FormSignalTests(SignalTestCase):
    """``otp_verification_failed`` of django_otp.forms keeps its django-otp meaning."""

    def setUp(self) -> None:
        super().setUp()
        self.form_failures: list[dict[str, Any]] = []
        otp_verification_failed.connect(self.form_failed)
        self.addCleanup(otp_verification_failed.disconnect, self.form_failed)

    def form_failed(self, **kwargs: Any) -> None:
        self.form_failures.append(kwargs)

    def submit(self, token: str) -> bool:
        data = {"otp_device": self.device.persistent_id, "otp_token": token}
        with self.captureOnCommitCallbacks(execute=True):
            return OTPTokenForm(self.user, None, data).is_valid()

    def test_rejected_token(self) -> None:
        self.assertIs(self.submit("000000"), False)
        self.assertEqual(len(self.form_failures), 1)
        kwargs = self.form_failures[0]
        self.assertEqual(set(kwargs), {"signal", "sender", "user"})
        self.assertIs(kwargs["sender"], OTPTokenForm)
        self.assertEqual(kwargs["user"], self.user)
        self.assert_sent(signals.verification_failed, reason="invalid_token")

    def test_not_for_throttled_device_missing_token_or_success(self) -> None:
        self.submit("000000")
        self.form_failures.clear()
        self.assertIs(self.submit(self.code), False)  # throttled
        self.assertIs(self.submit(""), False)
        with freeze_time(START + datetime.timedelta(seconds=1)):
            self.assertIs(self.submit(self.code), True)
        self.assertEqual(self.form_failures, [])

    def test_a_throttled_form_submission_is_audited(self) -> None:
        self.submit("000000")
        self.recorder.sent.clear()
        self.assertIs(self.submit(self.code), False)
        kwargs = self.assert_sent(
            signals.verification_throttled,
            reason={
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": 1,
                "locked_until": START + datetime.timedelta(seconds=1),
            },
        )
        self.assertEqual(kwargs["device"].pk, self.device.pk)
        self.assertEqual(self.recorder.names(), ["verification_throttled"])
