"""Passwordless sign-in on the two-step sign-in's password page (otp:login): "Sign in with a
passkey" and passkeys in the username's autofill, within the sign-in's per-client limit."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.test import override_settings

from django_otp.contrib.limits.models import ClientLimit
from django_otp.flows.signin import PENDING_SESSION_KEY
from tests.plugins.webauthn.base import PASSWORD, WebAuthnTestCase

NEXT = "/protected/bare/"


def username_field(page: str) -> str:
    found = re.search(r'<input type="text" name="username"[^>]*>', page)
    assert found is not None, page
    return found.group(0)


class PasswordPageTests(WebAuthnTestCase):
    def test_off_by_default(self) -> None:
        page = self.client.get(f"/otp/login/?next={NEXT}").content.decode()
        assert "data-otp-webauthn" not in page
        assert 'autocomplete="username"' in username_field(page)

    @override_settings(OTP_WEBAUTHN_PASSWORDLESS=True)
    def test_the_page_offers_a_passkey_and_the_autofill(self) -> None:
        page = self.client.get(f"/otp/login/?next={NEXT}").content.decode()
        assert 'autocomplete="username webauthn"' in username_field(page)
        section = page[page.index('data-otp-webauthn="login"') :]
        assert 'data-autofill="1"' in section and f'data-next="{NEXT}"' in section
        assert 'data-begin="/otp/webauthn/login/begin/"' in page
        assert "Sign in with a passkey</button>" in page
        assert page.index("Continue</button>") < page.index("Sign in with a passkey</h2>")

    @override_settings(OTP_WEBAUTHN_PASSWORDLESS=True)
    def test_a_foreign_next_is_not_offered(self) -> None:
        page = self.client.get("/otp/login/?next=https://evil.example/").content.decode()
        assert 'data-next="/accounts/profile/"' in page and "evil" not in page


@override_settings(OTP_WEBAUTHN_PASSWORDLESS=True)
class PasswordlessTests(WebAuthnTestCase):
    def setUp(self) -> None:
        self.key, self.device = self.enrolled()

    def login(self, **bend: Any) -> Any:
        options = self.post("login-begin", {"next": NEXT})
        assert options.status_code == 200, options.data
        with self.captureOnCommitCallbacks(execute=True):
            return self.post("login-complete", self.key.assertion(options.data, **bend))

    def client_failures(self) -> int:
        row = ClientLimit.objects.filter(scope="password").first()
        return row.failures if row is not None else 0

    def test_a_passkey_signs_in_once_with_the_sign_ins_finish(self) -> None:
        # A person who typed the password, then chose the passkey instead.
        self.client.post("/otp/login/", {"username": "alice", "password": PASSWORD})
        assert PENDING_SESSION_KEY in self.client.session
        logins: list[Any] = []
        user_logged_in.connect(lambda **kw: logins.append(kw), weak=False, dispatch_uid="t")
        self.addCleanup(user_logged_in.disconnect, dispatch_uid="t")
        done = self.login()
        assert done.status_code == 200 and done.data["redirect"] == NEXT
        assert len(logins) == 1 and PENDING_SESSION_KEY not in self.client.session
        assert self.client.get("/assurance/").json()["methods"] == ["webauthn"]
        assert self.client.get(NEXT).content == b"secret"

    @override_settings(OTP_WEBAUTHN_THROTTLE_FACTOR=0)
    def test_a_failure_counts_for_the_client_and_a_success_gives_its_attempt_back(
        self,
    ) -> None:
        assert self.login(bogus_signature=True).status_code == 403
        assert self.client_failures() == 1
        assert self.login(user_handle=b"\x00" * 64).data["error"] == "unknown_credential"
        assert self.client_failures() == 2
        assert self.login().status_code == 200
        assert self.client_failures() == 2

    @override_settings(OTP_LIMITS_CLIENT_FAILURES=1)
    def test_a_client_over_the_limit_is_told_how_long_to_wait(self) -> None:
        self.login(bogus_signature=True)
        refused = self.login()
        assert (refused.status_code, refused.data["error"]) == (429, "throttled")
        assert refused.data["message"] == "Too many failed attempts. Try again in 15 minutes."
        assert "_auth_user_id" not in self.client.session
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1  # the key was not even checked
        # The same limit as the password's: the password page refuses too.
        page = self.client.post("/otp/login/", {"username": "alice", "password": PASSWORD})
        assert "Too many failed attempts from your network." in page.content.decode()

    def test_an_expired_challenge_is_not_counted(self) -> None:
        options = self.post("login-begin", {}).data
        body = self.key.assertion(options)
        session = self.client.session
        session.pop("_otp_webauthn_ceremony")
        session.save()
        assert self.post("login-complete", body).data["error"] == "ceremony_expired"
        assert self.client_failures() == 0
