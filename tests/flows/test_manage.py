"""The flows behind the account pages, called as a JSON view would call them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import override_settings
from freezegun import freeze_time

import django_otp
from django_otp.assurance.proofs import password_proof
from django_otp.assurance.state import state_for
from django_otp.flows import enrol, manage
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.account.helpers import (
    AccountTestCase,
    add_backup,
    add_email,
    add_hotp,
    add_passkey,
    add_totp,
    code,
)


def request_for(user: Any, *proved: Any) -> HttpRequest:
    """A request of ``user`` whose session proved a password and ``proved`` devices now."""
    request = HttpRequest()
    request.session = SessionStore()
    request.user = user
    if user.is_authenticated:
        state_for(request).add(password_proof(state_for(request).now))
    for device in proved:
        django_otp.login(request, device)
    return request


class PolicyTests(AccountTestCase):
    def test_the_strongest_class_of_an_account(self) -> None:
        assert manage.account_strength([]) == 0
        mail, backup = add_email(self.alice), add_backup(self.alice)
        assert manage.account_strength([mail, backup]) == 1
        phone = add_totp(self.alice)
        assert manage.account_strength([mail, phone, backup]) == 2
        assert manage.account_strength([add_hotp(self.alice)]) == 2
        assert manage.account_strength([add_passkey(self.alice), mail]) == 3

    def test_the_policy_of_each_change(self) -> None:
        phone, mail = add_totp(self.alice), add_email(self.alice)
        passkey = add_passkey(self.alice)
        for change in (manage.VIEW, manage.RENAME, manage.ADD, manage.REMOVE):
            assert manage.policy_for(change, []) is None
        assert manage.policy_for(manage.VIEW, [phone]) == "default"
        assert manage.policy_for(manage.RENAME, [passkey]) == "recent"
        assert manage.policy_for(manage.ADD, [mail]) == "recent"
        assert manage.policy_for(manage.ADD, [mail, phone]) == "recent_strong"
        assert manage.policy_for(manage.REMOVE, [phone, passkey]) == "recent_phishing_resistant"

    def test_permission(self) -> None:
        anonymous = request_for(AnonymousUser())
        assert manage.permission(anonymous, manage.VIEW).error == "login_required"
        assert manage.permission(request_for(self.alice), manage.ADD).ok
        phone, mail = add_totp(self.alice), add_email(self.alice)
        by_mail = manage.permission(request_for(self.alice, mail), manage.REMOVE)
        assert (by_mail.error, by_mail.data) == ("step_up_required", {"policy": "recent_strong"})
        assert manage.permission(request_for(self.alice, mail), manage.RENAME).ok
        assert manage.permission(request_for(self.alice, phone), manage.REMOVE).ok

    def test_a_passkey_account_needs_a_passkey_to_remove_anything(self) -> None:
        phone = add_totp(self.alice)
        passkey = add_passkey(self.alice)
        result = manage.permission(request_for(self.alice, phone), manage.REMOVE, [phone, passkey])
        assert result.data == {"policy": "recent_phishing_resistant"}
        assert manage.permission(request_for(self.alice, passkey), manage.REMOVE).ok


class ChangeTests(AccountTestCase):
    def test_rename_and_remove_refuse_other_users_devices(self) -> None:
        bobs = add_totp(self.bob)
        request = request_for(self.alice, add_totp(self.alice))
        assert manage.rename(request, bobs, "mine").error == "device_required"
        assert manage.remove(request, bobs, confirmed=True).error == "device_required"
        bobs.refresh_from_db()
        assert bobs.name == "Phone"

    def test_rename_checks_the_name_and_the_session(self) -> None:
        phone = add_totp(self.alice)
        with freeze_time() as frozen:
            request = request_for(self.alice, phone)
            assert manage.rename(request, phone, " ").error == "invalid_name"
            assert manage.rename(request, phone, "x" * 65).error == "invalid_name"
            frozen.tick(301)
            stale = manage.rename(request_for(self.alice), phone, "New")
            assert stale.error == "step_up_required"
        phone.refresh_from_db()
        assert phone.name == "Phone"

    def test_remove_the_last_factor_only_when_confirmed(self) -> None:
        phone = add_totp(self.alice)
        request = request_for(self.alice, phone)
        result = manage.remove(request, phone)
        assert (result.error, result.data) == ("confirmation_required", {"last": True})
        assert TOTPDevice.objects.filter(pk=phone.pk).exists()
        result = manage.remove(request, phone, confirmed=True)
        assert result.ok and result.data == {"last": True}
        assert not TOTPDevice.objects.exists()

    def test_backup_codes_need_another_factor_and_the_strongest_class(self) -> None:
        assert manage.generate_backup_codes(request_for(self.alice)).error == "factor_required"
        backup = add_backup(self.alice)
        result = manage.generate_backup_codes(request_for(self.alice, backup))
        assert result.error == "factor_required"
        phone = add_totp(self.alice)
        result = manage.generate_backup_codes(request_for(self.alice, backup))
        assert result.error == "step_up_required"
        result = manage.generate_backup_codes(request_for(self.alice, phone), count=4)
        assert result.ok and len(result.data["codes"]) == 4
        assert manage.backup_codes_left(self.alice) == 4

    def test_backup_codes_left_counts_confirmed_devices_only(self) -> None:
        add_backup(self.alice)
        add_backup(self.alice, "Pending", codes=["x1"]).__class__.objects.filter(
            name="Pending"
        ).update(confirmed=False)
        add_backup(self.bob)
        assert manage.backup_codes_left(self.alice) == 3


class EnrolTests(AccountTestCase):
    @override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
    def test_begin_confirm_and_the_session(self) -> None:
        request = request_for(self.alice)
        result = enrol.begin(request, TOTPDevice, name="App")
        device = result.device
        assert result.ok and not device.confirmed
        assert enrol.pending(request, TOTPDevice) == device
        assert enrol.pending(request, EmailDevice) is None
        wrong = enrol.confirm(request, device, "abc")
        assert wrong.error == "invalid_token"
        assert wrong.data["verification"].reason == "malformed_token"
        done = enrol.confirm(request, device, code(device), name="Named")
        assert done.ok and done.device.confirmed and done.device.name == "Named"
        assert enrol.pending(request, TOTPDevice) is None
        assert request.user.otp_device == done.device
        again = enrol.confirm(request, done.device, code(device, 1))
        assert again.error == "device_required"

    def test_another_users_pending_device_is_not_ours(self) -> None:
        bobs = enrol.begin(request_for(self.bob), TOTPDevice, name="Bob's").device
        request = request_for(self.alice)
        request.session["otp_enrol"] = {TOTPDevice.model_label(): bobs.persistent_id}
        assert enrol.pending(request, TOTPDevice) is None
        assert enrol.confirm(request, bobs, code(bobs)).error == "device_required"
        assert enrol.send_code(request, bobs).error == "device_required"
        bobs.refresh_from_db()
        assert not bobs.confirmed

    def test_a_malformed_session_value_is_ignored(self) -> None:
        request = request_for(self.alice)
        for value in ("text", ["list"], {TOTPDevice.model_label(): "otp_totp.x/1"}):
            request.session["otp_enrol"] = value
            assert enrol.pending(request, TOTPDevice) is None

    def test_cancel_deletes_only_the_pending_device(self) -> None:
        keep = add_totp(self.alice, "Confirmed")
        request = request_for(self.alice, keep)
        with freeze_time():
            enrol.begin(request, TOTPDevice, name="App")
            enrol.cancel(request, TOTPDevice)
        assert list(TOTPDevice.objects.filter(user=self.alice)) == [keep]

    def test_send_code_reports_the_cooldown_and_failures(self) -> None:
        request = request_for(self.alice)
        device = enrol.begin(request, EmailDevice, name="m", email="m@x.example").device
        assert enrol.cooldown_left(device) == 0
        assert enrol.send_code(request, device).ok
        result = enrol.send_code(request, device)
        assert result.error == "cooldown" and 1 <= result.data["seconds"] <= 10
        device.cooldown_reset()
        broken = StaticDevice(user=self.alice, name="not interactive", confirmed=False)
        broken.save()
        assert enrol.send_code(request, broken).error == "not_interactive"
