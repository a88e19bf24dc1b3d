"""Test case bases and mixins for device plugins (their names and test methods are public).

A plugin's test class mixes in :class:`TimestampTestMixin`, :class:`ThrottlingTestMixin`
and/or :class:`CooldownTestMixin`, sets ``self.device`` in ``setUp`` and implements
``valid_token()`` and ``invalid_token()``. freezegun is imported only by the tests that
move the clock.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import django.test
from django.contrib.auth import get_user_model
from django.utils import timezone

from django_otp.models import GenerateNotAllowed, VerifyNotAllowed

if TYPE_CHECKING:
    _TestCaseBase = django.test.SimpleTestCase
else:
    _TestCaseBase = object


def _freeze_time(*args: Any, **kwargs: Any) -> Any:
    """``freezegun.freeze_time``, with a clear error when freezegun is not installed."""
    try:
        from freezegun import freeze_time
    except ImportError as e:
        raise ImportError(
            "This test of django_otp.test_utils moves the clock and needs freezegun: "
            "pip install freezegun"
        ) from e
    return freeze_time(*args, **kwargs)


class OTPTestCaseMixin(_TestCaseBase):
    """Gives test cases ``User``, ``USERNAME_FIELD`` and :meth:`create_user`."""

    User: Any
    USERNAME_FIELD: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.User = get_user_model()
        cls.USERNAME_FIELD = cls.User.USERNAME_FIELD

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        """Create a user through the user model's manager."""
        return self.User.objects.create_user(username, password=password, **kwargs)


class TestCase(OTPTestCaseMixin, django.test.TestCase):
    """Django's ``TestCase`` with :class:`OTPTestCaseMixin`."""


class TransactionTestCase(OTPTestCaseMixin, django.test.TransactionTestCase):
    """Django's ``TransactionTestCase`` with :class:`OTPTestCaseMixin`."""


class _DeviceTestMixin(_TestCaseBase):
    """The contract shared by the device test mixins."""

    device: Any

    def setUp(self) -> None:
        self.device = None

    def valid_token(self) -> Any:
        """A token that ``self.device`` accepts now."""
        raise NotImplementedError()

    def invalid_token(self) -> Any:
        """A token that ``self.device`` rejects."""
        raise NotImplementedError()

    def _stored(self) -> Any:
        return type(self.device)._default_manager.get(pk=self.device.pk)


class TimestampTestMixin(_DeviceTestMixin):
    """Tests for devices using :class:`~django_otp.models.TimestampMixin`."""

    def test_created_at_set_on_creation(self) -> None:
        self.assertIsNotNone(self.device.created_at)

    def test_last_used_at_initially_none(self) -> None:
        self.assertIsNone(self.device.last_used_at)

    def test_set_last_used_timestamp_updates_field(self) -> None:
        self.device.set_last_used_timestamp(commit=True)
        self.device.refresh_from_db()
        self.assertIsNotNone(self.device.last_used_at)

    def test_set_last_used_timestamp_without_commit(self) -> None:
        stored = self._stored().last_used_at
        self.device.set_last_used_timestamp(commit=False)
        self.assertNotEqual(self.device.last_used_at, stored)
        self.assertEqual(self._stored().last_used_at, stored)

    def test_verify_token_successful_updates_last_used_at(self) -> None:
        stored = self._stored().last_used_at
        self.assertTrue(self.device.verify_token(self.valid_token()))
        self.assertNotEqual(self._stored().last_used_at, stored)

    def test_verify_token_failed_does_not_update_last_used_at(self) -> None:
        stored = self._stored().last_used_at
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        self.assertEqual(self._stored().last_used_at, stored)


class ThrottlingTestMixin(_DeviceTestMixin):
    """Tests for devices using :class:`~django_otp.models.ThrottlingMixin` with factor 1."""

    def test_delay_imposed_after_fail(self) -> None:
        with _freeze_time():
            self.assertFalse(self.device.verify_token(self.invalid_token()))
            self.assertFalse(self.device.verify_token(self.valid_token()))

    def test_delay_after_fail_expires(self) -> None:
        with _freeze_time() as frozen:
            self.assertFalse(self.device.verify_token(self.invalid_token()))
            frozen.tick(datetime.timedelta(seconds=1.1))
            self.assertTrue(self.device.verify_token(self.valid_token()))

    def test_throttling_failure_count(self) -> None:
        with _freeze_time():
            for _ in range(5):
                self.device.verify_token(self.invalid_token())
                self.assertEqual(self.device.throttling_failure_count, 1)

    def test_verify_is_allowed(self) -> None:
        with _freeze_time() as frozen:
            self.assertEqual(self.device.verify_is_allowed(), (True, None))
            self.device.verify_token(self.invalid_token())
            expected = {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": 1,
                "locked_until": timezone.now() + datetime.timedelta(seconds=1),
            }
            self.assertEqual(self.device.verify_is_allowed(), (False, expected))
            frozen.tick(datetime.timedelta(seconds=1.1))
            self.assertTrue(self.device.verify_token(self.valid_token()))
            self.assertEqual(self.device.verify_is_allowed(), (True, None))

    def test_verify_is_allowed_with_large_failure_count(self) -> None:
        with _freeze_time():
            now = timezone.now()
            self.device.throttling_failure_count = 90
            self.device.throttling_failure_timestamp = now
            allowed, data = self.device.verify_is_allowed()
        self.assertFalse(allowed)
        self.assertEqual(data["reason"], VerifyNotAllowed.N_FAILED_ATTEMPTS)
        self.assertEqual(data["failure_count"], 90)
        self.assertGreater(data["locked_until"], now)


class CooldownTestMixin(_DeviceTestMixin):
    """Tests for devices using :class:`~django_otp.models.CooldownMixin` with 10 seconds."""

    def test_generate_is_allowed_on_first_try(self) -> None:
        allowed, _ = self.device.generate_is_allowed()
        self.assertTrue(allowed)

    def test_cooldown_imposed_after_successful_generation(self) -> None:
        self.device.generate_challenge()
        self.device.refresh_from_db()
        allowed, data = self.device.generate_is_allowed()
        self.assertFalse(allowed)
        self.assertEqual(data["reason"], GenerateNotAllowed.COOLDOWN_DURATION_PENDING)

    def test_cooldown_expire_time(self) -> None:
        with _freeze_time():
            self.device.generate_challenge()
            self.device.refresh_from_db()
            _, data = self.device.generate_is_allowed()
            expected = timezone.now() + datetime.timedelta(seconds=10)
            self.assertEqual(data["next_generation_at"], expected)

    def test_cooldown_reset(self) -> None:
        self.device.generate_challenge()
        self.device.refresh_from_db()
        self.device.cooldown_reset()
        allowed, _ = self.device.generate_is_allowed()
        self.assertTrue(allowed)

    def test_valid_token_verification_resets_cooldown(self) -> None:
        self.device.generate_challenge()
        self.device.refresh_from_db()
        self.assertTrue(self.device.verify_token(self.valid_token()))
        allowed, _ = self.device.generate_is_allowed()
        self.assertTrue(allowed)

    def test_invalid_token_verification_does_not_reset_cooldown(self) -> None:
        self.device.generate_challenge()
        self.device.refresh_from_db()
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        allowed, _ = self.device.generate_is_allowed()
        self.assertFalse(allowed)
