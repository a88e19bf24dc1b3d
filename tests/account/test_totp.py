"""Adding an authenticator app: the QR code and key, confirmation, abandonment, the gate."""

from __future__ import annotations

import base64
import re
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

from django.test import override_settings
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.account.helpers import (
    OVERVIEW,
    AccountTestCase,
    add_backup,
    add_email,
    add_totp,
    code,
)

ADD = "/otp/security/app/"


class AddAppTests(AccountTestCase):
    def setUp(self) -> None:
        self.sign_in(self.alice)

    def pending(self) -> TOTPDevice:
        return TOTPDevice.objects.get(user=self.alice, confirmed=False)

    def test_the_page_shows_qr_code_key_and_link_of_an_unconfirmed_device(self) -> None:
        response = self.client.get(ADD)
        page = response.content.decode()
        device = self.pending()
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
        assert "<script" not in page and " style=" not in page
        secret = re.search(r'<code class="otp-secret">([A-Z2-7 ]+)</code>', page).group(1)
        assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
        assert all(len(group) == 4 for group in secret.split(" "))
        uri = re.search(r'href="(otpauth://[^"]+)"', page).group(1).replace("&amp;", "&")
        assert uri == device.config_url
        assert parse_qs(urlsplit(uri).query)["secret"] == [secret.replace(" ", "")]
        assert unquote(urlsplit(uri).path) == "/alice"
        self.assertContains(response, 'autocomplete="one-time-code"')
        self.assertContains(response, 'inputmode="numeric"')

    def test_a_reload_shows_the_same_device(self) -> None:
        self.client.get(ADD)
        first = self.pending()
        self.client.get(ADD)
        assert list(TOTPDevice.objects.filter(user=self.alice)) == [first]

    def test_a_valid_code_confirms_names_and_verifies(self) -> None:
        self.client.get(ADD)
        device = self.pending()
        response = self.client.post(ADD, {"otp_token": code(device), "name": "  My phone "})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        device.refresh_from_db()
        assert device.confirmed and device.name == "My phone"
        assert self.client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        page = self.client.get(OVERVIEW).content.decode()
        assert "Your authenticator app was added." in page and "My phone" in page

    def test_without_a_name_the_default_one_stays(self) -> None:
        self.client.get(ADD)
        device = self.pending()
        self.client.post(ADD, {"otp_token": code(device), "name": ""})
        device.refresh_from_db()
        assert device.confirmed and device.name == "Authenticator app"

    def test_a_wrong_code_is_an_error_next_to_the_field(self) -> None:
        self.client.get(ADD)
        device = self.pending()
        wrong = str((int(code(device)) + 1) % 10**6).zfill(6)
        response = self.client.post(ADD, {"otp_token": wrong, "name": ""})
        assert response.status_code == 200
        page = response.content.decode()
        errors = re.search(
            r'<div class="otp-field-errors" id="id_otp_token_errors">(.*?)</div>', page, re.S
        )
        assert errors, page
        assert "Invalid token" in errors.group(1)
        assert 'aria-invalid="true"' in page and 'aria-describedby="id_otp_token_errors"' in page
        device.refresh_from_db()
        assert not device.confirmed and device.throttling_failure_count == 1
        assert DEVICE_ID_SESSION_KEY not in self.client.session

    def test_an_empty_code_is_a_field_error(self) -> None:
        self.client.get(ADD)
        response = self.client.post(ADD, {"otp_token": "", "name": ""})
        self.assertContains(response, "This field is required.")
        assert not self.pending().confirmed

    def test_an_abandoned_enrolment_leaves_no_confirmed_device(self) -> None:
        self.client.get(ADD)
        first = self.pending()
        self.sign_in(self.alice)  # another session, the first abandoned
        self.client.get(ADD)
        second = self.pending()
        assert second.pk != first.pk
        assert not TOTPDevice.objects.filter(pk=first.pk).exists()
        assert not TOTPDevice.objects.filter(user=self.alice, confirmed=True).exists()
        self.assertContains(self.client.get(OVERVIEW), "protected by your password alone")

    def test_cancel_deletes_the_pending_device(self) -> None:
        self.client.get(ADD)
        response = self.client.post(ADD, {"cancel": "1"})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        assert not TOTPDevice.objects.filter(user=self.alice).exists()

    def test_a_post_without_a_pending_device_starts_again(self) -> None:
        response = self.client.post(ADD, {"otp_token": "123456"})
        self.assertRedirects(response, ADD, fetch_redirect_response=False)

    def test_without_a_qr_library_the_page_says_so_and_keeps_the_key(self) -> None:
        missing = ModuleNotFoundError("no segno", name="segno")
        with mock.patch("django_otp.qr._load_library", side_effect=missing):
            response = self.client.get(ADD)
        self.assertContains(response, "The QR code cannot be shown")
        self.assertContains(response, 'class="otp-secret"')
        assert "<svg" not in response.content.decode()

    def test_without_the_plugin_the_page_is_not_found(self) -> None:
        with mock.patch("django_otp.account.totp.apps.is_installed", return_value=False):
            assert self.client.get(ADD).status_code == 404
        with mock.patch("django_otp.account.email.apps.is_installed", return_value=False):
            assert self.client.get("/otp/security/email/").status_code == 404
        assert not TOTPDevice.objects.exists()

    @override_settings(OTP_TOTP_ISSUER="Example")
    def test_the_issuer_is_in_the_uri(self) -> None:
        self.client.get(ADD)
        assert "issuer=Example" in self.pending().config_url


