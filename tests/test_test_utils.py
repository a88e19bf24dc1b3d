"""Tests for django_otp.test_utils: its mixins run against the test devices."""

from __future__ import annotations

import sys
from unittest import mock

import django.test
from django.contrib.auth import get_user_model

from django_otp import test_utils
from django_otp.test_utils import (
    CooldownTestMixin,
    OTPTestCaseMixin,
    ThrottlingTestMixin,
    TimestampTestMixin,
)
from tests.models import ChallengeDevice, SimpleDevice


class SimpleDeviceTest(TimestampTestMixin, ThrottlingTestMixin, test_utils.TestCase):
    def setUp(self) -> None:
        user = self.create_user("alice", "alice-password")
        self.device = SimpleDevice.objects.create(user=user, name="phone", code="123456")

    def valid_token(self) -> str:
        return "123456"

    def invalid_token(self) -> str:
        return "000000"


class ChallengeDeviceTest(
    CooldownTestMixin, ThrottlingTestMixin, TimestampTestMixin, test_utils.TestCase
):
    def setUp(self) -> None:
        user = self.create_user("alice", "alice-password")
        self.device = ChallengeDevice.objects.create(user=user, name="mail", code="654321")

    def valid_token(self) -> str:
        return "654321"

    def invalid_token(self) -> str:
        return "000000"


class HelperTests(test_utils.TestCase):
    def test_class_attributes(self) -> None:
        self.assertIs(self.User, get_user_model())
        self.assertEqual(self.USERNAME_FIELD, "username")

    def test_create_user(self) -> None:
        user = self.create_user("carol", "carol-password", email="carol@example.com")
        self.assertEqual(user.username, "carol")
        self.assertEqual(user.email, "carol@example.com")
        self.assertTrue(user.check_password("carol-password"))

    def test_test_case_bases(self) -> None:
        self.assertTrue(issubclass(test_utils.TestCase, django.test.TestCase))
        self.assertTrue(issubclass(test_utils.TransactionTestCase, OTPTestCaseMixin))
        self.assertTrue(issubclass(test_utils.TransactionTestCase, django.test.TransactionTestCase))

    def test_mixin_defaults(self) -> None:
        for mixin in [TimestampTestMixin, ThrottlingTestMixin, CooldownTestMixin]:
            with self.subTest(mixin=mixin.__name__):
                instance = mixin()
                instance.device = "something"
                instance.setUp()
                self.assertIsNone(instance.device)
                with self.assertRaises(NotImplementedError):
                    instance.valid_token()
                with self.assertRaises(NotImplementedError):
                    instance.invalid_token()

    def test_clear_error_without_freezegun(self) -> None:
        with (
            mock.patch.dict(sys.modules, {"freezegun": None}),
            self.assertRaisesMessage(ImportError, "pip install freezegun"),
        ):
            test_utils._freeze_time()


class TransactionTestCaseTest(test_utils.TransactionTestCase):
    def test_create_user(self) -> None:
        user = self.create_user("dave", "dave-password")
        self.assertEqual(get_user_model().objects.get(pk=user.pk).username, "dave")


def test_django_otp_tests_reexports_the_helpers_and_holds_no_tests() -> None:
    import inspect

    import django_otp.test_utils
    import django_otp.tests

    for name in django_otp.tests.__all__:
        assert getattr(django_otp.tests, name) is getattr(django_otp.test_utils, name)
    own = [
        name
        for name, value in vars(django_otp.tests).items()
        if inspect.isclass(value) and value.__module__ == "django_otp.tests"
    ]
    assert own == []
