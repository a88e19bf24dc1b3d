"""Authentication (L3 7.2) as a second factor and for step-up: each check goes through the
core's verification path, so a refusal is counted once, throttled, and signalled."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import override_settings
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY, signals
from django_otp.assurance.state import state_for
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice, WebAuthnUserHandle
from tests.plugins.webauthn.authenticator import b64url
from tests.plugins.webauthn.base import WebAuthnTestCase


@contextmanager
def caught(*names: str) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collect the named signals of django_otp.signals sent meanwhile (after commit)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    receivers = []
    for name in names:

        def receiver(sender: Any, name: str = name, **kwargs: Any) -> None:
            seen.append((name, kwargs))

        receivers.append((getattr(signals, name), receiver))
        getattr(signals, name).connect(receiver, weak=False)
    try:
        yield seen
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver)


class VerifyTestCase(WebAuthnTestCase):
    authenticator_options: dict[str, Any] = {}

    def setUp(self) -> None:
        self.key, self.device = self.enrolled(**self.authenticator_options)
        self.sign_in()

    def verify(self, begin: dict[str, Any] | None = None, **bend: Any) -> Any:
        options = self.post("verify-begin", begin or {})
        assert options.status_code == 200, options.data
        with self.captureOnCommitCallbacks(execute=True):
            return self.post("verify-complete", self.key.assertion(options.data, **bend))

    def session_device(self) -> Any:
        return self.client.session.get(DEVICE_ID_SESSION_KEY)


class VerifyTests(VerifyTestCase):
    def test_options_list_the_users_credentials(self) -> None:
        options = self.post("verify-begin").data
        assert options["rpId"] == "localhost"
        assert options["userVerification"] == "preferred"
        assert options["allowCredentials"] == [
            {"id": b64url(self.key.credential_id), "type": "public-key", "transports": ["internal"]}
        ]
        assert self.pending()["type"] == "verify"

    def test_a_user_without_keys_is_told_so(self) -> None:
        self.sign_in(self.bob)
        response = self.post("verify-begin")
        assert response.status_code == 400 and response.data["error"] == "no_credentials"

    def test_signed_out_visitors_get_401(self) -> None:
        self.client.logout()
        assert self.post("verify-begin").status_code == 401
        assert self.post("verify-complete", {}).status_code == 401

    def test_success_verifies_the_session_with_the_passkeys_proof(self) -> None:
        with caught("verification_succeeded", "verification_failed") as seen:
            response = self.verify(begin={"next": "/protected/bare/"})
        assert response.status_code == 200, response.data
        assert response.data == {
            "device": self.device.persistent_id,
            "redirect": "/protected/bare/",
        }
        assert self.session_device() == self.device.persistent_id
        assert [name for name, _ in seen] == ["verification_succeeded"]
        self.device.refresh_from_db()
        assert self.device.sign_count == 1 and self.device.last_used_at is not None
        state = self.client.get("/assurance/").json()
        assert state["methods"] == ["pwd", "webauthn"]
        assert state["amr"] == ["pwd", "hwk", "user", "pin"]
        assert state["aal"] == 3

    def test_a_foreign_next_is_ignored(self) -> None:
        response = self.verify(begin={"next": "https://evil.example/"})
        assert response.data["redirect"] == "/accounts/profile/"

    def test_without_user_verification_the_proof_is_one_factor(self) -> None:
        self.sign_in(password=False)
        assert self.verify(uv=False).status_code == 200
        state = self.client.get("/assurance/").json()
        assert state["amr"] == ["hwk", "user"] and state["aal"] == 1

    def test_counters_that_stay_at_zero_are_accepted(self) -> None:
        self.key.counts = False
        assert self.verify().status_code == 200
        assert self.verify().status_code == 200
        self.device.refresh_from_db()
        assert self.device.sign_count == 0

    def test_a_credential_of_someone_else_is_unknown(self) -> None:
        bobs_key, bobs_device = self.enrolled(self.bob)
        self.sign_in()
        options = self.post("verify-begin").data
        response = self.post("verify-complete", bobs_key.assertion(options))
        assert response.status_code == 400 and response.data["error"] == "unknown_credential"
        bobs_device.refresh_from_db()
        assert bobs_device.throttling_failure_count == 0 and bobs_device.sign_count == 0
        assert self.session_device() is None

    def test_the_challenge_is_used_once(self) -> None:
        options = self.post("verify-begin").data
        body = self.key.assertion(options)
        assert self.post("verify-complete", body).status_code == 200
        again = self.post("verify-complete", body)
        assert again.status_code == 400 and again.data["error"] == "ceremony_expired"

    def test_the_challenge_expires(self) -> None:
        options = self.post("verify-begin").data
        with freeze_time(datetime.datetime.now() + datetime.timedelta(seconds=301)):
            response = self.post("verify-complete", self.key.assertion(options))
        assert response.data["error"] == "ceremony_expired"
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0

    def test_a_registration_challenge_does_not_verify(self) -> None:
        self.sign_in(device=self.device)
        options = self.post("register-begin").data
        self.sign_in()
        assert self.post("verify-complete", self.key.assertion(options)).data["error"] == (
            "ceremony_expired"
        )

    def test_malformed_assertions_are_not_counted(self) -> None:
        options = self.post("verify-begin").data
        body = self.key.assertion(options)
        body["response"]["authenticatorData"] = b64url(b"short")
        response = self.post("verify-complete", body)
        assert response.status_code == 400 and response.data["field"] == "authenticatorData"
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0
        assert self.pending() is None

    def test_a_missing_signature_is_malformed(self) -> None:
        options = self.post("verify-begin").data
        body = self.key.assertion(options)
        del body["response"]["signature"]
        assert self.post("verify-complete", body).data["field"] == "response.signature"


class RefusalTests(VerifyTestCase):
    """Each check of 7.2: refused, counted once, signalled with its reason."""

    def refused(self, reason: str, **bend: Any) -> list[tuple[str, dict[str, Any]]]:
        self.device.refresh_from_db()
        used, verified_by = self.device.last_used_at, self.session_device()
        with caught("verification_failed", "verification_succeeded", "device_cloned") as seen:
            response = self.verify(**bend)
        assert response.status_code == 403, response.data
        assert (response.data["error"], response.data["reason"]) == ("verification_failed", reason)
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert self.device.last_used_at == used
        assert self.session_device() == verified_by
        assert seen[0][0] == "verification_failed" and seen[0][1]["reason"] == reason
        return seen

    def test_no_user_presence(self) -> None:
        self.refused("user_not_present", up=False)

    @override_settings(OTP_WEBAUTHN_USER_VERIFICATION="required")
    def test_no_user_verification_where_the_setting_requires_it(self) -> None:
        assert self.post("verify-begin").data["userVerification"] == "required"
        self.refused("user_not_verified", uv=False)

    def test_a_bogus_signature(self) -> None:
        self.refused("bad_signature", bogus_signature=True)

    def test_another_origin(self) -> None:
        self.refused("origin_mismatch", origin="https://evil.example")

    def test_inside_a_frame_of_another_site(self) -> None:
        self.refused("cross_origin", cross_origin=True)

    def test_another_rp_id(self) -> None:
        self.refused("rp_id_mismatch", rp_id="evil.example")

    def test_another_challenge(self) -> None:
        self.refused("challenge_mismatch", challenge=b64url(b"y" * 32))

    def test_a_registration_response_type(self) -> None:
        self.refused("wrong_ceremony", kind="webauthn.create")

    def test_a_device_bound_key_turned_synced(self) -> None:
        self.refused("backup_eligibility_changed", be=True)

    def test_backed_up_without_eligibility(self) -> None:
        self.refused("backup_flags", bs=True)

    def test_the_user_handle_of_another_account(self) -> None:
        WebAuthnUserHandle.for_user(self.bob)
        self.refused("user_handle_mismatch", user_handle=WebAuthnUserHandle.for_user(self.bob))

    def test_a_cloned_credential_is_refused_with_a_signal(self) -> None:
        assert self.verify(count=7).status_code == 200
        seen = self.refused("sign_count_regression", count=5)
        assert seen[1][0] == "device_cloned"
        assert (seen[1][1]["stored_count"], seen[1][1]["received_count"]) == (7, 5)
        self.device.refresh_from_db()
        assert self.device.sign_count == 7

    def test_a_replayed_counter_is_a_regression_too(self) -> None:
        assert self.verify(count=3).status_code == 200
        self.refused("sign_count_regression", count=3)


class ThrottlingTests(VerifyTestCase):
    def test_failures_throttle_the_key_as_any_device(self) -> None:
        assert self.verify(bogus_signature=True).status_code == 403
        with caught("verification_throttled", "verification_failed") as seen:
            response = self.verify()
        assert response.status_code == 429 and response.data["error"] == "throttled"
        assert [name for name, _ in seen] == ["verification_throttled"]
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1 and self.device.sign_count == 0

    def test_success_after_the_delay_resets_the_count(self) -> None:
        assert self.verify(bogus_signature=True).status_code == 403
        with freeze_time(datetime.datetime.now() + datetime.timedelta(seconds=2)):
            assert self.verify().status_code == 200
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0

    @override_settings(OTP_LOCKOUT_FAILURES=1)
    def test_the_lockout_signal(self) -> None:
        with caught("device_locked") as seen:
            self.verify(up=False)
        assert seen and seen[0][1]["failure_count"] == 1


class SyncedPasskeyTests(VerifyTestCase):
    authenticator_options = {"backup_eligible": True}

    def test_a_synced_passkey_reaches_aal2_at_most(self) -> None:
        self.sign_in(password=False)
        assert self.verify(bs=True).status_code == 200
        state = self.client.get("/assurance/").json()
        assert state["amr"] == ["swk", "user", "pin"] and state["aal"] == 2
        self.device.refresh_from_db()
        assert self.device.backup_state


@override_settings(OTP_POLICIES={"passkey_mfa": {"methods": ["webauthn"], "factors": 2}})
class PolicyTests(VerifyTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.sign_in(password=False)  # signed in by other means: the key must make two factors

    def test_a_policy_that_needs_two_factors_asks_for_user_verification(self) -> None:
        assert self.post("verify-begin", {"policy": "default"}).data["userVerification"] == (
            "preferred"
        )
        options = self.post("verify-begin", {"policy": "passkey_mfa"}).data
        assert options["userVerification"] == "required"
        with caught("verification_failed") as seen, self.captureOnCommitCallbacks(execute=True):
            response = self.post("verify-complete", self.key.assertion(options, uv=False))
        assert response.data["reason"] == "user_not_verified"
        assert seen[0][1]["reason"] == "user_not_verified"

    def test_step_up_with_a_passkey_meets_the_policy(self) -> None:
        with caught("step_up_succeeded") as seen:
            response = self.verify(begin={"policy": "passkey_mfa", "next": "/assurance/"})
        assert response.status_code == 200 and response.data["redirect"] == "/assurance/"
        assert seen[0][1]["policy"] == "passkey_mfa"
        request = self.client.get("/assurance/").wsgi_request
        assert state_for(request).satisfies("passkey_mfa")

    def test_an_unknown_policy_is_ignored(self) -> None:
        options = self.post("verify-begin", {"policy": "nope"}).data
        assert options["userVerification"] == "preferred"
        assert self.pending()["policy"] is None


class StepUpPageTests(VerifyTestCase):
    def test_the_step_up_page_offers_passkeys_for_phishing_resistance(self) -> None:
        response = self.client.get("/otp/step-up/?policy=phishing_resistant&next=/protected/phr/")
        page = response.content.decode()
        assert 'data-otp-webauthn="verify"' in page
        assert 'data-policy="phishing_resistant"' in page
        assert 'data-next="/protected/phr/"' in page
        assert "otp_webauthn/webauthn.mjs" in page
        assert "<script>" not in page
        assert self.device.persistent_id not in page  # not in the code form's list
        assert "None of your devices" not in page

    def test_then_the_protected_page_opens(self) -> None:
        assert self.client.get("/protected/phr/").status_code == 302
        response = self.verify(begin={"policy": "phishing_resistant", "next": "/protected/phr/"})
        assert response.data["redirect"] == "/protected/phr/"
        assert self.client.get("/protected/phr/").content == b"secret"

    def test_typed_code_forms_do_not_list_passkeys(self) -> None:
        self.client.logout()
        page = self.client.post(
            "/login/", {"username": "alice", "password": "correct horse", "otp_token": "123456"}
        ).content.decode()
        assert self.device.persistent_id not in page
        assert WebAuthnDevice.objects.get().throttling_failure_count == 0