class WhoMayAddTests(AccountTestCase):
    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(ADD)
        self.assertRedirects(response, f"/login/?next={ADD}", fetch_redirect_response=False)
        assert not TOTPDevice.objects.exists()

    def test_an_unverified_session_of_a_user_with_a_device_steps_up_first(self) -> None:
        add_totp(self.alice)
        self.sign_in(self.alice)
        self.assertStepUp(self.client.get(ADD), "recent_strong", ADD)
        assert TOTPDevice.objects.filter(user=self.alice).count() == 1

    def test_an_emailed_code_is_not_enough_when_the_user_has_an_app(self) -> None:
        add_totp(self.alice)
        mail = add_email(self.alice)
        self.sign_in(self.alice, mail)
        self.assertStepUp(self.client.get(ADD), "recent_strong", ADD)

    def test_the_step_up_offers_only_strong_enough_devices(self) -> None:
        add_totp(self.alice, "Phone")
        mail = add_email(self.alice, "Mail")
        add_backup(self.alice, "Paper")
        self.sign_in(self.alice, mail)
        page = self.client.get(f"/otp/step-up/?policy=recent_strong&next={ADD}").content.decode()
        assert ">Phone<" in page and ">Mail<" not in page and ">Paper<" not in page

    def test_after_step_up_with_the_app_a_second_app_can_be_added(self) -> None:
        phone = add_totp(self.alice)
        mail = add_email(self.alice)
        self.sign_in(self.alice, mail)
        response = self.step_up("recent_strong", phone, code(phone), ADD)
        self.assertRedirects(response, ADD, fetch_redirect_response=False)
        assert self.client.get(ADD).status_code == 200

    def test_an_emailed_code_suffices_when_it_is_the_strongest_factor(self) -> None:
        mail = add_email(self.alice)
        self.sign_in(self.alice, mail)
        assert self.client.get(ADD).status_code == 200

    def test_a_session_that_went_stale_while_typing_steps_up_and_keeps_the_device(self) -> None:
        phone = add_totp(self.alice)
        with freeze_time("2026-05-01 10:00:00") as frozen:
            self.sign_in(self.alice, phone)
            self.client.get(ADD)
            pending = TOTPDevice.objects.get(user=self.alice, confirmed=False)
            frozen.tick(600)
            response = self.client.post(ADD, {"otp_token": code(pending)})
            self.assertStepUp(response, "recent_strong", ADD)
            assert "resubmit=1" in response["Location"]
            pending.refresh_from_db()
            assert not pending.confirmed
            self.step_up("recent_strong", phone, code(phone), ADD)
            frozen.tick(30)
            response = self.client.post(ADD, {"otp_token": code(pending)})
            self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
