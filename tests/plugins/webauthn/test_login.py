"""Passwordless sign-in with a passkey: off by default, then a discoverable credential with
user verification signs its user in, verified by that passkey, without a password proof."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from django_otp import DEVICE_ID_SESSION_KEY
from tests.plugins.webauthn.authenticator import Authenticator, b64url
from tests.plugins.webauthn.base import WebAuthnTestCase


class DisabledTests(WebAuthnTestCase):
    def test_passwordless_is_off_by_default(self) -> None:
        for name in ("login-begin", "login-complete"):
            response = self.post(name)
            assert response.status_code == 404
            assert response.data["error"] == "passwordless_disabled"
        assert self.pending() is None


@override_settings(OTP_WEBAUTHN_PASSWORDLESS=True)
class LoginTests(WebAuthnTestCase):
    def setUp(self) -> None:
        self.key, self.device = self.enrolled()

    def login(self, begin: dict[str, Any] | None = None, **bend: Any) -> Any:
        options = self.post("login-begin", begin or {})
        assert options.status_code == 200, options.data
        return self.post("login-complete", self.key.assertion(options.data, **bend))

    def test_options_ask_for_any_passkey_with_user_verification(self) -> None:
        options = self.post("login-begin").data
        assert options["allowCredentials"] == []
        assert options["userVerification"] == "required"
        assert self.pending()["type"] == "login" and self.pending()["user"] is None

    def test_a_passkey_signs_its_user_in(self) -> None:
        response = self.login(begin={"next": "/assurance/"})
        assert response.status_code == 200, response.data
        assert response.data["redirect"] == "/assurance/"
        assert self.client.session[DEVICE_ID_SESSION_KEY] == self.device.persistent_id
        state = self.client.get("/assurance/").json()
        assert state["methods"] == ["webauthn"] and "pwd" not in state["amr"]
        assert state["aal"] == 3
        assert self.client.get("/whoami/").json()["verified"] is True

    def test_user_verification_is_required(self) -> None:
        response = self.login(uv=False)
        assert response.data["reason"] == "user_not_verified"
        assert "_auth_user_id" not in self.client.session
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1

    def test_a_bogus_signature_signs_nobody_in(self) -> None:
        response = self.login(bogus_signature=True)
        assert response.status_code == 403 and response.data["reason"] == "bad_signature"
        assert "_auth_user_id" not in self.client.session

    def test_a_response_without_user_handle_is_unknown(self) -> None:
        response = self.login(user_handle=None)
        assert response.status_code == 400 and response.data["error"] == "unknown_credential"
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0

    def test_a_credential_presented_with_another_users_handle_is_unknown(self) -> None:
        bobs_key, _ = self.enrolled(self.bob)
        response = self.login(user_handle=bobs_key.user_handle)
        assert response.data["error"] == "unknown_credential"
        assert "_auth_user_id" not in self.client.session

    def test_an_unknown_handle_is_unknown(self) -> None:
        assert self.login(user_handle=b"\x00" * 64).data["error"] == "unknown_credential"

    def test_an_inactive_account_cannot_sign_in(self) -> None:
        self.alice.is_active = False
        self.alice.save()
        response = self.login()
        assert response.status_code == 403 and response.data["error"] == "account_disabled"

    def test_an_account_without_usable_password_needs_passkey_only(self) -> None:
        self.alice.set_unusable_password()
        self.alice.save()
        assert self.login().data["error"] == "account_disabled"
        with override_settings(OTP_WEBAUTHN_PASSKEY_ONLY=True):
            assert self.login().status_code == 200

    def test_the_challenge_is_used_once(self) -> None:
        options = self.post("login-begin").data
        body = self.key.assertion(options)
        assert self.post("login-complete", body).status_code == 200
        self.client.logout()
        assert self.post("login-complete", body).data["error"] == "ceremony_expired"

    def test_a_verify_challenge_does_not_sign_in(self) -> None:
        self.sign_in(device=self.device)
        options = self.post("verify-begin").data
        self.client.logout()
        body = self.key.assertion(options)
        assert self.post("login-complete", body).data["error"] == "ceremony_expired"

    def test_a_foreign_redirect_is_ignored(self) -> None:
        response = self.login(begin={"next": "https://evil.example/"})
        assert response.data["redirect"] == "/accounts/profile/"

    def test_malformed_user_handle(self) -> None:
        options = self.post("login-begin").data
        body = self.key.assertion(options)
        body["response"]["userHandle"] = "!!"
        assert self.post("login-complete", body).data["field"] == "userHandle"

    def test_a_passkey_of_a_discarded_registration_is_unknown(self) -> None:
        stranger = Authenticator(user_handle=self.key.user_handle)
        options = self.post("login-begin").data
        body = stranger.assertion(options)
        assert body["id"] == b64url(stranger.credential_id)
        assert self.post("login-complete", body).data["error"] == "unknown_credential"
