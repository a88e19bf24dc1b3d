"""A passkey as the second factor of the two-step sign-in (otp:login): the user whose password
was accepted, not yet signed in, is the subject of the ceremony; nobody is signed in before
the key is proved, and every refusal goes through the core's accounting and the limits."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.test import Client, override_settings
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.flows import remember
from django_otp.flows.signin import PENDING_SESSION_KEY
from django_otp.internal.session_keys import PROOFS_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.flows import CEREMONY_SESSION_KEY
from tests.plugins.webauthn.authenticator import b64url
from tests.plugins.webauthn.base import PASSWORD, WebAuthnTestCase
from tests.plugins.webauthn.test_verify import caught

NEXT = "/protected/bare/"
VERIFY = "/otp/login/verify/?next=%2Fprotected%2Fbare%2F"


class PendingPasskeyTestCase(WebAuthnTestCase):
    def setUp(self) -> None:
        self.key, self.device = self.enrolled()

    def password_step(self, client: Client | None = None, username: str = "alice") -> str:
        response = (client or self.client).post(
            f"/otp/login/?next={NEXT}", {"username": username, "password": PASSWORD, "next": NEXT}
        )
        assert response.status_code == 302, response.content
        return str(response["Location"])

    def begin(self, client: Client | None = None) -> dict[str, Any]:
        options = self.post("verify-begin", {"next": NEXT}, client)
        assert options.status_code == 200, options.data
        return dict(options.data)

    def complete(self, body: dict[str, Any], client: Client | None = None) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.post("verify-complete", body, client)

    def whoami(self, client: Client | None = None) -> dict[str, Any]:
        return dict((client or self.client).get("/whoami/").json())


class PendingPasskeyTests(PendingPasskeyTestCase):
    def test_the_passkey_is_offered_first_with_the_other_methods(self) -> None:
        TOTPDevice.objects.create(user=self.alice, name="phone")
        assert self.password_step() == VERIFY
        page = self.client.get(VERIFY).content.decode()
        assert 'data-otp-webauthn="verify"' in page and f'data-next="{NEXT}"' in page
        assert page.index("data-otp-webauthn") < page.index("Use another method")
        assert "Authenticator app (phone)" in page
        assert self.whoami()["authenticated"] is False

    def test_a_passkey_only_user_is_signed_in_once_the_key_is_proved(self) -> None:
        assert self.password_step() == VERIFY
        assert self.whoami()["authenticated"] is False  # no password-only login in between
        options = self.begin()
        assert options["allowCredentials"] == [
            {"id": b64url(self.key.credential_id), "type": "public-key", "transports": ["internal"]}
        ]
        assert options["userVerification"] == "preferred"
        ceremony = self.pending()
        assert (ceremony["type"], ceremony["user"]) == ("signin", str(self.alice.pk))
        before = self.client.cookies["sessionid"].value
        logins: list[Any] = []
        user_logged_in.connect(lambda **kw: logins.append(kw), weak=False, dispatch_uid="t")
        self.addCleanup(user_logged_in.disconnect, dispatch_uid="t")
        done = self.complete(self.key.assertion(options))
        assert done.status_code == 200, done.data
        assert done.data == {"device": self.device.persistent_id, "redirect": NEXT}
        assert len(logins) == 1
        assert self.client.cookies["sessionid"].value != before
        session = self.client.session
        assert PENDING_SESSION_KEY not in session and CEREMONY_SESSION_KEY not in session
        assert session[DEVICE_ID_SESSION_KEY] == self.device.persistent_id
        assert self.whoami() == {
            "authenticated": True,
            "verified": True,
            "device": self.device.persistent_id,
            "current_request": True,
        }
        state = self.client.get("/assurance/").json()
        assert state["methods"] == ["pwd", "webauthn"] and state["aal"] == 3
        assert self.client.get(NEXT).content == b"secret"

    def test_only_the_pending_users_credentials_are_allowed(self) -> None:
        self.enrolled(self.bob)
        self.password_step()
        allowed = [item["id"] for item in self.begin()["allowCredentials"]]
        assert allowed == [b64url(self.key.credential_id)]

    def test_another_users_credential_is_refused(self) -> None:
        bobs_key, bobs_device = self.enrolled(self.bob)
        self.password_step()
        options = self.begin()
        with caught("verification_failed") as seen:
            refused = self.complete(bobs_key.assertion(options))
        assert refused.status_code == 400 and refused.data["error"] == "unknown_credential"
        assert seen == []
        bobs_device.refresh_from_db()
        assert bobs_device.throttling_failure_count == 0
        assert self.whoami()["authenticated"] is False
        assert self.pending() is None  # the challenge is gone
        assert self.complete(self.key.assertion(options)).data["error"] == "ceremony_expired"

    def test_a_visitor_without_a_pending_sign_in_is_refused(self) -> None:
        begin = self.post("verify-begin", {"next": NEXT})
        assert (begin.status_code, begin.data["error"]) == (401, "login_required")
        assert self.pending() is None
        complete = self.post("verify-complete", {})
        assert (complete.status_code, complete.data["error"]) == (401, "login_required")

    def test_an_expired_pending_sign_in_goes_back_to_the_password(self) -> None:
        with freeze_time() as frozen:
            self.password_step()
            options = self.begin()
            frozen.tick(datetime.timedelta(seconds=601))
            refused = self.complete(self.key.assertion(options))
            assert (refused.status_code, refused.data["error"]) == (401, "signin_expired")
            assert refused.data["redirect"] == "/otp/login/?expired=1&next=%2Fprotected%2Fbare%2F"
            assert refused.data["message"].startswith("Your sign-in took too long")
            session = self.client.session
            assert PENDING_SESSION_KEY not in session and CEREMONY_SESSION_KEY not in session
            self.password_step()
            frozen.tick(datetime.timedelta(seconds=601))
            begin = self.post("verify-begin", {"next": "https://evil.example/"})
            assert begin.data["error"] == "signin_expired"
            assert begin.data["redirect"] == "/otp/login/?expired=1"
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0 and self.device.sign_count == 0
        assert self.whoami()["authenticated"] is False

    def test_a_replayed_challenge_is_refused(self) -> None:
        self.password_step()
        options = self.begin()
        body = self.key.assertion(options)
        assert self.complete(body).status_code == 200
        self.client.logout()
        self.password_step()
        replayed = self.complete(body)
        assert replayed.data["error"] == "ceremony_expired"
        assert self.whoami()["authenticated"] is False

    def test_a_challenge_of_another_ceremony_type_is_refused(self) -> None:
        self.password_step()
        with override_settings(OTP_WEBAUTHN_PASSWORDLESS=True):
            options = self.post("login-begin", {}).data
        assert self.pending()["type"] == "login"
        refused = self.complete(self.key.assertion(options))
        assert refused.data["error"] == "ceremony_expired"
        assert self.whoami()["authenticated"] is False

    def test_a_bad_signature_is_counted_by_every_limit(self) -> None:
        self.password_step()
        with caught("verification_failed") as seen:
            refused = self.complete(self.key.assertion(self.begin(), bogus_signature=True))
        assert refused.status_code == 403
        assert (refused.data["error"], refused.data["reason"]) == (
            "verification_failed",
            "bad_signature",
        )
        assert [kwargs["reason"] for _, kwargs in seen] == ["bad_signature"]
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert AccountLimit.objects.get(user=self.alice).failures == 1
        assert ClientLimit.objects.get(scope="code").failures == 1
        assert self.whoami()["authenticated"] is False
        assert self.client.session[PENDING_SESSION_KEY]  # the person may try again

    @override_settings(OTP_LIMITS_CLIENT_FAILURES=1, OTP_WEBAUTHN_THROTTLE_FACTOR=0)
    def test_a_client_over_its_limit_is_told_how_long_to_wait(self) -> None:
        self.password_step()
        self.complete(self.key.assertion(self.begin(), bogus_signature=True))
        refused = self.complete(self.key.assertion(self.begin()))
        assert (refused.status_code, refused.data["error"]) == (429, "throttled")
        assert refused.data["message"] == "Too many failed attempts. Try again in 15 minutes."
        assert self.whoami()["authenticated"] is False
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1  # the key was not even checked

    def test_a_signed_in_user_still_proves_the_key_as_before(self) -> None:
        self.client.force_login(self.alice)
        options = self.begin()
        assert self.pending()["type"] == "verify"
        done = self.complete(self.key.assertion(options))
        assert done.status_code == 200 and self.whoami()["verified"] is True


@override_settings(OTP_REMEMBER_DAYS=30)
class TrustThisBrowserTests(PendingPasskeyTestCase):
    def test_the_checkbox_is_in_the_passkey_section(self) -> None:
        self.password_step()
        page = self.client.get(VERIFY).content.decode()
        section = page[page.index('data-otp-webauthn="verify"') : page.index("</section>")]
        assert 'name="otp_remember"' in section and "Trust this browser for 30 days" in section

    def test_a_trusted_browser_skips_the_key_next_time(self) -> None:
        self.password_step()
        done = self.complete({**self.key.assertion(self.begin()), "remember": True})
        assert done.status_code == 200, done.data
        browser = RememberedBrowser.objects.get(user=self.alice)
        assert browser.device_id == self.device.persistent_id
        cookie = done.cookies["otp_remember"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"

        later = Client()  # a new session of the same browser
        later.cookies["otp_remember"] = cookie.value
        assert self.password_step(later) == NEXT
        assert self.whoami(later)["verified"] is True
        assert later.get("/assurance/").json()["aal"] == 1  # a remembered proof: no factor
        proofs = later.session[PROOFS_SESSION_KEY]
        assert [(proof[0], "remembered" in proof[4]) for proof in proofs] == [
            ("pwd", False),
            ("webauthn", True),
        ]
        assert later.get("/protected/phr/")["Location"].startswith("/otp/step-up/")

    def test_a_revoked_browser_asks_for_the_key_again(self) -> None:
        self.password_step()
        done = self.complete({**self.key.assertion(self.begin()), "remember": True})
        browser = RememberedBrowser.objects.get(user=self.alice)
        assert remember.revoke(self.alice, browser.pk)
        later = Client()
        later.cookies["otp_remember"] = done.cookies["otp_remember"].value
        assert self.password_step(later) == VERIFY
        assert self.whoami(later)["authenticated"] is False

    def test_without_the_checkbox_nothing_is_remembered(self) -> None:
        self.password_step()
        done = self.complete(self.key.assertion(self.begin()))
        assert "otp_remember" not in done.cookies
        assert not RememberedBrowser.objects.exists()
