"""Tests for django_otp.middleware: how a request learns whether its session is verified."""

from __future__ import annotations

import pickle
import unittest
from typing import Any

import django
from asgiref.sync import iscoroutinefunction
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import AsyncRequestFactory, RequestFactory, TestCase

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import (
    OTPMiddleware,
    ensure_verification,
    is_verified,
    request_is_verified,
)
from django_otp.verification import current_request
from tests.models import ProxySimpleDevice, SimpleDevice


class MiddlewareTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password="alice-password")
        cls.bob = User.objects.create_user("bob", password="bob-password")
        cls.device = SimpleDevice.objects.create(user=cls.alice, name="phone")
        cls.bobs_device = SimpleDevice.objects.create(user=cls.bob, name="bob's phone")

    def log_in(self, device_id: Any = None) -> None:
        self.client.force_login(self.alice)
        if device_id is not None:
            session = self.client.session
            session[DEVICE_ID_SESSION_KEY] = device_id
            session.save()

    def whoami(self) -> dict[str, Any]:
        response = self.client.get("/whoami/")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def assert_revoked(self, device_id: Any) -> None:
        self.log_in(device_id)
        state = self.whoami()
        self.assertTrue(state["authenticated"])
        self.assertFalse(state["verified"])
        self.assertIsNone(state["device"])
        self.assertNotIn(DEVICE_ID_SESSION_KEY, self.client.session)


class ThroughClientTests(MiddlewareTestCase):
    def test_anonymous_is_not_verified_and_costs_no_query(self) -> None:
        with self.assertNumQueries(0):
            state = self.whoami()
        self.assertEqual(
            state,
            {"authenticated": False, "verified": False, "device": None, "current_request": True},
        )

    def test_anonymous_session_is_not_read(self) -> None:
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        session.save()
        state = self.whoami()
        self.assertFalse(state["verified"])
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)

    def test_authenticated_without_device_is_not_verified(self) -> None:
        self.log_in()
        state = self.whoami()
        self.assertTrue(state["authenticated"])
        self.assertFalse(state["verified"])
        self.assertIsNone(state["device"])

    def test_verified_session(self) -> None:
        self.log_in(self.device.persistent_id)
        state = self.whoami()
        self.assertTrue(state["verified"])
        self.assertEqual(state["device"], self.device.persistent_id)
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)

    def test_verified_session_costs_one_query_more_than_unverified(self) -> None:
        self.log_in()
        with self.assertNumQueries(2):  # the session and the user
            self.assertFalse(self.whoami()["verified"])
        self.log_in(self.device.persistent_id)
        with self.assertNumQueries(3):  # the session, the user and the device
            self.assertTrue(self.whoami()["verified"])

    def test_request_that_never_touches_the_user_costs_no_query(self) -> None:
        self.log_in(self.device.persistent_id)
        with self.assertNumQueries(0):
            self.assertEqual(self.client.get("/untouched/").content, b"ok")

    def test_unconfirmed_device_revokes_verification(self) -> None:
        SimpleDevice.objects.filter(pk=self.device.pk).update(confirmed=False)
        self.assert_revoked(self.device.persistent_id)

    def test_deleted_device_revokes_verification(self) -> None:
        device_id = self.device.persistent_id
        self.device.delete()
        self.assert_revoked(device_id)

    def test_foreign_device_revokes_verification(self) -> None:
        self.assert_revoked(self.bobs_device.persistent_id)

    def test_unparsable_ids_revoke_verification(self) -> None:
        for device_id in [
            "garbage",
            "tests.simpledevice/not-a-number",
            "nosuchapp.device/1",
            f"auth.user/{self.alice.pk}",
            7,
            ["tests.simpledevice", self.device.pk],
        ]:
            with self.subTest(device_id=device_id):
                self.assert_revoked(device_id)

    def test_legacy_persistent_id_is_accepted(self) -> None:
        self.log_in(f"tests.models.SimpleDevice/{self.device.pk}")
        state = self.whoami()
        self.assertTrue(state["verified"])
        self.assertEqual(state["device"], self.device.persistent_id)

    def test_long_legacy_persistent_id_keeps_app_label_and_class(self) -> None:
        self.log_in(f"django_otp.plugins.tests.models.SimpleDevice/{self.device.pk}")
        self.assertTrue(self.whoami()["verified"])

    def test_mixed_case_model_name_is_accepted(self) -> None:
        self.log_in(f"tests.SimpleDevice/{self.device.pk}")
        self.assertTrue(self.whoami()["verified"])

    def test_proxy_persistent_id_is_accepted(self) -> None:
        self.log_in(ProxySimpleDevice.objects.get(pk=self.device.pk).persistent_id)
        self.assertTrue(self.whoami()["verified"])

    def test_request_user_can_be_pickled(self) -> None:
        self.log_in(self.device.persistent_id)
        response = self.client.get("/pickled-user/")
        user = pickle.loads(response.content)  # noqa: S301 - produced by this test's view
        self.assertEqual(user.pk, self.alice.pk)
        self.assertEqual(user.otp_device, self.device)
        self.assertTrue(user.is_verified())

    def test_current_request_is_set_during_the_request_only(self) -> None:
        self.assertTrue(self.whoami()["current_request"])
        self.assertIsNone(current_request.get())


