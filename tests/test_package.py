"""Tests for the package root: login, verify_token, match_token, devices_for_user and friends."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.http import HttpRequest
from django.test import RequestFactory, TestCase

import django_otp
from django_otp import (
    DEVICE_ID_SESSION_KEY,
    device_classes,
    devices_for_user,
    match_token,
    user_has_device,
    verify_token,
)
from django_otp.models import Device
from tests.models import (
    ChallengeDevice,
    InheritingSideChannelDevice,
    ProxySimpleDevice,
    SimpleDevice,
    TwilioStyleDevice,
)


class PackageTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password="alice-password")
        cls.bob = User.objects.create_user("bob", password="bob-password")
        cls.device = SimpleDevice.objects.create(user=cls.alice, name="phone", code="123456")
        cls.mail = ChallengeDevice.objects.create(user=cls.alice, name="mail", code="654321")
        cls.unconfirmed = SimpleDevice.objects.create(
            user=cls.alice, name="new", code="111111", confirmed=False
        )
        cls.bobs_device = SimpleDevice.objects.create(user=cls.bob, name="b", code="222222")

    def request(self, user: Any = None) -> HttpRequest:
        request = RequestFactory().get("/")
        request.session = SessionStore()
        request.session.create()
        if user is not None:
            request.user = user
        return request

    def stored(self, device: Any) -> Any:
        return type(device).objects.get(pk=device.pk)


class LoginTests(PackageTestCase):
    def test_marks_the_session_verified_and_cycles_its_key(self) -> None:
        request = self.request(self.alice)
        key = request.session.session_key
        django_otp.login(request, self.device)
        self.assertEqual(request.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)
        self.assertNotEqual(request.session.session_key, key)
        self.assertEqual(request.user.otp_device, self.device)  # type: ignore[union-attr]

    def test_refuses_an_unconfirmed_device(self) -> None:
        request = self.request(self.alice)
        key = request.session.session_key
        django_otp.login(request, self.unconfirmed)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)
        self.assertEqual(request.session.session_key, key)
        self.assertFalse(hasattr(request.user, "otp_device"))

    def test_refuses_a_foreign_device(self) -> None:
        request = self.request(self.alice)
        django_otp.login(request, self.bobs_device)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)
        self.assertFalse(hasattr(request.user, "otp_device"))

    def test_does_nothing_without_device_or_user(self) -> None:
        request = self.request(self.alice)
        self.assertIsNone(django_otp.login(request, None))
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)
        request = self.request()
        django_otp.login(request, self.device)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)


class UserLoggedInReceiverTests(PackageTestCase):
    def log_in(self, user: Any) -> HttpRequest:
        request = self.request(AnonymousUser())
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return request

    def test_persists_otp_device_set_on_the_user(self) -> None:
        user = get_user_model().objects.get(pk=self.alice.pk)
        user.otp_device = self.device  # type: ignore[attr-defined]
        request = self.log_in(user)
        self.assertEqual(request.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)

    def test_ignores_users_without_otp_device(self) -> None:
        request = self.log_in(get_user_model().objects.get(pk=self.alice.pk))
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)

    def test_otp_device_none_is_harmless(self) -> None:
        user = get_user_model().objects.get(pk=self.alice.pk)
        user.otp_device = None  # type: ignore[attr-defined]
        request = self.log_in(user)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, request.session)


class VerifyTokenTests(PackageTestCase):
    def test_correct_token(self) -> None:
        device = verify_token(self.alice, self.device.persistent_id, "123456")
        self.assertEqual(device, self.device)
        self.assertIsNotNone(self.stored(self.device).last_used_at)

    def test_wrong_token(self) -> None:
        self.assertIsNone(verify_token(self.alice, self.device.persistent_id, "000000"))
        self.assertEqual(self.stored(self.device).throttling_failure_count, 1)

    def test_foreign_unconfirmed_and_unknown_devices(self) -> None:
        self.assertIsNone(verify_token(self.alice, self.bobs_device.persistent_id, "222222"))
        self.assertIsNone(verify_token(self.alice, self.unconfirmed.persistent_id, "111111"))
        for device_id in ["garbage", f"auth.user/{self.alice.pk}", "tests.simpledevice/999"]:
            with self.subTest(device_id=device_id):
                self.assertIsNone(verify_token(self.alice, device_id, "123456"))
        self.assertIsNone(self.stored(self.bobs_device).last_used_at)
        self.assertIsNone(self.stored(self.unconfirmed).last_used_at)


class MatchTokenTests(PackageTestCase):
    def test_returns_the_device_that_accepts(self) -> None:
        self.assertEqual(match_token(self.alice, "654321"), self.mail)

    def test_a_correct_code_does_not_throttle_the_other_devices(self) -> None:
        match_token(self.alice, "654321")
        self.assertEqual(self.stored(self.device).throttling_failure_count, 0)
        self.assertIsNone(self.stored(self.device).throttling_failure_timestamp)
        self.assertEqual(self.device.verify_is_allowed(), (True, None))

    def test_a_wrong_code_counts_on_every_confirmed_device(self) -> None:
        self.assertIsNone(match_token(self.alice, "000000"))
        self.assertEqual(self.stored(self.device).throttling_failure_count, 1)
        self.assertEqual(self.stored(self.mail).throttling_failure_count, 1)
        self.assertEqual(self.stored(self.unconfirmed).throttling_failure_count, 0)

    def test_unconfirmed_and_foreign_devices_are_never_matched(self) -> None:
        self.assertIsNone(match_token(self.alice, "111111"))
        self.assertIsNone(match_token(self.alice, "222222"))
        self.assertIsNone(match_token(AnonymousUser(), "123456"))


class DevicesForUserTests(PackageTestCase):
    def test_confirmed_devices_in_model_order(self) -> None:
        self.assertEqual(list(devices_for_user(self.alice)), [self.device, self.mail])

    def test_confirmed_none_and_false(self) -> None:
        self.assertEqual(
            list(devices_for_user(self.alice, confirmed=None)),
            [self.device, self.unconfirmed, self.mail],
        )
        self.assertEqual(list(devices_for_user(self.alice, confirmed=False)), [self.unconfirmed])

    def test_keyword_call_shape(self) -> None:
        self.assertEqual(
            list(devices_for_user(user=self.alice, confirmed=True)), [self.device, self.mail]
        )

    def test_lazy(self) -> None:
        with self.assertNumQueries(0):
            devices = devices_for_user(self.alice)
        self.assertEqual(next(devices), self.device)

    def test_anonymous_user(self) -> None:
        with self.assertNumQueries(0):
            self.assertEqual(list(devices_for_user(AnonymousUser())), [])

    def test_for_verify_inside_a_transaction(self) -> None:
        with transaction.atomic():
            self.assertEqual(
                list(devices_for_user(self.alice, for_verify=True)), [self.device, self.mail]
            )

    def test_user_has_device(self) -> None:
        self.assertTrue(user_has_device(self.alice))
        SimpleDevice.objects.filter(user=self.alice).update(confirmed=False)
        ChallengeDevice.objects.filter(user=self.alice).delete()
        self.assertFalse(user_has_device(self.alice))
        self.assertTrue(user_has_device(self.alice, confirmed=None))
        self.assertTrue(user_has_device(self.alice, confirmed=False))
        self.assertFalse(user_has_device(AnonymousUser()))


class DeviceClassesTests(TestCase):
    def test_concrete_device_models_in_installed_apps_order(self) -> None:
        found = list(device_classes())
        self.assertEqual(
            found[-4:],
            [SimpleDevice, ChallengeDevice, TwilioStyleDevice, InheritingSideChannelDevice],
        )
        self.assertNotIn(ProxySimpleDevice, found)
        self.assertNotIn(Device, found)
        app_order = [config.label for config in apps.get_app_configs()]
        positions = [app_order.index(model._meta.app_label) for model in found]
        self.assertEqual(positions, sorted(positions))
        self.assertTrue(all(issubclass(model, Device) for model in found))
