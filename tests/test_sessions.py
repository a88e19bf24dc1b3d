"""Session safety of the request layer: a new session key on verification, no verification
carried over a logout or a password reset, and no redirect to another site after a login.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, TestCase, override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

PASSWORD = "correct horse battery staple"
CODES = ["a1b2c3d4", "e5f6g7h8", "jkmnpqrs", "tvwxyz23"]
#: ``next`` values that point away from this site, or are not web addresses at all.
FOREIGN_NEXT = [
    "https://evil.example/",
    "http://evil.example/path",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    " //evil.example",
    "https:evil.example",
    "https://testserver@evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


@override_settings(ROOT_URLCONF="tests.session_urls")
class SessionTestCase(TestCase):
    user: Any
    device: StaticDevice

    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = get_user_model().objects.create_user(
            "alice", email="alice@example.com", password=PASSWORD, is_staff=True
        )
        cls.device = StaticDevice.objects.create(user=cls.user, name="backup")
        for code in CODES:
            cls.device.token_set.create(token=code)

    def state(self, client: Client | None = None) -> dict[str, Any]:
        return (client or self.client).get("/whoami/").json()

    def session_key(self) -> str:
        return self.client.cookies[settings.SESSION_COOKIE_NAME].value

    def fresh_code(self) -> str:
        """A new backup code of the device, for one more login."""
        code = f"code{self.device.token_set.count():04d}"
        self.device.token_set.create(token=code)
        return code

    def full_login(self, code: str = CODES[0], **extra: Any) -> Any:
        """Log in with password and code through ``django_otp.views.LoginView``."""
        data = {
            "username": "alice",
            "password": PASSWORD,
            "otp_device": self.device.persistent_id,
            "otp_token": code,
            **extra,
        }
        return self.client.post("/login/", data)


class SessionKeyTests(SessionTestCase):
    def test_django_otp_login_cycles_the_session_key(self) -> None:
        self.client.force_login(self.user)
        before = self.session_key()
        response = self.client.post("/otp-login/", {"device": self.device.persistent_id})
        self.assertEqual(response.json(), {"device": self.device.persistent_id})
        self.assertNotEqual(self.session_key(), before)
        self.assertEqual(self.state(), {"authenticated": True, "verified": True})

    def test_session_key_seen_before_verification_is_worthless_after(self) -> None:
        self.client.force_login(self.user)
        before = self.session_key()
        self.client.post("/otp-login/", {"device": self.device.persistent_id})
        fixated = Client()
        fixated.cookies[settings.SESSION_COOKIE_NAME] = before
        self.assertEqual(self.state(fixated), {"authenticated": False, "verified": False})

    def test_token_form_cycles_the_session_key(self) -> None:
        self.client.force_login(self.user)
        before = self.session_key()
        response = self.client.post(
            "/login/", {"otp_device": self.device.persistent_id, "otp_token": CODES[0]}
        )
        self.assertEqual(response.status_code, 302)
        self.assertNotEqual(self.session_key(), before)
        self.assertEqual(self.state(), {"authenticated": True, "verified": True})

    def test_failed_verification_keeps_the_session_unverified(self) -> None:
        self.client.force_login(self.user)
        response = self.client.post(
            "/login/", {"otp_device": self.device.persistent_id, "otp_token": "zzzzzzzz"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.state(), {"authenticated": True, "verified": False})


class LogoutTests(SessionTestCase):
    def test_logout_forgets_verification(self) -> None:
        self.assertEqual(self.full_login().status_code, 302)
        self.assertEqual(self.state(), {"authenticated": True, "verified": True})
        self.client.post("/logout/")
        self.assertNotIn(DEVICE_ID_SESSION_KEY, self.client.session)
        self.assertEqual(self.state(), {"authenticated": False, "verified": False})

    def test_password_alone_after_logout_is_unverified(self) -> None:
        self.full_login()
        self.client.post("/logout/")
        self.assertTrue(self.client.login(username="alice", password=PASSWORD))
        self.assertEqual(self.state(), {"authenticated": True, "verified": False})


class PasswordResetTests(SessionTestCase):
    def reset_password(self) -> Any:
        """Follow a password reset link and set a new password (Django logs the user in)."""
        uid = urlsafe_base64_encode(force_bytes(self.user.pk))
        user = get_user_model().objects.get(pk=self.user.pk)  # the token covers last_login
        token = default_token_generator.make_token(user)
        form_url = self.client.get(f"/reset/{uid}/{token}/")["Location"]
        new_password = "another long passphrase"
        return self.client.post(
            form_url, {"new_password1": new_password, "new_password2": new_password}
        )

    def test_reset_login_is_not_verified(self) -> None:
        response = self.reset_password()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.state(), {"authenticated": True, "verified": False})

    def test_reset_in_a_verified_session_is_not_verified(self) -> None:
        self.full_login()
        self.assertEqual(self.reset_password().status_code, 302)
        self.assertNotIn(DEVICE_ID_SESSION_KEY, self.client.session)
        self.assertEqual(self.state(), {"authenticated": True, "verified": False})


class LoginViewRedirectTests(SessionTestCase):
    def test_next_on_this_site_is_followed(self) -> None:
        response = self.full_login(next="/whoami/")
        self.assertEqual(response["Location"], "/whoami/")

    def test_foreign_next_in_the_form_is_ignored(self) -> None:
        for target in FOREIGN_NEXT:
            with self.subTest(next=target):
                self.client.logout()
                code = self.fresh_code()
                response = self.full_login(code, next=target)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)

    def test_foreign_next_in_the_query_string_is_ignored(self) -> None:
        for target in FOREIGN_NEXT:
            with self.subTest(next=target):
                self.client.logout()
                code = self.fresh_code()
                data = {
                    "username": "alice",
                    "password": PASSWORD,
                    "otp_device": self.device.persistent_id,
                    "otp_token": code,
                }
                response = self.client.post(f"/login/?{urlencode({'next': target})}", data)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)

    def test_foreign_next_in_the_token_form_is_ignored(self) -> None:
        self.client.force_login(self.user)
        data = {
            "otp_device": self.device.persistent_id,
            "otp_token": CODES[0],
            "next": "https://evil.example/",
        }
        response = self.client.post("/login/", data)
        self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)


class AdminLoginRedirectTests(SessionTestCase):
    def admin_login(self, code: str, target: str) -> Any:
        data = {
            "username": "alice",
            "password": PASSWORD,
            "otp_device": self.device.persistent_id,
            "otp_token": code,
            "next": target,
        }
        return self.client.post("/otpadmin/login/", data)

    def test_next_on_this_site_is_followed(self) -> None:
        self.assertEqual(self.admin_login(CODES[0], "/otpadmin/")["Location"], "/otpadmin/")

    def test_foreign_next_is_ignored(self) -> None:
        for target in FOREIGN_NEXT:
            with self.subTest(next=target):
                self.client.logout()
                code = self.fresh_code()
                response = self.admin_login(code, target)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], settings.LOGIN_REDIRECT_URL)