@unittest.skipUnless(django.VERSION >= (5, 0), "request.auser() is new in Django 5.0")
class AsyncThroughClientTests(MiddlewareTestCase):
    async def awhoami(self) -> dict[str, Any]:
        response = await self.async_client.get("/awhoami/")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def async_log_in(self, device_id: str | None = None) -> None:
        self.async_client.force_login(self.alice)
        if device_id is not None:
            session = self.async_client.session
            session[DEVICE_ID_SESSION_KEY] = device_id
            session.save()

    async def test_anonymous_auser(self) -> None:
        state = await self.awhoami()
        self.assertFalse(state["authenticated"])
        self.assertFalse(state["verified"])
        self.assertTrue(state["current_request"])

    def test_verified_auser(self) -> None:
        self.async_log_in(self.device.persistent_id)
        from asgiref.sync import async_to_sync

        state = async_to_sync(self.awhoami)()
        self.assertTrue(state["verified"])
        self.assertEqual(state["device"], self.device.persistent_id)

    def test_unverified_auser(self) -> None:
        self.async_log_in()
        from asgiref.sync import async_to_sync

        state = async_to_sync(self.awhoami)()
        self.assertTrue(state["authenticated"])
        self.assertFalse(state["verified"])

    def test_foreign_device_auser_revokes(self) -> None:
        self.async_log_in(self.bobs_device.persistent_id)
        from asgiref.sync import async_to_sync

        state = async_to_sync(self.awhoami)()
        self.assertFalse(state["verified"])
        self.assertNotIn(DEVICE_ID_SESSION_KEY, self.async_client.session)


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


async def _aok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


