"""Tests for django_otp.decorators.otp_required, through the test client."""

from __future__ import annotations

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, override_settings

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.decorators import otp_required
from tests.models import SimpleDevice

WITHOUT_OTP_MIDDLEWARE = [m for m in settings.MIDDLEWARE if "django_otp" not in m]


class OTPRequiredTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.alice = get_user_model().objects.create_user("alice", password="alice-password")
        cls.device = SimpleDevice.objects.create(user=cls.alice, name="phone")

    def log_in(self, verified: bool) -> None:
        self.client.force_login(self.alice)
        if verified:
            session = self.client.session
            session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
            session.save()

    def assert_redirects_to(self, url: str, location: str) -> None:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], location)

    def test_anonymous_is_redirected_with_next(self) -> None:
        self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")

    def test_unverified_user_is_redirected(self) -> None:
        self.log_in(verified=False)
        self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")

    def test_verified_user_passes(self) -> None:
        self.log_in(verified=True)
        response = self.client.get("/protected/bare/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"secret")

    def test_decorator_with_empty_arguments(self) -> None:
        self.assert_redirects_to("/protected/called/", "/login/?next=/protected/called/")
        self.log_in(verified=True)
        self.assertEqual(self.client.get("/protected/called/").status_code, 200)

    def test_login_url_and_redirect_field_name(self) -> None:
        self.assert_redirects_to("/protected/custom/", "/custom-login/?goto=/protected/custom/")

    def test_called_directly_without_redirect_field(self) -> None:
        self.assert_redirects_to("/protected/no-next/", "/custom-login/")
        self.log_in(verified=True)
        self.assertEqual(self.client.get("/protected/no-next/").status_code, 200)

    def test_otp_login_url_is_read_at_request_time(self) -> None:
        with override_settings(OTP_LOGIN_URL="/elsewhere/"):
            self.assert_redirects_to("/protected/bare/", "/elsewhere/?next=/protected/bare/")
        with override_settings(LOGIN_URL="/accounts/login/"):
            self.assert_redirects_to("/protected/bare/", "/accounts/login/?next=/protected/bare/")

    def test_otp_login_url_may_be_a_url_name(self) -> None:
        with override_settings(OTP_LOGIN_URL="login"):
            self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")

    def test_if_configured_lets_users_without_device_in(self) -> None:
        self.device.delete()
        self.log_in(verified=False)
        self.assertEqual(self.client.get("/protected/if-configured/").status_code, 200)
        self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")

    def test_if_configured_ignores_unconfirmed_devices(self) -> None:
        SimpleDevice.objects.filter(pk=self.device.pk).update(confirmed=False)
        self.log_in(verified=False)
        self.assertEqual(self.client.get("/protected/if-configured/").status_code, 200)

    def test_if_configured_requires_verification_with_a_confirmed_device(self) -> None:
        self.log_in(verified=False)
        self.assert_redirects_to(
            "/protected/if-configured/", "/login/?next=/protected/if-configured/"
        )
        self.log_in(verified=True)
        self.assertEqual(self.client.get("/protected/if-configured/").status_code, 200)

    def test_if_configured_never_lets_anonymous_users_in(self) -> None:
        self.assert_redirects_to(
            "/protected/if-configured/", "/login/?next=/protected/if-configured/"
        )

    @override_settings(MIDDLEWARE=WITHOUT_OTP_MIDDLEWARE)
    def test_works_without_the_middleware(self) -> None:
        self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")
        self.log_in(verified=False)
        self.assert_redirects_to("/protected/bare/", "/login/?next=/protected/bare/")
        self.log_in(verified=True)
        self.assertEqual(self.client.get("/protected/bare/").status_code, 200)

    @override_settings(MIDDLEWARE=WITHOUT_OTP_MIDDLEWARE)
    def test_async_view_without_the_middleware(self) -> None:
        self.async_client.force_login(self.alice)
        response = async_to_sync(self.async_client.get)("/protected/async/")
        self.assertEqual(response.status_code, 302)
        session = self.async_client.session
        session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        session.save()
        response = async_to_sync(self.async_client.get)("/protected/async/")
        self.assertEqual(response.status_code, 200)

    def test_async_view(self) -> None:
        response = async_to_sync(self.async_client.get)("/protected/async/")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/login/?next=/protected/async/")
        self.async_client.force_login(self.alice)
        session = self.async_client.session
        session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        session.save()
        response = async_to_sync(self.async_client.get)("/protected/async/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"async secret")


class DecoratedViewShapeTests(TestCase):
    def test_keeps_the_view_name_and_kind(self) -> None:
        def my_view(request: HttpRequest) -> HttpResponse:
            return HttpResponse()

        async def my_async_view(request: HttpRequest) -> HttpResponse:
            return HttpResponse()

        self.assertEqual(otp_required(my_view).__name__, "my_view")
        self.assertEqual(otp_required(if_configured=True)(my_view).__name__, "my_view")
        self.assertFalse(iscoroutinefunction(otp_required(my_view)))
        self.assertTrue(iscoroutinefunction(otp_required(my_async_view)))
