"""Registration (L3 7.1) through the JSON endpoints: the options, each check, bad input,
and who may add a credential. Every refusal leaves no device behind."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import override_settings
from freezegun import freeze_time

from django_otp.plugins.otp_webauthn.models import WebAuthnDevice, WebAuthnUserHandle
from django_otp.plugins.otp_webauthn.views import MAX_BODY_BYTES
from tests.plugins.webauthn.authenticator import Authenticator, b64url, unb64url
from tests.plugins.webauthn.base import URLS, WebAuthnTestCase, totp_device


class OptionsTests(WebAuthnTestCase):
    def test_signed_out_visitors_get_401(self) -> None:
        response = self.post("register-begin")
        assert response.status_code == 401
        assert response.data["error"] == "login_required"
        assert self.pending() is None

    def test_options_are_the_l3_json_form(self) -> None:
        self.sign_in()
        options = self.post("register-begin").data
        assert len(unb64url(options["challenge"])) >= 16
        assert options["rp"] == {"name": "localhost", "id": "localhost"}
        assert len(unb64url(options["user"]["id"])) == 64
        assert options["user"]["name"] == "alice"
        assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -7, -257]
        assert options["authenticatorSelection"]["residentKey"] == "preferred"
        assert options["authenticatorSelection"]["userVerification"] == "preferred"
        assert options["attestation"] == "none"
        assert options["timeout"] == 300_000
        assert options["extensions"] == {"credProps": True}
        pending = self.pending()
        assert pending["type"] == "register" and pending["challenge"] == options["challenge"]

    def test_the_user_handle_is_random_and_stays(self) -> None:
        self.sign_in()
        first = self.post("register-begin").data
        second = self.post("register-begin").data
        assert first["user"]["id"] == second["user"]["id"]
        assert first["challenge"] != second["challenge"]
        handle = WebAuthnUserHandle.objects.get(user=self.alice)
        assert handle.value == unb64url(first["user"]["id"])
        assert b"alice" not in handle.value

    @override_settings(
        OTP_WEBAUTHN_USER_VERIFICATION="required",
        OTP_WEBAUTHN_ALGORITHMS=[-7],
        OTP_WEBAUTHN_TIMEOUT=60,
        OTP_WEBAUTHN_RP_NAME="Example",
    )
    def test_options_follow_the_settings(self) -> None:
        self.sign_in()
        options = self.post("register-begin").data
        assert options["authenticatorSelection"]["userVerification"] == "required"
        assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7]
        assert options["timeout"] == 60_000
        assert options["rp"]["name"] == "Example"

    def test_existing_credentials_are_excluded(self) -> None:
        authenticator, _ = self.enrolled()
        self.sign_in()
        # Alice now has a device: she needs a verified session to add another.
        assert self.post("register-begin").status_code == 403
        self.sign_in(device=WebAuthnDevice.objects.get())
        options = self.post("register-begin").data
        assert [c["id"] for c in options["excludeCredentials"]] == [
            b64url(authenticator.credential_id)
        ]


class RegistrationTests(WebAuthnTestCase):
    def test_a_passkey_is_stored_with_what_the_authenticator_said(self) -> None:
        self.sign_in()
        authenticator = Authenticator(backup_eligible=True)
        response = self.register(authenticator, bs=True, name="  Laptop  ")
        assert response.status_code == 200, response.data
        device = WebAuthnDevice.objects.get()
        assert response.data == {"device": device.persistent_id, "name": "Laptop"}
        assert device.user == self.alice and device.confirmed
        assert bytes(device.credential_id) == authenticator.credential_id
        assert bytes(device.public_key) == authenticator.cose_key()
        assert device.sign_count == 0
        assert device.transports == ["internal"]
        assert device.aaguid == "00000000-0000-0000-0000-000000000000"
        assert device.backup_eligible and device.backup_state
        assert device.user_verified and device.discoverable is True
        assert device.created_at is not None and device.last_used_at is None
        assert self.pending() is None

    def test_a_security_key_gets_a_default_name(self) -> None:
        self.sign_in()
        response = self.register(Authenticator(), uv=False, rk=None, transports=("usb",))
        assert response.status_code == 200
        device = WebAuthnDevice.objects.get()
        assert device.name == "Security key" and device.kind == "security_key"
        assert not device.backup_eligible and not device.user_verified
        assert device.discoverable is None and device.transports == ["usb"]

    def test_synced_stored_or_built_in_credentials_are_passkeys(self) -> None:
        cases = [
            ({"be": True, "rk": None, "transports": ("usb",)}, "synced"),
            ({"rk": True, "transports": ("usb", "nfc")}, "stored on the key"),
            ({"rk": None, "transports": ("internal",)}, "built in"),
        ]
        for bend, why in cases:
            with self.subTest(why):
                WebAuthnDevice.objects.all().delete()
                self.sign_in()
                assert self.register(Authenticator(), **bend).status_code == 200
                device = WebAuthnDevice.objects.get()
                assert (device.name, device.kind) == ("Passkey", "passkey")

    def test_an_eddsa_key_is_accepted(self) -> None:
        self.sign_in()
        assert self.register(Authenticator(algorithm="EdDSA")).status_code == 200

    def test_the_first_device_needs_no_verified_session(self) -> None:
        self.sign_in()
        assert self.register(Authenticator()).status_code == 200


class RefusalTests(WebAuthnTestCase):
    """Each check of 7.1 refuses, says why, and stores nothing."""

    def setUp(self) -> None:
        self.sign_in()

    def refused(self, reason: str, **bend: Any) -> None:
        authenticator = bend.pop("authenticator", None) or Authenticator()
        response = self.register(authenticator, **bend)
        assert response.status_code == 400, response.data
        assert (response.data["error"], response.data["reason"]) == ("refused", reason)
        assert response.data["message"]
        assert not WebAuthnDevice.objects.exists()
        assert self.pending() is None

    def test_a_response_of_another_ceremony_type(self) -> None:
        self.refused("wrong_ceremony", kind="webauthn.get")

    def test_another_challenge(self) -> None:
        self.refused("challenge_mismatch", challenge=b64url(b"x" * 32))

    def test_another_origin(self) -> None:
        self.refused("origin_mismatch", origin="https://evil.example")

    def test_an_origin_that_differs_only_by_port(self) -> None:
        self.refused("origin_mismatch", origin="http://localhost:8001")

    def test_another_rp_id(self) -> None:
        self.refused("rp_id_mismatch", rp_id="evil.example")

    def test_no_user_presence(self) -> None:
        self.refused("user_not_present", up=False)

    @override_settings(OTP_WEBAUTHN_USER_VERIFICATION="required")
    def test_no_user_verification_where_required(self) -> None:
        self.refused("user_not_verified", uv=False)

    @override_settings(OTP_WEBAUTHN_ALGORITHMS=[-257])
    def test_an_algorithm_outside_the_allow_list(self) -> None:
        self.refused("algorithm_not_allowed")

    def test_backed_up_but_not_backup_eligible(self) -> None:
        self.refused("backup_flags", be=False, bs=True)

    def test_an_attestation_format_that_does_not_verify(self) -> None:
        self.refused("attestation_invalid", fmt="packed")

    def test_a_credential_id_registered_to_someone_else(self) -> None:
        authenticator, _ = self.enrolled(self.bob)
        self.sign_in()
        response = self.register(authenticator)
        assert response.status_code == 400
        assert response.data["error"] == "credential_exists"
        assert WebAuthnDevice.objects.get().user == self.bob


class ChallengeTests(WebAuthnTestCase):
    def setUp(self) -> None:
        self.sign_in()

    def test_a_challenge_is_used_once(self) -> None:
        begin = self.post("register-begin").data
        body = Authenticator().register(begin)
        assert self.post("register-complete", body).status_code == 200
        again = self.post("register-complete", body)
        assert again.status_code == 400 and again.data["error"] == "ceremony_expired"
        assert WebAuthnDevice.objects.count() == 1

    def test_a_failed_attempt_uses_the_challenge_up(self) -> None:
        begin = self.post("register-begin").data
        authenticator = Authenticator()
        assert self.post("register-complete", authenticator.register(begin, up=False)).data[
            "reason"
        ] == ("user_not_present")
        retry = self.post("register-complete", authenticator.register(begin))
        assert retry.data["error"] == "ceremony_expired"
        assert not WebAuthnDevice.objects.exists()

    def test_a_challenge_expires(self) -> None:
        begin = self.post("register-begin").data
        body = Authenticator().register(begin)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(seconds=301)):
            response = self.post("register-complete", body)
        assert response.data["error"] == "ceremony_expired"
        assert not WebAuthnDevice.objects.exists()

    def test_a_challenge_is_bound_to_the_ceremony_type(self) -> None:
        _, device = self.enrolled()
        self.sign_in(device=device)
        options = self.post("verify-begin").data
        options["user"] = {"id": b64url(b"handle")}
        response = self.post("register-complete", Authenticator().register(options))
        assert response.data["error"] == "ceremony_expired"
        assert WebAuthnDevice.objects.count() == 1

    def test_a_challenge_is_bound_to_the_session(self) -> None:
        begin = self.post("register-begin").data
        other = self.client_class()
        other.cookies.clear()
        self.client, mine = other, self.client
        self.sign_in()
        response = self.post("register-complete", Authenticator().register(begin))
        assert response.data["error"] == "ceremony_expired"
        assert not WebAuthnDevice.objects.exists()
        assert self.pending(mine)["challenge"] == begin["challenge"]


class BadInputTests(WebAuthnTestCase):
    """Malformed bodies get 400 with a JSON error; nothing is stored."""

    def setUp(self) -> None:
        self.sign_in()
        self.begin = self.post("register-begin").data
        self.body = Authenticator().register(self.begin)

    def send(self, data: Any, content_type: str = "application/json") -> Any:
        response = self.client.post(URLS["register-complete"], data, content_type=content_type)
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/json"
        assert not WebAuthnDevice.objects.exists()
        return response.json()

    def test_wrong_content_type(self) -> None:
        data = self.send(json.dumps(self.body), content_type="text/plain")
        assert data == {
            "error": "malformed",
            "field": "content_type",
            "message": data["message"],
        }

    def test_form_encoding(self) -> None:
        response = self.client.post(URLS["register-complete"], {"id": "x"})
        assert response.status_code == 400 and response.json()["field"] == "content_type"

    def test_invalid_json(self) -> None:
        assert self.send("{not json")["field"] == "body"

    def test_invalid_utf8(self) -> None:
        assert self.send(b"\xff\xfe")["field"] == "body"

    def test_not_an_object(self) -> None:
        assert self.send("[1, 2]")["field"] == "body"

    def test_oversized_body(self) -> None:
        padding = "x" * MAX_BODY_BYTES
        assert self.send(json.dumps({**self.body, "pad": padding}))["field"] == "body_too_large"

    def test_missing_field(self) -> None:
        del self.body["response"]["attestationObject"]
        assert self.send(json.dumps(self.body))["field"] == "response.attestationObject"

    def test_malformed_base64url(self) -> None:
        self.body["response"]["clientDataJSON"] = "not base64url!"
        assert self.send(json.dumps(self.body))["field"] == "clientDataJSON"

    def test_base64_with_padding_is_not_base64url(self) -> None:
        self.body["rawId"] += "=="
        assert self.send(json.dumps(self.body))["field"] == "rawId"

    def test_malformed_cbor(self) -> None:
        self.body["response"]["attestationObject"] = b64url(b"\xff\x00garbage")
        assert self.send(json.dumps(self.body))["field"] == "attestationObject"

    def test_malformed_client_data(self) -> None:
        self.body["response"]["clientDataJSON"] = b64url(b'{"type": 1')
        assert self.send(json.dumps(self.body))["field"] == "clientDataJSON"

    def test_id_and_raw_id_differ(self) -> None:
        self.body["id"] = b64url(b"other")
        assert self.send(json.dumps(self.body))["field"] == "id"

    def test_a_credential_id_longer_than_1023_bytes(self) -> None:
        long_id = b64url(b"x" * 1024)
        self.body.update(id=long_id, rawId=long_id)
        assert self.send(json.dumps(self.body))["field"] == "id"

    def test_get_is_not_allowed(self) -> None:
        assert self.client.get(URLS["register-begin"]).status_code == 405


class EnrolmentProtectionTests(WebAuthnTestCase):
    """GHSA-8r76-c459-ww98: a password alone never adds a key to an account with devices."""

    def setUp(self) -> None:
        self.phone = totp_device(self.alice)

    def test_an_unverified_session_is_sent_to_step_up(self) -> None:
        self.sign_in()
        response = self.post("register-begin")
        assert response.status_code == 403
        assert response.data["error"] == "verification_required"
        assert response.data["step_up_url"].startswith("/otp/step-up/?policy=recent")
        assert self.pending() is None

    @override_settings(OTP_WEBAUTHN_TIMEOUT=900)
    def test_complete_is_refused_once_the_verification_is_old(self) -> None:
        self.sign_in(device=self.phone)
        begin = self.post("register-begin").data
        with freeze_time(datetime.datetime.now() + datetime.timedelta(minutes=6)):
            response = self.post("register-complete", Authenticator().register(begin))
        assert response.status_code == 403
        assert response.data["error"] == "verification_required"
        assert not WebAuthnDevice.objects.exists()

    def test_a_verification_older_than_five_minutes_is_not_enough(self) -> None:
        past = datetime.datetime.now() - datetime.timedelta(minutes=6)
        with freeze_time(past):
            self.sign_in(device=self.phone)
        response = self.post("register-begin")
        assert response.status_code == 403
        assert "policy=recent" in response.data["step_up_url"]

    def test_a_recent_verification_may_add_a_key(self) -> None:
        self.sign_in(device=self.phone)
        assert self.register(Authenticator()).status_code == 200