class DirectTests(MiddlewareTestCase):
    def request(self, user: Any, device_id: str | None = None) -> HttpRequest:
        request = RequestFactory().get("/")
        request.session = SessionStore()
        if device_id is not None:
            request.session[DEVICE_ID_SESSION_KEY] = device_id
        request.user = user
        return request

    def test_sync_and_async_modes(self) -> None:
        self.assertFalse(iscoroutinefunction(OTPMiddleware(_ok)))
        self.assertTrue(iscoroutinefunction(OTPMiddleware(_aok)))

    def test_verified_user_costs_exactly_one_query(self) -> None:
        user = get_user_model().objects.get(pk=self.alice.pk)
        request = self.request(user, self.device.persistent_id)

        def view(request: HttpRequest) -> HttpResponse:
            self.assertTrue(request.user.is_verified())  # type: ignore[union-attr]
            self.assertTrue(request.user.is_verified())  # type: ignore[union-attr]
            return HttpResponse()

        with self.assertNumQueries(1):
            OTPMiddleware(view)(request)

    def test_anonymous_user_costs_no_query(self) -> None:
        request = self.request(AnonymousUser(), self.device.persistent_id)

        def view(request: HttpRequest) -> HttpResponse:
            self.assertFalse(request.user.is_verified())  # type: ignore[union-attr]
            self.assertIsNone(request.user.otp_device)  # type: ignore[union-attr]
            return HttpResponse()

        with self.assertNumQueries(0):
            OTPMiddleware(view)(request)

    def test_nothing_is_evaluated_before_the_user_is_touched(self) -> None:
        def load_user() -> Any:
            raise AssertionError("the user was loaded")

        from django.utils.functional import SimpleLazyObject

        request = self.request(SimpleLazyObject(load_user))
        OTPMiddleware(_ok)(request)

    def test_request_without_session_is_not_verified(self) -> None:
        request = RequestFactory().get("/")
        request.user = get_user_model().objects.get(pk=self.alice.pk)

        def view(request: HttpRequest) -> HttpResponse:
            self.assertFalse(request.user.is_verified())  # type: ignore[union-attr]
            return HttpResponse()

        OTPMiddleware(view)(request)

    def test_request_without_user_is_left_alone(self) -> None:
        request = RequestFactory().get("/")
        OTPMiddleware(_ok)(request)
        self.assertFalse(hasattr(request, "user"))

    def test_async_middleware_wraps_auser_and_resets_current_request(self) -> None:
        user = get_user_model().objects.get(pk=self.alice.pk)
        request = AsyncRequestFactory().get("/")
        request.session = SessionStore()
        request.session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        calls = []

        async def auser() -> Any:
            calls.append(1)
            return user

        request.auser = auser  # type: ignore[attr-defined]
        seen = []

        async def view(request: HttpRequest) -> HttpResponse:
            seen.append(current_request.get() is request)
            first = await request.auser()  # type: ignore[attr-defined]
            seen.append(first.is_verified())
            seen.append(first.otp_device == self.device)
            return HttpResponse()

        from asgiref.sync import async_to_sync

        async_to_sync(OTPMiddleware(view))(request)
        self.assertEqual(seen, [True, True, True])
        self.assertEqual(calls, [1])
        self.assertIsNone(current_request.get())

    def test_current_request_is_reset_when_the_view_raises(self) -> None:
        def view(request: HttpRequest) -> HttpResponse:
            raise ValueError("boom")

        with self.assertRaises(ValueError):
            OTPMiddleware(view)(RequestFactory().get("/"))
        self.assertIsNone(current_request.get())

    def test_is_verified_reads_otp_device(self) -> None:
        user = AnonymousUser()
        user.otp_device = None  # type: ignore[attr-defined]
        self.assertFalse(is_verified(user))
        user.otp_device = self.device  # type: ignore[attr-defined]
        self.assertTrue(is_verified(user))


class WithoutMiddlewareTests(MiddlewareTestCase):
    def request(self, user: Any, device_id: str | None = None) -> HttpRequest:
        request = RequestFactory().get("/")
        request.session = SessionStore()
        if device_id is not None:
            request.session[DEVICE_ID_SESSION_KEY] = device_id
        request.user = user
        return request

    def test_request_is_verified_runs_the_verification_on_demand(self) -> None:
        def alice() -> Any:
            return get_user_model().objects.get(pk=self.alice.pk)

        bobs_device_id = self.bobs_device.persistent_id
        self.assertTrue(request_is_verified(self.request(alice(), self.device.persistent_id)))
        self.assertFalse(request_is_verified(self.request(alice())))
        self.assertFalse(request_is_verified(self.request(alice(), bobs_device_id)))
        self.assertFalse(request_is_verified(self.request(AnonymousUser())))
        self.assertFalse(request_is_verified(RequestFactory().get("/")))

    def test_request_is_verified_trusts_the_middleware(self) -> None:
        request = self.request(self.alice, self.device.persistent_id)
        middleware = OTPMiddleware(lambda request: HttpResponse())
        middleware(request)
        with self.assertNumQueries(1):
            self.assertTrue(request_is_verified(request))
        with self.assertNumQueries(0):
            self.assertTrue(request_is_verified(request))

    def test_a_user_model_with_its_own_is_verified_is_not_trusted(self) -> None:
        request = self.request(self.alice, None)
        request.user.is_verified = lambda: True  # type: ignore[union-attr]
        self.assertFalse(request_is_verified(request))

    def test_ensure_verification_is_lazy(self) -> None:
        request = self.request(self.alice, self.device.persistent_id)
        with self.assertNumQueries(0):
            ensure_verification(request)
        with self.assertNumQueries(1):
            self.assertTrue(request.user.is_verified())  # type: ignore[union-attr]
