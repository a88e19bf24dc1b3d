"""Adding a passkey or security key on the account pages, and who may add, rename or remove
one: the page and the plugin's endpoints follow the same rule (GHSA-8r76-c459-ww98)."""

from __future__ import annotations

import datetime
import json
from typing import Any
from unittest import mock

from django.core import mail
from django.dispatch import Signal
from django.test import override_settings
from django.utils import timezone

from django_otp import signals
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.account.helpers import (
    OVERVIEW,
    AccountTestCase,
    add_email,
    add_passkey,
    add_totp,
    code,
    device_url,
)
from tests.plugins.webauthn.authenticator import Authenticator

PAGE = "/otp/security/passkey/"
ADDED = "/otp/security/passkey/added/"


class PasskeyTestCase(AccountTestCase):
    def post_json(self, url: str, body: Any = None) -> Any:
        response = self.client.post(url, json.dumps(body or {}), content_type="application/json")
        response.data = response.json()
        return response

    def register(self, name: str = "") -> Any:
        """The ceremony as the page's module runs it: begin, the authenticator, complete."""
        begin = self.post_json("/otp/webauthn/register/begin/")
        if begin.status_code != 200:
            return begin
        body = Authenticator().register(begin.data)
        if name:
            body["name"] = name
        return self.post_json("/otp/webauthn/register/complete/", body)


class AddPasskeyPageTests(PasskeyTestCase):
    def test_the_overview_links_to_it(self) -> None:
        self.sign_in(self.alice)
        response = self.client.get(OVERVIEW)
        self.assertContains(response, f'<a class="otp-button" href="{PAGE}">')
        self.assertContains(response, "Add a passkey or security key")

    def test_a_first_key_needs_only_a_signed_in_session(self) -> None:
        self.sign_in(self.alice)
        response = self.client.get(PAGE)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-otp-webauthn="register"' in page
        assert f'data-next="{ADDED}"' in page
        assert 'src="/static/otp_webauthn/webauthn.mjs"' in page
        assert "<script>" not in page  # no inline script
        assert self.register("Laptop").status_code == 200
        assert WebAuthnDevice.objects.get(user=self.alice).name == "Laptop"

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(PAGE)
        self.assertRedirects(response, f"/login/?next={PAGE}", fetch_redirect_response=False)

    def test_without_the_plugin_the_page_is_not_found(self) -> None:
        self.sign_in(self.alice)
        with mock.patch("django_otp.account.passkeys.apps.is_installed", return_value=False):
            assert self.client.get(PAGE).status_code == 404
            assert self.client.get(ADDED).status_code == 404

    def test_the_end_of_the_ceremony_names_the_new_key_on_the_overview(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        assert self.register("Laptop").status_code == 200
        response = self.client.get(ADDED, follow=True)
        self.assertRedirects(response, OVERVIEW)
        self.assertContains(response, "“Laptop” was added.")
        self.assertContains(response, '<h3 class="otp-device-name">Laptop</h3>')

    def test_after_a_first_key_the_overview_asks_for_it(self) -> None:
        self.sign_in(self.alice)
        assert self.register("Laptop").status_code == 200
        self.assertStepUp(self.client.get(ADDED), "default", ADDED)
        page = self.client.get(ADDED, follow=True).content.decode()
        assert 'data-otp-webauthn="verify"' in page and "was added" not in page

    def test_only_a_key_of_the_user_added_just_now_is_named(self) -> None:
        phone = add_totp(self.alice)
        old = add_passkey(self.alice, "Old key")
        WebAuthnDevice.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=1)
        )
        add_passkey(self.bob, "Bob's key")
        self.sign_in(self.alice, phone)
        response = self.client.get(ADDED, follow=True)
        assert response.status_code == 200
        self.assertNotContains(response, "was added.")


