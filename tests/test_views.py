"""Tests for django_otp.views.LoginView, through the test client."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, TestCase, override_settings

from django_otp import DEVICE_ID_SESSION_KEY, views
from django_otp.forms import OTPAuthenticationForm, OTPTokenForm
from tests.models import SimpleDevice

WITHOUT_OTP_MIDDLEWARE = [m for m in settings.MIDDLEWARE if "django_otp" not in m]


class LoginViewTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.alice = get_user_model().objects.create_user("alice", password="alice-password")
        cls.device = SimpleDevice.objects.create(user=cls.alice, name="phone", code="123456")

    def post(self, **data: Any) -> Any:
        return self.client.post("/login/", data)

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "username": "alice",
            "password": "alice-password",
            "otp_device": self.device.persistent_id,
            "otp_token": "123456",
            **extra,
        }

    def assert_verified(self) -> None:
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)
        self.assertTrue(self.client.get("/whoami/").json()["verified"])

    def test_anonymous_user_gets_password_and_token(self) -> None:
        response = self.client.get("/login/")
        self.assertEqual(response.status_code, 200)
        self.assertIsInstance(response.context["form"], OTPAuthenticationForm)

    def test_password_and_token_log_in_verified(self) -> None:
        response = self.post(**self.credentials())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)
        self.assert_verified()

    def test_missing_token_does_not_log_in(self) -> None:
        response = self.post(**self.credentials(otp_token=""))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter your OTP token.")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_wrong_token_does_not_log_in(self) -> None:
        response = self.post(**self.credentials(otp_token="000000"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Invalid token. Please make sure you have entered it")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_authenticated_unverified_user_gets_the_token_form(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/login/")
        form = response.context["form"]
        self.assertIsInstance(form, OTPTokenForm)
        self.assertEqual(form.get_user().pk, self.alice.pk)

    def test_token_form_verifies_the_session(self) -> None:
        self.client.force_login(self.alice)
        session_key = self.client.session.session_key
        response = self.post(otp_device=self.device.persistent_id, otp_token="123456")
        self.assertEqual(response.status_code, 302)
        self.assert_verified()
        self.assertNotEqual(self.client.session.session_key, session_key)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))

    def test_token_form_rejects_a_wrong_token(self) -> None:
        self.client.force_login(self.alice)
        response = self.post(otp_device=self.device.persistent_id, otp_token="000000")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, self.client.session)

    def test_verified_user_gets_the_full_form(self) -> None:
        self.post(**self.credentials())
        response = self.client.get("/login/")
        self.assertIsInstance(response.context["form"], OTPAuthenticationForm)

    def test_safe_next_is_followed(self) -> None:
        response = self.post(**self.credentials(next="/protected/bare/"))
        self.assertEqual(response["Location"], "/protected/bare/")
        self.assertEqual(self.client.get("/protected/bare/").status_code, 200)

    def test_off_site_next_is_ignored(self) -> None:
        for target in [
            "https://evil.example/",
            "//evil.example/",
            "http:///evil.example/",
            "/\\evil.example/",
        ]:
            with self.subTest(next=target):
                self.client.logout()
                response = self.post(**self.credentials(next=target))
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)

    @override_settings(MIDDLEWARE=WITHOUT_OTP_MIDDLEWARE)
    def test_works_without_the_middleware(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/login/")
        self.assertIsInstance(response.context["form"], OTPTokenForm)
        self.post(otp_device=self.device.persistent_id, otp_token="123456")
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)
        response = self.client.get("/login/")
        self.assertIsInstance(response.context["form"], OTPAuthenticationForm)


class LoginViewClassTests(TestCase):
    def test_login_is_the_view_function(self) -> None:
        self.assertIs(views.login.view_class, views.LoginView)  # type: ignore[attr-defined]

    def test_form_classes_can_be_replaced(self) -> None:
        class CustomForm(OTPAuthenticationForm):
            pass

        request = RequestFactory().get("/login/")
        request.session = SessionStore()
        request.user = get_user_model()(username="x", pk=1)
        view = views.LoginView(otp_token_form=CustomForm)
        view.setup(request)
        form_class = view.get_form_class()
        self.assertIsInstance(form_class, functools.partial)
        self.assertIs(form_class.func, CustomForm)

    def test_authentication_form_argument_replaces_the_selection(self) -> None:
        class CustomForm(OTPAuthenticationForm):
            pass

        request = RequestFactory().get("/login/")
        request.user = get_user_model()(username="x", pk=1)
        view = views.LoginView(authentication_form=CustomForm)
        view.setup(request)
        self.assertIs(view.get_form_class(), CustomForm)
