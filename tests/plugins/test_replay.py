"""A TOTP or HOTP code used again is refused as ``replayed_token``: counted as any wrong code
(the device's failure, the account's, the client's), but the signal, the flow's result and
the sign-in page say that the code was already used. The compatible forms keep the spec's
message and code, and ``device.verify_token()`` keeps its one statement."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client, TestCase, override_settings
from freezegun import freeze_time

from django_otp import signals
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.flows.verify import MESSAGES, PAGE_MESSAGES, describe, verify_device
from django_otp.forms import OTPTokenForm, otp_verification_failed
from django_otp.oath import hotp
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.verification import last_outcome

KEY = bytes(range(20))
START = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
STEP = int(START.timestamp()) // 30
ALREADY_USED = "This code was already used. Wait for a new code and enter that one."


def code(counter: int) -> str:
    return f"{hotp(KEY, counter):06d}"


class Signals:
    """The reasons of ``verification_failed`` and the refusals sent while it listens."""

    def __init__(self, test: TestCase) -> None:
        self.failed: list[str] = []
        self.throttled: list[Any] = []
        signals.verification_failed.connect(self._failed, weak=False, dispatch_uid=id(self))
        signals.verification_throttled.connect(self._throttled, weak=False, dispatch_uid=id(self))
        test.addCleanup(signals.verification_failed.disconnect, dispatch_uid=id(self))
        test.addCleanup(signals.verification_throttled.disconnect, dispatch_uid=id(self))

    def _failed(self, reason: str, **kwargs: Any) -> None:
        self.failed.append(reason)

    def _throttled(self, reason: Any, **kwargs: Any) -> None:
        self.throttled.append(reason)


class ReplayTestCase(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.signals = Signals(self)

    def attempt(self, device: Any, token: str) -> Any:
        fresh = type(device).objects.get(pk=device.pk)
        with self.captureOnCommitCallbacks(execute=True):
            result = verify_device(fresh, token)
        device.refresh_from_db()
        return result


class TOTPReplayTests(ReplayTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.device = TOTPDevice.objects.create(user=self.user, name="app", key=KEY.hex())
        self.clock = freeze_time(START)
        self.frozen = self.clock.start()
        self.addCleanup(self.clock.stop)

    def test_a_code_used_again_reads_replayed_and_counts_once(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        self.frozen.tick(datetime.timedelta(seconds=5))
        again = self.attempt(self.device, code(STEP))
        assert (again.error, again.reason) == ("invalid_token", "replayed_token")
        assert self.device.throttling_failure_count == 1 and self.device.last_t == STEP
        assert self.signals.failed == ["replayed_token"]
        assert AccountLimit.objects.get(user=self.user).failures == 1
        assert str(describe(again, PAGE_MESSAGES)) == ALREADY_USED
        assert str(describe(again)) == str(MESSAGES["invalid_token"])

    def test_an_earlier_step_of_the_window_reads_replayed(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        self.frozen.tick(datetime.timedelta(seconds=5))
        assert self.attempt(self.device, code(STEP - 1)).reason == "replayed_token"

    def test_a_code_out_of_the_window_is_just_wrong(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        self.frozen.tick(datetime.timedelta(seconds=60))  # two steps on: t-1 is STEP + 1
        assert self.attempt(self.device, code(STEP)).reason == "invalid_token"
        assert self.signals.failed == ["invalid_token"]

    def test_a_wrong_code_beside_a_used_step_is_just_wrong(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        near = {code(STEP + offset) for offset in range(-2, 3)}
        wrong = next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)
        self.frozen.tick(datetime.timedelta(seconds=5))
        assert self.attempt(self.device, wrong).reason == "invalid_token"

    def test_a_throttled_device_refuses_before_looking(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        self.frozen.tick(datetime.timedelta(seconds=5))
        self.attempt(self.device, code(STEP))
        refused = self.attempt(self.device, code(STEP))
        assert refused.error == "throttled"
        assert self.device.throttling_failure_count == 1
        assert self.signals.failed == ["replayed_token"] and len(self.signals.throttled) == 1

    def test_the_engine_reports_the_reason(self) -> None:
        device = TOTPDevice.objects.get(pk=self.device.pk)
        assert device.verify_token(code(STEP))
        self.frozen.tick(datetime.timedelta(seconds=5))
        assert device.verify_token(code(STEP)) is False
        assert last_outcome(device).reason == "replayed_token"  # type: ignore[union-attr]

    def test_the_compatible_form_keeps_the_spec_message_and_code(self) -> None:
        assert self.attempt(self.device, code(STEP)).ok
        self.frozen.tick(datetime.timedelta(seconds=5))
        sent: list[Any] = []
        otp_verification_failed.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid=1)
        self.addCleanup(otp_verification_failed.disconnect, dispatch_uid=1)
        data = {"otp_device": self.device.persistent_id, "otp_token": code(STEP)}
        form = OTPTokenForm(self.user, None, data)
        with self.captureOnCommitCallbacks(execute=True):
            assert not form.is_valid()
        [error] = form.errors.as_data()["__all__"]
        assert error.code == "invalid_token"
        assert error.messages == [str(MESSAGES["invalid_token"])]
        assert len(sent) == 1 and self.signals.failed == ["replayed_token"]


class HOTPReplayTests(ReplayTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.device = HOTPDevice.objects.create(user=self.user, name="fob", key=KEY.hex())

    @override_settings(OTP_HOTP_THROTTLE_FACTOR=0)
    def test_a_used_or_skipped_counter_reads_replayed(self) -> None:
        assert self.attempt(self.device, code(0)).ok
        assert self.attempt(self.device, code(0)).reason == "replayed_token"
        assert self.attempt(self.device, code(3)).ok  # counters 1 and 2 are skipped
        assert self.attempt(self.device, code(1)).reason == "replayed_token"
        assert self.attempt(self.device, code(2)).reason == "replayed_token"
        assert self.device.counter == 4
        assert self.device.throttling_failure_count == 2  # the success reset the count
        assert self.signals.failed == ["replayed_token"] * 3

    @override_settings(OTP_HOTP_THROTTLE_FACTOR=0)
    def test_the_window_behind_the_counter_is_as_wide_as_the_one_ahead(self) -> None:
        HOTPDevice.objects.filter(pk=self.device.pk).update(counter=10)  # tolerance 5
        assert self.attempt(self.device, code(4)).reason == "replayed_token"
        assert self.attempt(self.device, code(9)).reason == "replayed_token"
        assert self.attempt(self.device, code(3)).reason == "invalid_token"
        assert self.signals.failed == ["replayed_token", "replayed_token", "invalid_token"]

    def test_a_wrong_code_on_a_new_device_is_just_wrong(self) -> None:
        near = {code(counter) for counter in range(6)}
        wrong = next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)
        assert self.attempt(self.device, wrong).reason == "invalid_token"


class SignInPageTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.device = TOTPDevice.objects.create(user=self.user, name="app", key=KEY.hex())

    def sign_in(self, client: Client) -> Any:
        client.post("/otp/login/", {"username": "alice", "password": "pw"})
        data = {"factor": self.device.persistent_id, "otp_token": code(STEP)}
        return client.post("/otp/login/verify/", data)

    def test_the_second_step_says_the_code_was_already_used(self) -> None:
        with freeze_time(START) as frozen:
            assert self.sign_in(Client()).status_code == 302
            frozen.tick(datetime.timedelta(seconds=20))
            page = self.sign_in(Client())
        assert page.status_code == 200
        assert ALREADY_USED in page.content.decode()
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert ClientLimit.objects.get(scope="code").failures == 1
        assert AccountLimit.objects.get(user=self.user).failures == 1