class WhoMayAddAKeyTests(PasskeyTestCase):
    """The page and the plugin's endpoints ask the same question, so they agree."""

    def test_a_stale_session_steps_up_with_the_strongest_class(self) -> None:
        phone = add_totp(self.alice)
        past = timezone.now() - datetime.timedelta(minutes=10)
        with mock.patch("time.time", return_value=past.timestamp()):
            self.sign_in(self.alice, phone)
        self.assertStepUp(self.client.get(PAGE), "recent_strong", PAGE)
        refused = self.post_json("/otp/webauthn/register/begin/")
        assert refused.status_code == 403
        assert "policy=recent_strong" in refused.data["step_up_url"]

    def test_a_session_proved_by_an_emailed_code_cannot_add_a_key_beside_an_app(self) -> None:
        add_totp(self.alice)
        mail_device = add_email(self.alice)
        self.sign_in(self.alice, mail_device)
        self.assertStepUp(self.client.get(PAGE), "recent_strong", PAGE)
        refused = self.register()
        assert refused.status_code == 403 and refused.data["error"] == "verification_required"
        assert not WebAuthnDevice.objects.exists()

    def test_an_app_cannot_add_a_second_key_to_an_account_with_a_passkey(self) -> None:
        phone = add_totp(self.alice)
        add_passkey(self.alice, "Laptop")
        self.sign_in(self.alice, phone)
        self.assertStepUp(self.client.get(PAGE), "recent_phishing_resistant", PAGE)
        refused = self.register()
        assert refused.status_code == 403
        assert "policy=recent_phishing_resistant" in refused.data["step_up_url"]
        assert WebAuthnDevice.objects.filter(user=self.alice).count() == 1

    def test_a_recent_passkey_may_add_another(self) -> None:
        laptop = add_passkey(self.alice, "Laptop")
        self.sign_in(self.alice, laptop)
        assert self.client.get(PAGE).status_code == 200
        assert self.register("Phone").status_code == 200
        assert WebAuthnDevice.objects.filter(user=self.alice).count() == 2

    def test_the_step_up_page_offers_the_passkey_ceremony(self) -> None:
        phone = add_totp(self.alice)
        add_passkey(self.alice, "Laptop")
        self.sign_in(self.alice, phone)
        response = self.client.get(PAGE, follow=True)
        self.assertContains(response, 'data-otp-webauthn="verify"')
        self.assertContains(response, 'data-policy="recent_phishing_resistant"')


class RenameAndRemoveTests(PasskeyTestCase):
    def test_an_app_session_may_rename_a_passkey_but_not_remove_it(self) -> None:
        phone = add_totp(self.alice)
        laptop = add_passkey(self.alice, "Laptop")
        self.sign_in(self.alice, phone)
        response = self.client.post(device_url(laptop, "rename"), {"name": "Work laptop"})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        laptop.refresh_from_db()
        assert laptop.name == "Work laptop"
        remove = device_url(laptop, "remove")
        self.assertStepUp(self.client.get(remove), "recent_phishing_resistant", remove)
        self.assertStepUp(self.client.post(remove), "recent_phishing_resistant", remove)
        assert WebAuthnDevice.objects.filter(pk=laptop.pk).exists()

    def test_a_passkey_session_removes_the_app_and_the_passkey(self) -> None:
        phone = add_totp(self.alice)
        laptop = add_passkey(self.alice, "Laptop")
        self.sign_in(self.alice, laptop)
        response = self.client.post(device_url(phone, "remove"))
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        response = self.client.post(device_url(laptop, "remove"), {"confirm": "on"})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        assert not WebAuthnDevice.objects.filter(user=self.alice).exists()

    def test_other_users_passkeys_give_404(self) -> None:
        laptop = add_passkey(self.alice, "Laptop")
        bobs = add_passkey(self.bob, "Bob's key")
        self.sign_in(self.alice, laptop)
        for action in ("rename", "remove"):
            assert self.client.get(device_url(bobs, action)).status_code == 404
            assert self.client.post(device_url(bobs, action), {"name": "x"}).status_code == 404
        bobs.refresh_from_db()
        assert bobs.name == "Bob's key"


class PasskeyEventsTests(PasskeyTestCase):
    def setUp(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        for name in ("factor_added", "factor_removed"):
            signal = getattr(signals, name)
            signal.connect(self._receiver(name), weak=False, dispatch_uid=f"test-{name}")
            self.addCleanup(signal.disconnect, dispatch_uid=f"test-{name}")

    def _receiver(self, name: str) -> Any:
        def receive(signal: Signal, sender: Any, **kwargs: Any) -> None:
            self.events.append((name, kwargs))

        return receive

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_adding_and_removing_a_key_each_send_one_signal_and_one_email(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        with self.captureOnCommitCallbacks(execute=True):
            assert self.register("Laptop").status_code == 200
        device = WebAuthnDevice.objects.get(user=self.alice)
        assert [(name, kwargs["device"]) for name, kwargs in self.events] == [
            ("factor_added", device)
        ]
        assert self.events[0][1]["user"] == self.alice
        assert [m.subject for m in mail.outbox] == [
            "A new sign-in method was added to your account"
        ]
        assert "“Laptop”" in mail.outbox[0].body

        self.sign_in(self.alice, device)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(device_url(device, "remove"))
        assert [name for name, _ in self.events] == ["factor_added", "factor_removed"]
        assert mail.outbox[1].subject == "A sign-in method was removed from your account"
        secrets = [device.credential_id.hex(), bytes(device.public_key).hex(), code(phone)]
        for text in [repr(self.events)] + [f"{m.subject}\n{m.body}" for m in mail.outbox]:
            for secret in secrets:
                assert secret not in text

    def test_a_refused_registration_sends_nothing(self) -> None:
        add_totp(self.alice)
        self.sign_in(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            assert self.register().status_code == 403
        assert self.events == [] and mail.outbox == []
