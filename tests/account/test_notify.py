"""Each change sends its signal once, after commit, and with OTP_NOTIFY_EMAIL one email; none
carries a code or a key."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.core import mail
from django.dispatch import Signal
from django.test import override_settings

from django_otp import signals
from django_otp.flows import notify
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.account.helpers import AccountTestCase, add_email, add_totp, code, device_url

SIGNALS = {
    "factor_added": signals.factor_added,
    "factor_renamed": signals.factor_renamed,
    "factor_removed": signals.factor_removed,
    "backup_codes_generated": signals.backup_codes_generated,
}


class ChangeEventsTests(AccountTestCase):
    def setUp(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        for name, signal in SIGNALS.items():
            receiver = self._receiver(name)
            signal.connect(receiver, weak=False, dispatch_uid=f"test-{name}")
            self.addCleanup(signal.disconnect, dispatch_uid=f"test-{name}")

    def _receiver(self, name: str) -> Any:
        def receive(signal: Signal, sender: Any, **kwargs: Any) -> None:
            self.events.append((name, kwargs))

        return receive

    @contextmanager
    def committed(self) -> Iterator[None]:
        """Run what happens inside as its own transaction, and what follows its commit."""
        with self.captureOnCommitCallbacks(execute=True):
            yield

    def secrets_absent(self, *secrets: str) -> None:
        texts = [repr(kwargs) for _, kwargs in self.events]
        texts += [f"{m.subject}\n{m.body}" for m in mail.outbox]
        for secret in secrets:
            for text in texts:
                assert secret not in text, (secret, text)

    def enrol_app(self) -> tuple[TOTPDevice, str]:
        self.sign_in(self.alice)
        self.client.get("/otp/security/app/")
        device = TOTPDevice.objects.get(user=self.alice)
        token = code(device)
        with self.committed():
            self.client.post("/otp/security/app/", {"otp_token": token, "name": "Phone"})
        return device, token

    def test_no_signal_goes_out_before_the_commit(self) -> None:
        self.sign_in(self.alice)
        self.client.get("/otp/security/app/")
        device = TOTPDevice.objects.get(user=self.alice)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post("/otp/security/app/", {"otp_token": code(device)})
        assert self.events == [] and callbacks

    def test_adding_an_app_sends_factor_added_once(self) -> None:
        device, token = self.enrol_app()
        names = [name for name, _ in self.events]
        assert names == ["factor_added"]
        kwargs = self.events[0][1]
        assert kwargs["device"] == device and kwargs["user"] == self.alice
        assert kwargs["request"] is not None
        key = base64.b32encode(device.bin_key).decode()
        self.secrets_absent(token, device.key, key)

    def test_renaming_sends_the_old_name(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        with self.committed():
            self.client.post(device_url(phone, "rename"), {"name": "Work"})
        assert [(n, k["old_name"], k["device"].name) for n, k in self.events] == [
            ("factor_renamed", "Phone", "Work")
        ]

    def test_removing_sends_factor_removed_once(self) -> None:
        phone = add_totp(self.alice)
        mail_device = add_email(self.alice)
        self.sign_in(self.alice, phone)
        persistent_id = mail_device.persistent_id
        with self.committed():
            self.client.post(device_url(mail_device, "remove"))
        assert [(n, k["persistent_id"], k["device"].name) for n, k in self.events] == [
            ("factor_removed", persistent_id, "Mail")
        ]

    def test_backup_codes_send_the_count_and_never_the_codes(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        with self.committed():
            response = self.client.post("/otp/security/backup-codes/")
        codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", response.content.decode())
        assert [(n, k["count"]) for n, k in self.events] == [("backup_codes_generated", 10)]
        assert isinstance(self.events[0][1]["device"], StaticDevice)
        self.secrets_absent(*codes, *(c.replace("-", "") for c in codes))

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_each_change_emails_the_user_once_without_a_code(self) -> None:
        device, token = self.enrol_app()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["alice@x.example"]
        assert message.subject == "A new sign-in method was added to your account"
        assert "“Phone”" in message.body and "http://testserver/otp/security/" in message.body
        self.secrets_absent(token, device.key, base64.b32encode(device.bin_key).decode())

        with self.committed():
            response = self.client.post("/otp/security/backup-codes/")
        codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", response.content.decode())
        assert len(mail.outbox) == 2
        assert mail.outbox[1].subject == "New backup codes were made for your account"

        with self.committed():
            self.client.post(device_url(device, "rename"), {"name": "Old phone"})
        assert len(mail.outbox) == 2  # a new name is not worth an email

        with self.committed():
            self.client.post(device_url(device, "remove"))
        assert len(mail.outbox) == 3
        assert mail.outbox[2].subject == "A sign-in method was removed from your account"
        assert "“Old phone”" in mail.outbox[2].body
        self.secrets_absent(*codes, *(c.replace("-", "") for c in codes))

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_the_emailed_code_of_a_new_address_is_not_in_the_notification(self) -> None:
        self.sign_in(self.alice)
        self.client.post("/otp/security/email/", {"email": "work@x.example"})
        device = EmailDevice.objects.get(user=self.alice)
        token = device.token
        with self.committed():
            self.client.post("/otp/security/email/confirm/", {"otp_token": token})
        assert [m.to for m in mail.outbox] == [["work@x.example"], ["alice@x.example"]]
        assert token in mail.outbox[0].body  # the code itself, to the new address
        assert token not in mail.outbox[1].body and token not in mail.outbox[1].subject

    def test_no_email_when_the_setting_is_off(self) -> None:
        self.enrol_app()
        assert mail.outbox == []

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_no_email_to_a_user_without_an_address(self) -> None:
        self.alice.email = ""
        self.alice.save()
        self.enrol_app()
        assert mail.outbox == [] and [n for n, _ in self.events] == ["factor_added"]

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_a_failure_to_send_is_logged_and_the_change_stands(self) -> None:
        with (
            mock.patch("django_otp.flows.notify.send_mail", side_effect=OSError("down")),
            self.assertLogs("django_otp.flows.notify", "ERROR") as logs,
        ):
            device, _ = self.enrol_app()
        assert "could not be sent" in logs.output[0]
        device.refresh_from_db()
        assert device.confirmed

    @override_settings(OTP_NOTIFY_EMAIL=True)
    def test_a_site_can_disconnect_the_notifications(self) -> None:
        notify.disconnect()
        self.addCleanup(notify.connect)
        self.enrol_app()
        assert mail.outbox == []
