"""The plugin's settings, system checks, admin, proofs, and its place in the device lists."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings

from django_otp import devices_for_user
from django_otp.checks import check_settings, check_webauthn
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice, WebAuthnUserHandle
from tests.plugins.webauthn.authenticator import b64url
from tests.plugins.webauthn.base import WebAuthnTestCase


def ids(messages: list) -> list[str]:
    return [message.id for message in messages]


@override_settings(ALLOWED_HOSTS=["localhost", "example.com"])
class CheckTests(TestCase):
    def test_the_test_settings_pass(self) -> None:
        assert check_webauthn() == []

    @override_settings(OTP_WEBAUTHN_RP_ID=None)
    def test_a_missing_rp_id(self) -> None:
        assert ids(check_webauthn()) == ["django_otp.E020"]

    def test_an_rp_id_that_is_not_a_domain(self) -> None:
        for value in ("https://example.com", "example.com:443", "Example.com", "127.0.0.1", "::1"):
            with self.subTest(value), override_settings(OTP_WEBAUTHN_RP_ID=value):
                assert ids(check_webauthn()) == ["django_otp.E021"]

    @override_settings(OTP_WEBAUTHN_RP_ID="example.com")
    def test_origins_must_belong_to_the_rp_id(self) -> None:
        with override_settings(OTP_WEBAUTHN_ORIGINS=["https://evil.example"]):
            assert ids(check_webauthn()) == ["django_otp.E022"]
        with override_settings(OTP_WEBAUTHN_ORIGINS=["https://notexample.com"]):
            assert ids(check_webauthn()) == ["django_otp.E022"]
        with override_settings(OTP_WEBAUTHN_ORIGINS=["http://login.example.com"]):
            assert ids(check_webauthn()) == ["django_otp.E023"]
        with override_settings(
            OTP_WEBAUTHN_ORIGINS=["https://example.com", "https://login.example.com:8443"]
        ):
            assert check_webauthn() == []

    @override_settings(
        OTP_WEBAUTHN_RP_ID="example.com", OTP_WEBAUTHN_ORIGINS=[], ALLOWED_HOSTS=["other.example"]
    )
    def test_allowed_hosts_must_serve_the_rp_id(self) -> None:
        assert ids(check_webauthn()) == ["django_otp.W020"]
        for hosts in (["example.com"], [".example.com"], ["www.example.com"], ["*"]):
            with self.subTest(hosts), override_settings(ALLOWED_HOSTS=hosts):
                assert check_webauthn() == []

    @override_settings(OTP_WEBAUTHN_PASSKEY_ONLY=True)
    def test_passkey_only_without_passwordless(self) -> None:
        assert ids(check_webauthn()) == ["django_otp.W021"]

    def test_malformed_values_name_the_setting(self) -> None:
        cases = {
            "OTP_WEBAUTHN_ORIGINS": ["https://example.com/", "example.com"],
            "OTP_WEBAUTHN_USER_VERIFICATION": "always",
            "OTP_WEBAUTHN_ALGORITHMS": [-7, 99],
            "OTP_WEBAUTHN_TIMEOUT": 0,
            "OTP_WEBAUTHN_PASSWORDLESS": "yes",
            "OTP_WEBAUTHN_RP_ID": 5,
        }
        for name, value in cases.items():
            with self.subTest(name), override_settings(**{name: value}):
                messages = [m for m in check_settings() if m.id == "django_otp.E002"]
                assert len(messages) == 1 and messages[0].msg.startswith(name)

    @override_settings(OTP_WEBAUTHN_ALLOWED_ORIGINS=["https://example.com"])
    def test_django_otp_webauthns_own_settings_are_left_alone(self) -> None:
        # Both packages use the OTP_WEBAUTHN_ prefix; they are installed together to move.
        assert "django_otp.W002" not in ids(check_settings())


class ModelTests(WebAuthnTestCase):
    def test_proofs_follow_the_flags(self) -> None:
        key = WebAuthnDevice(backup_eligible=False)
        assert key.proof_of(True) == (
            ("hwk", "user", "pin"),
            frozenset({"phishing_resistant", "hardware_bound", "user_verified"}),
        )
        synced = WebAuthnDevice(backup_eligible=True)
        assert synced.proof_of(False) == (("swk", "user"), frozenset({"phishing_resistant"}))

    def test_passkeys_are_devices_of_the_user(self) -> None:
        _, device = self.enrolled()
        assert list(devices_for_user(self.alice)) == [device]
        assert WebAuthnDevice.objects.by_credential_id(bytes(device.credential_id)).get() == device

    def test_a_user_handle_is_64_random_bytes_per_user(self) -> None:
        alice = WebAuthnUserHandle.for_user(self.alice)
        assert len(alice) == 64 and alice == WebAuthnUserHandle.for_user(self.alice)
        assert WebAuthnUserHandle.for_user(self.bob) != alice
        assert WebAuthnUserHandle.user_of(alice) == self.alice

    def test_a_typed_code_never_matches_and_counts_once(self) -> None:
        _, device = self.enrolled()
        assert device.verify_token("123456") is False
        device.refresh_from_db()
        assert device.throttling_failure_count == 1


class AdminTests(WebAuthnTestCase):
    def setUp(self) -> None:
        _, self.device = self.enrolled()
        admin = get_user_model().objects.create_superuser("admin", "a@x.example", "pw")
        self.client.force_login(admin)

    def test_the_list_shows_no_key_material(self) -> None:
        page = self.client.get("/admin/otp_webauthn/webauthndevice/").content.decode()
        assert "passkey (this device only)</td>" in page
        assert ">Passkey<" in page  # the default name
        change = self.client.get(
            f"/admin/otp_webauthn/webauthndevice/{self.device.pk}/change/"
        ).content.decode()
        for secret in (bytes(self.device.credential_id), bytes(self.device.public_key)):
            assert b64url(secret) not in change and secret.hex() not in change
        assert self.device.credential_id_sha256 not in change

    def test_a_key_can_be_renamed_and_removed_but_not_added(self) -> None:
        url = f"/admin/otp_webauthn/webauthndevice/{self.device.pk}/change/"
        response = self.client.post(url, {"name": "Work key", "confirmed": "on"})
        assert response.status_code == 302, response.content
        self.device.refresh_from_db()
        assert self.device.name == "Work key" and self.device.user == self.alice
        assert self.client.get("/admin/otp_webauthn/webauthndevice/add/").status_code == 403
        self.client.post(
            f"/admin/otp_webauthn/webauthndevice/{self.device.pk}/delete/", {"post": "yes"}
        )
        assert not WebAuthnDevice.objects.exists()
