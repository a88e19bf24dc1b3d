"""django_otp.flows.verify: the verify and challenge flows every entry point calls."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, TestCase
from django.utils import translation
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY, signals
from django_otp.flows.verify import (
    ERRORS,
    MESSAGES,
    Challenge,
    challenge_device,
    describe,
    mark_verified,
    verify_device,
    verify_device_id,
)
from django_otp.models import VerifyNotAllowed
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.models import ChallengeDevice, SimpleDevice


class FlowTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password="alice-password")
        cls.bob = User.objects.create_user("bob", password="bob-password")

    def setUp(self) -> None:
        self.device = SimpleDevice.objects.create(user=self.alice, name="phone", code="123456")

    def request(self, user: Any) -> Any:
        request = RequestFactory().post("/")
        request.user = user
        request.session = SessionStore()
        request.session.create()
        return request


class VerifyDeviceTests(FlowTestCase):
    def test_a_right_token_passes(self) -> None:
        result = verify_device(self.device, "123456")
        assert result.ok
        assert result.error is None
        assert result.device == self.device
        assert describe(result) == ""

    def test_no_token_is_token_required_before_the_device_is_looked_at(self) -> None:
        assert verify_device(None, "").error == "token_required"
        assert verify_device(self.device, None).error == "token_required"

    def test_no_device_is_device_required(self) -> None:
        result = verify_device(None, "123456")
        assert (result.ok, result.error) == (False, "device_required")
        assert str(describe(result)) == "Please select a device."

    def test_a_wrong_token_is_invalid_and_counted(self) -> None:
        result = verify_device(self.device, "654321")
        assert (result.error, result.reason) == ("invalid_token", "invalid_token")
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert str(describe(result)).startswith("Invalid token.")

    def test_a_malformed_token_is_invalid_with_its_reason(self) -> None:
        result = verify_device(self.device, "12-34")
        assert (result.error, result.reason) == ("invalid_token", "malformed_token")

    def test_a_used_totp_code_is_invalid(self) -> None:
        device = TOTPDevice.objects.create(user=self.alice, name="app")
        code = totp(device.bin_key)
        with freeze_time() as frozen:
            assert verify_device(device, str(code).zfill(6)).ok
            frozen.tick(datetime.timedelta(seconds=2))
            again = verify_device(device, str(code).zfill(6))
        assert again.error == "invalid_token"

    def test_a_code_consumed_by_a_parallel_request_reads_replayed(self) -> None:
        device = TOTPDevice.objects.create(user=self.alice, name="app")
        code = str(totp(device.bin_key)).zfill(6)
        with freeze_time():
            stale = TOTPDevice.objects.get(pk=device.pk)
            assert verify_device(device, code).ok
            result = verify_device(stale, code)
        assert (result.error, result.reason) == ("invalid_token", "replayed_token")

    def test_a_throttled_device_is_refused_with_its_data_and_one_signal(self) -> None:
        sent: list[dict[str, Any]] = []
        signals.verification_throttled.connect(
            lambda **kw: sent.append(kw), weak=False, dispatch_uid="flows"
        )
        self.addCleanup(signals.verification_throttled.disconnect, dispatch_uid="flows")
        with freeze_time():
            verify_device(self.device, "000000")
            with self.captureOnCommitCallbacks(execute=True):
                result = verify_device(self.device, "123456")
        assert result.error == "throttled"
        assert result.data["reason"] == VerifyNotAllowed.N_FAILED_ATTEMPTS
        assert result.data["failure_count"] == 1
        assert str(describe(result)) == (
            "Verification temporarily disabled because of 1 failed attempt, please try again soon."
        )
        assert len(sent) == 1

    def test_throttling_that_starts_during_the_attempt_reads_as_throttled(self) -> None:
        """A parallel request may throttle the device between the check and the attempt."""
        locked = {"reason": VerifyNotAllowed.N_FAILED_ATTEMPTS, "failure_count": 3}
        answers = iter([(True, None), (False, locked)])
        with mock.patch.object(SimpleDevice, "verify_is_allowed", lambda self: next(answers)):
            result = verify_device(self.device, "123456")
        assert result.error == "throttled"
        assert result.data == locked

    def test_a_refusal_with_the_devices_own_message(self) -> None:
        refusal = (False, {"error_message": "Come back tomorrow."})
        with mock.patch.object(SimpleDevice, "verify_is_allowed", return_value=refusal):
            result = verify_device(self.device, "123456")
        assert result.error == "verification_not_allowed"
        assert describe(result) == "Come back tomorrow."
        with mock.patch.object(SimpleDevice, "verify_is_allowed", return_value=(False, {})):
            result = verify_device(self.device, "123456")
        assert str(describe(result)) == "Verification of the token is currently disabled"

    def test_a_device_with_its_own_verify_token_reads_invalid_when_it_says_no(self) -> None:
        with mock.patch.object(SimpleDevice, "verify_token", return_value=False):
            result = verify_device(self.device, "123456")
        assert (result.error, result.reason) == ("invalid_token", "invalid_token")
        with mock.patch.object(SimpleDevice, "verify_token", return_value=True):
            assert verify_device(self.device, "999999").ok

    def test_an_earlier_outcome_on_the_instance_does_not_leak(self) -> None:
        with freeze_time() as frozen:
            verify_device(self.device, "000000")
            frozen.tick(datetime.timedelta(seconds=5))
            with mock.patch.object(SimpleDevice, "verify_token", return_value=False):
                result = verify_device(self.device, "123456")
        assert result.reason == "invalid_token"

    def test_login_marks_the_session(self) -> None:
        request = self.request(self.alice)
        old_key = request.session.session_key
        result = verify_device(self.device, "123456", request=request, login=True)
        assert result.ok
        assert request.session[DEVICE_ID_SESSION_KEY] == self.device.persistent_id
        assert request.session.session_key != old_key
        assert request.user.otp_device == self.device

    def test_without_login_the_session_is_left_alone(self) -> None:
        request = self.request(self.alice)
        assert verify_device(self.device, "123456", request=request).ok
        assert DEVICE_ID_SESSION_KEY not in request.session

    def test_every_error_code_has_a_message(self) -> None:
        for code in ERRORS:
            if code == "throttled":
                continue
            assert code in MESSAGES


class VerifyDeviceIdTests(FlowTestCase):
    """The form-less entry point, as a JSON view uses it."""

    def test_the_users_device_verifies_and_logs_in(self) -> None:
        request = self.request(self.alice)
        result = verify_device_id(request, self.alice, self.device.persistent_id, "123456")
        assert result.ok
        assert request.session[DEVICE_ID_SESSION_KEY] == self.device.persistent_id

    def test_a_foreign_unconfirmed_unknown_or_malformed_id_is_device_required(self) -> None:
        bobs = SimpleDevice.objects.create(user=self.bob, name="bob", code="123456")
        unconfirmed = SimpleDevice.objects.create(
            user=self.alice, name="new", code="123456", confirmed=False
        )
        request = self.request(self.alice)
        for device_id in [
            bobs.persistent_id,
            unconfirmed.persistent_id,
            "tests.simpledevice/999999",
            "auth.user/1",
            "nonsense",
            None,
        ]:
            result = verify_device_id(request, self.alice, device_id, "123456")
            assert result.error == "device_required", device_id
        assert DEVICE_ID_SESSION_KEY not in request.session
        bobs.refresh_from_db()
        assert bobs.throttling_failure_count == 0

    def test_no_token(self) -> None:
        request = self.request(self.alice)
        result = verify_device_id(request, self.alice, self.device.persistent_id, "")
        assert result.error == "token_required"


class ChallengeTests(FlowTestCase):
    def test_an_interactive_device_sends_its_challenge(self) -> None:
        device = ChallengeDevice.objects.create(user=self.alice, name="mail")
        result = challenge_device(device)
        assert result.ok
        assert result.message == "sent"
        assert str(describe(result)) == "OTP Challenge: sent"

    def test_a_device_without_challenge(self) -> None:
        assert challenge_device(self.device).error == "not_interactive"
        assert challenge_device(None).error == "not_interactive"
        assert str(describe(challenge_device(None))) == (
            "The selected OTP device is not interactive"
        )

    def test_a_failing_challenge_keeps_the_exception(self) -> None:
        device = ChallengeDevice.objects.create(user=self.alice, name="mail")
        error = RuntimeError("SMTP down")
        with mock.patch.object(ChallengeDevice, "generate_challenge", side_effect=error):
            result = challenge_device(device)
        assert isinstance(result, Challenge)
        assert (result.error, result.exception) == ("challenge_exception", error)
        assert str(describe(result)) == "Error generating challenge: SMTP down"

    def test_messages_are_translated_when_read(self) -> None:
        result = challenge_device(None)
        with translation.override("de"):
            assert str(describe(result)) != "The selected OTP device is not interactive"


class MarkVerifiedTests(FlowTestCase):
    def test_another_users_or_an_unconfirmed_device_is_ignored(self) -> None:
        request = self.request(self.alice)
        bobs = SimpleDevice.objects.create(user=self.bob, name="bob")
        mark_verified(request, bobs)
        self.device.confirmed = False
        mark_verified(request, self.device)
        mark_verified(request, None)
        assert DEVICE_ID_SESSION_KEY not in request.session
