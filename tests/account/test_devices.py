"""Renaming and removing a device: whose, after which proof, and the last one."""

from __future__ import annotations

from freezegun import freeze_time

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.account.helpers import (
    OVERVIEW,
    AccountTestCase,
    add_backup,
    add_email,
    add_hotp,
    add_totp,
    code,
    device_url,
)
from tests.models import SimpleDevice


class OtherUsersDevicesTests(AccountTestCase):
    def test_other_users_devices_give_404(self) -> None:
        phone = add_totp(self.alice)
        bobs = [add_totp(self.bob), add_email(self.bob), add_backup(self.bob)]
        self.sign_in(self.alice, phone)
        for device in bobs:
            for action in ("rename", "remove"):
                url = device_url(device, action)
                assert self.client.get(url).status_code == 404, url
                assert self.client.post(url, {"name": "mine", "confirm": "on"}).status_code == 404
        assert [d.name for d in TOTPDevice.objects.filter(user=self.bob)] == ["Phone"]
        assert EmailDevice.objects.filter(user=self.bob).exists()

    def test_unknown_unconfirmed_and_malformed_devices_give_404(self) -> None:
        phone = add_totp(self.alice)
        pending = add_totp(self.alice, "Pending", confirmed=False)
        self.sign_in(self.alice, phone)
        for url in [
            device_url(pending, "rename"),
            f"/otp/security/devices/otp_totp.totpdevice/{phone.pk + 100}/rename/",
            f"/otp/security/devices/auth.user/{self.alice.pk}/rename/",
            f"/otp/security/devices/nothing/{phone.pk}/remove/",
            f"/otp/security/devices/no_app.model/{phone.pk}/remove/",
        ]:
            assert self.client.get(url).status_code == 404, url

    def test_anonymous_visitors_are_sent_to_sign_in_without_a_hint(self) -> None:
        phone = add_totp(self.bob)
        url = device_url(phone, "rename")
        response = self.client.get(url)
        self.assertRedirects(response, f"/login/?next={url}", fetch_redirect_response=False)


class RenameTests(AccountTestCase):
    def test_a_recent_session_renames(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        response = self.client.get(device_url(phone, "rename"))
        self.assertContains(response, 'value="Phone"')
        response = self.client.post(device_url(phone, "rename"), {"name": "  Work phone "})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        phone.refresh_from_db()
        assert phone.name == "Work phone"
        self.assertContains(self.client.get(OVERVIEW), "The name was changed.")

    def test_an_empty_or_long_name_is_a_field_error(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        for name in ["", "   ", "x" * 65]:
            response = self.client.post(device_url(phone, "rename"), {"name": name})
            assert response.status_code == 200
            self.assertContains(response, 'id="id_name_errors"')
        phone.refresh_from_db()
        assert phone.name == "Phone"

    def test_a_stale_session_steps_up_first_with_any_device(self) -> None:
        phone = add_totp(self.alice)
        backup = add_backup(self.alice)
        url = device_url(phone, "rename")
        with freeze_time() as frozen:
            self.sign_in(self.alice, phone)
            frozen.tick(301)
            self.assertStepUp(self.client.get(url), "recent", url)
            response = self.client.post(url, {"name": "Stolen"})
            self.assertStepUp(response, "recent", url)
            phone.refresh_from_db()
            assert phone.name == "Phone"
            self.step_up("recent", backup, "a1b2c3d4", url)
            self.client.post(url, {"name": "Renamed"})
            phone.refresh_from_db()
            assert phone.name == "Renamed"

    def test_an_unverified_session_steps_up(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice)
        url = device_url(phone, "rename")
        self.assertStepUp(self.client.get(url), "recent", url)


class RemoveTests(AccountTestCase):
    def test_removing_asks_for_confirmation_then_removes(self) -> None:
        phone = add_totp(self.alice)
        mail = add_email(self.alice)
        self.sign_in(self.alice, phone)
        response = self.client.get(device_url(mail, "remove"))
        self.assertContains(response, "Remove “Mail”?")
        self.assertNotContains(response, "last sign-in method")
        assert EmailDevice.objects.filter(pk=mail.pk).exists()
        response = self.client.post(device_url(mail, "remove"))
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        assert not EmailDevice.objects.filter(pk=mail.pk).exists()
        self.assertContains(self.client.get(OVERVIEW), "“Mail” was removed.")

    def test_the_last_factor_warns_and_needs_the_box(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        url = device_url(phone, "remove")
        response = self.client.get(url)
        self.assertContains(response, "This is your last sign-in method")
        self.assertContains(response, 'type="checkbox" name="confirm"')
        response = self.client.post(url)
        self.assertContains(response, "Tick the box to remove your last sign-in method.")
        assert TOTPDevice.objects.filter(pk=phone.pk).exists()
        response = self.client.post(url, {"confirm": "on"})
        self.assertRedirects(response, OVERVIEW, fetch_redirect_response=False)
        assert not TOTPDevice.objects.filter(pk=phone.pk).exists()
        self.assertContains(self.client.get(OVERVIEW), "protected by your password alone")

    def test_removing_the_device_of_the_session_says_what_follows(self) -> None:
        phone = add_totp(self.alice)
        add_backup(self.alice)
        self.sign_in(self.alice, phone)
        url = device_url(phone, "remove")
        self.assertContains(self.client.get(url), "You confirmed it is you with this method")
        self.client.post(url)
        self.assertStepUp(self.client.get(OVERVIEW), "default", OVERVIEW)

    def test_a_lower_level_session_cannot_remove_a_stronger_factor(self) -> None:
        phone = add_totp(self.alice)
        mail = add_email(self.alice)
        backup = add_backup(self.alice)
        for weaker in (mail, backup):
            self.sign_in(self.alice, weaker)
            for target in (phone, mail, backup):
                url = device_url(target, "remove")
                self.assertStepUp(self.client.get(url), "recent_strong", url)
                self.assertStepUp(self.client.post(url, {"confirm": "on"}), "recent_strong", url)
        assert TOTPDevice.objects.filter(pk=phone.pk).exists()
        assert EmailDevice.objects.filter(pk=mail.pk).exists()
        assert StaticDevice.objects.filter(pk=backup.pk).exists()

    def test_after_a_step_up_with_the_strongest_class_it_can(self) -> None:
        phone = add_totp(self.alice)
        fob = add_hotp(self.alice)
        backup = add_backup(self.alice)
        self.sign_in(self.alice, backup)
        url = device_url(phone, "remove")
        response = self.step_up("recent_strong", phone, code(phone), url)
        self.assertRedirects(response, url, fetch_redirect_response=False)
        self.client.post(url)
        assert not TOTPDevice.objects.filter(pk=phone.pk).exists()
        assert HOTPDevice.objects.filter(pk=fob.pk).exists()
        assert StaticDevice.objects.filter(pk=backup.pk).exists()

    def test_an_emailed_code_may_remove_when_nothing_is_stronger(self) -> None:
        mail = add_email(self.alice)
        backup = add_backup(self.alice)
        self.sign_in(self.alice, mail)
        self.client.post(device_url(backup, "remove"))
        assert not StaticDevice.objects.filter(pk=backup.pk).exists()

    def test_other_device_types_can_be_removed(self) -> None:
        phone = add_totp(self.alice)
        simple = SimpleDevice.objects.create(user=self.alice, name="Paper list")
        self.sign_in(self.alice, phone)
        self.client.post(device_url(simple, "remove"))
        assert not SimpleDevice.objects.filter(pk=simple.pk).exists()
