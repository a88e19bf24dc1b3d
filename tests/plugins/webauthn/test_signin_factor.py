"""Passkeys in the two-step sign-in (otp:login): the second step of a signed-in user offers
the plugin's verify ceremony, which enforcement's wall lets through; a pending sign-in (no
session user yet) does not offer it."""

from __future__ import annotations

from django.test import override_settings

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.plugins.webauthn.base import PASSWORD, WebAuthnTestCase

NEXT = "/protected/bare/"
VERIFY = "/otp/login/verify/?next=%2Fprotected%2Fbare%2F"


class PasskeyFactorTests(WebAuthnTestCase):
    def password_step(self) -> str:
        response = self.client.post(
            f"/otp/login/?next={NEXT}", {"username": "alice", "password": PASSWORD, "next": NEXT}
        )
        return response["Location"]

    def test_a_pending_sign_in_offers_the_other_factors(self) -> None:
        _, key = self.enrolled()
        TOTPDevice.objects.create(user=self.alice, name="phone")
        assert self.password_step() == VERIFY
        page = self.client.get(VERIFY).content.decode()
        assert "Authenticator app <span" in page
        assert "data-otp-webauthn" not in page and key.persistent_id not in page
        assert self.client.get("/whoami/").json()["authenticated"] is False

    @override_settings(OTP_ENFORCE_FOR="everyone")
    def test_a_user_with_only_a_passkey_proves_it_after_the_password(self) -> None:
        authenticator, key = self.enrolled()
        assert self.password_step() == VERIFY  # signed in by the password, not verified
        assert self.client.get(NEXT)["Location"] == f"/otp/login/?next={NEXT.replace('/', '%2F')}"
        page = self.client.get(VERIFY).content.decode()
        assert 'data-otp-webauthn="verify"' in page and f'data-next="{NEXT}"' in page
        begin = self.post("verify-begin", {"next": NEXT})  # behind the wall, still reachable
        assert begin.status_code == 200, begin.data
        done = self.post("verify-complete", authenticator.assertion(begin.data))
        assert done.status_code == 200, done.data
        assert done.data == {"device": key.persistent_id, "redirect": NEXT}
        assert self.client.get(NEXT).content == b"secret"
