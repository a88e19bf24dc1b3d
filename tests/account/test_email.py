"""Adding an email address: a code sent to it, its cooldown, confirmation, cancellation."""

from __future__ import annotations

from unittest import mock

from django.core import mail
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from tests.account.helpers import OVERVIEW, AccountTestCase, add_totp, code

ADD = "/otp/security/email/"
CONFIRM = "/otp/security/email/confirm/"


class AddEmailTests(AccountTestCase):
    def setUp(self) -> None:
        self.sign_in(self.alice)

    def pending(self) -> EmailDevice:
        return EmailDevice.objects.get(user=self.alice, confirmed=False)

    def test_the_form_offers_the_account_address(self) -> None:
        response = self.client.get(ADD)
        self.assertContains(response, 'value="alice@x.example"')
        self.assertContains(response, 'autocomplete="email"')

    def test_a_code_is_sent_to_the_address_and_confirms_it(self) -> None:
        response = self.client.post(ADD, {"email": "work@x.example"})
        self.assertRedirects(response, CONFIRM, fetch_redirect_response=False)
        device = self.pending()
        assert (device.email, device.name) == ("work@x.example", "work@x.example")
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["work@x.example"]
        assert device.token in mail.outbox[0].body
        page = self.client.get(CONFIRM)
        self.assertContains(page, "We sent a code to <strong>work@x.example</strong>")
        self.assertContains(page, 'autocomplete="one-time-code"')
        response = self.client.post(CONFIRM, {"otp_token": device.token})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        device.refresh_from_db()
        assert device.confirmed and device.token is None
        assert self.client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        self.assertContains(self.client.get(OVERVIEW), "Your email address was added.")

    def test_an_invalid_address_is_a_field_error(self) -> None:
        response = self.client.post(ADD, {"email": "not an address"})
        self.assertContains(response, "Enter a valid email address.")
        assert not EmailDevice.objects.exists() and not mail.outbox

    def test_a_wrong_code_is_an_error_and_the_device_stays_unconfirmed(self) -> None:
        self.client.post(ADD, {"email": "work@x.example"})
        device = self.pending()
        wrong = "000000" if device.token != "000000" else "111111"
        response = self.client.post(CONFIRM, {"otp_token": wrong})
        self.assertContains(response, "Invalid token")
        assert not self.pending().confirmed

    def test_the_cooldown_is_shown_and_a_new_code_waits_for_it(self) -> None:
        with freeze_time("2026-05-01 10:00:00") as frozen:
            self.client.post(ADD, {"email": "work@x.example"})
            self.assertContains(self.client.get(CONFIRM), "new code in 10 seconds.")
            frozen.tick(4)
            response = self.client.post(CONFIRM, {"resend": "1"}, follow=True)
            self.assertContains(response, "new code in 6 seconds.")
            assert len(mail.outbox) == 1
            frozen.tick(6)
            self.assertNotContains(self.client.get(CONFIRM), "new code in")
            response = self.client.post(CONFIRM, {"resend": "1"}, follow=True)
            self.assertContains(response, "A new code was sent.")
            assert len(mail.outbox) == 2
            assert self.pending().token in mail.outbox[1].body

    def test_a_failure_to_send_is_said_and_leaves_no_device(self) -> None:
        with mock.patch.object(EmailDevice, "send_mail", side_effect=OSError("smtp down")):
            response = self.client.post(ADD, {"email": "work@x.example"})
        self.assertContains(response, "The code could not be sent. Try again later.")
        assert not EmailDevice.objects.exists()

    def test_cancel_deletes_the_pending_device(self) -> None:
        self.client.post(ADD, {"email": "work@x.example"})
        response = self.client.post(CONFIRM, {"cancel": "1"})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        assert not EmailDevice.objects.exists()

    def test_the_confirm_page_without_a_pending_device_goes_back_to_the_form(self) -> None:
        self.assertRedirects(self.client.get(CONFIRM), ADD, fetch_redirect_response=False)
        response = self.client.post(CONFIRM, {"otp_token": "123456"})
        self.assertRedirects(response, ADD, fetch_redirect_response=False)

    def test_a_new_address_replaces_the_abandoned_one(self) -> None:
        self.client.post(ADD, {"email": "first@x.example"})
        self.client.post(ADD, {"email": "second@x.example"})
        assert [d.email for d in EmailDevice.objects.filter(user=self.alice)] == [
            "second@x.example"
        ]


class WhoMayAddTests(AccountTestCase):
    def test_a_user_with_an_app_needs_a_recent_proof_of_it(self) -> None:
        phone = add_totp(self.alice)
        with freeze_time("2026-05-01 10:00:00") as frozen:
            self.sign_in(self.alice, phone)
            assert self.client.get(ADD).status_code == 200
            frozen.tick(301)
            self.assertStepUp(self.client.get(ADD), "recent_strong", ADD)
            response = self.client.post(ADD, {"email": "work@x.example"})
            self.assertStepUp(response, "recent_strong", ADD)
            assert not EmailDevice.objects.exists() and not mail.outbox
            self.step_up("recent_strong", phone, code(phone), ADD)
            response = self.client.post(ADD, {"email": "work@x.example"})
            self.assertRedirects(response, CONFIRM, fetch_redirect_response=False)
