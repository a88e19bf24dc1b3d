"""The security overview: what it lists for each mix of devices, who may see it, its queries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from django_otp.account import sections
from django_otp.account.sections import DeviceSection, Section
from tests.account.helpers import (
    OVERVIEW,
    AccountTestCase,
    add_backup,
    add_email,
    add_hotp,
    add_passkey,
    add_totp,
    device_url,
)
from tests.models import SimpleDevice


class WhoMaySeeItTests(AccountTestCase):
    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(OVERVIEW)
        self.assertRedirects(response, f"/login/?next={OVERVIEW}", fetch_redirect_response=False)

    def test_json_clients_get_401(self) -> None:
        response = self.client.get(OVERVIEW, HTTP_ACCEPT="application/json")
        assert response.status_code == 401

    def test_a_user_without_a_device_sees_it_with_a_password_alone(self) -> None:
        self.sign_in(self.alice)
        response = self.client.get(OVERVIEW)
        assert response.status_code == 200
        self.assertContains(response, "protected by your password alone")
        self.assertContains(response, 'href="/otp/security/app/"')
        self.assertContains(response, 'href="/otp/security/email/"')
        self.assertContains(response, 'href="/otp/security/backup-codes/"')

    def test_an_unverified_session_of_a_user_with_a_device_is_sent_to_step_up(self) -> None:
        add_totp(self.alice)
        self.sign_in(self.alice)
        self.assertStepUp(self.client.get(OVERVIEW), "default", OVERVIEW)

    def test_a_verified_session_sees_it(self) -> None:
        device = add_totp(self.alice)
        self.sign_in(self.alice, device)
        assert self.client.get(OVERVIEW).status_code == 200

    def test_the_page_speaks_the_language_of_the_request(self) -> None:
        self.sign_in(self.alice)
        with translation.override("de"):
            response = self.client.get(OVERVIEW)
        assert response.status_code == 200
        self.assertContains(response, "Authenticator-App hinzufügen")

    def test_the_page_is_never_cached(self) -> None:
        self.sign_in(self.alice)
        assert "no-store" in self.client.get(OVERVIEW)["Cache-Control"]


class WhatItListsTests(AccountTestCase):
    def overview(self, verified_by: Any) -> str:
        self.sign_in(self.alice, verified_by)
        response = self.client.get(OVERVIEW)
        assert response.status_code == 200
        return response.content.decode()

    def test_each_device_with_its_name_dates_and_actions(self) -> None:
        phone = add_totp(self.alice, "Work phone")
        mail = add_email(self.alice, "Home mail")
        fob = add_hotp(self.alice, "Key fob")
        page = self.overview(phone)
        for device in (phone, mail, fob):
            assert f'<h3 class="otp-device-name">{device.name}</h3>' in page
            assert device_url(device, "rename") in page
            assert device_url(device, "remove") in page
        assert f'datetime="{phone.created_at.isoformat()}"' in page
        assert page.count("Never") == 3  # none was used yet
        assert "Authenticator apps" in page and "Email addresses" in page
        assert "Hardware tokens" in page

    def test_passkeys_have_their_section_first(self) -> None:
        phone = add_totp(self.alice)
        add_passkey(self.alice, "Laptop")
        page = self.overview(phone)
        assert "Passkeys and security keys" in page and "Laptop" in page
        assert page.index("Passkeys and security keys") < page.index("Authenticator apps")
        assert "Other sign-in methods" not in page

    def test_backup_codes_left_are_counted(self) -> None:
        phone = add_totp(self.alice)
        add_backup(self.alice, codes=["aaaa1111", "bbbb2222"])
        page = self.overview(phone)
        assert "You have 2 backup codes left." in page
        assert "Get new backup codes" in page

    def test_other_users_and_unconfirmed_devices_are_not_listed(self) -> None:
        phone = add_totp(self.alice)
        add_totp(self.alice, "Half-enrolled", confirmed=False)
        add_totp(self.bob, "Bob's phone")
        page = self.overview(phone)
        assert "Half-enrolled" not in page and "Bob&#x27;s phone" not in page

    def test_a_device_type_without_a_section_is_listed_under_other(self) -> None:
        phone = add_totp(self.alice)
        SimpleDevice.objects.create(user=self.alice, name="Paper list")
        page = self.overview(phone)
        assert "Other sign-in methods" in page and "Paper list" in page

    def test_sections_without_devices_or_add_link_are_left_out(self) -> None:
        page = self.overview(add_totp(self.alice))
        assert "Hardware tokens" not in page and "Other sign-in methods" not in page


class QueryCountTests(AccountTestCase):
    def expected(self) -> int:
        """The session, the user, the verified device, and one query per device model."""
        models = [s for s in sections.sections() if isinstance(s, DeviceSection)]
        return 3 + len(models) + len(sections.OtherDevicesSection("x", "x").models())

    def get(self) -> None:
        with self.assertNumQueries(self.expected()):
            response = self.client.get(OVERVIEW)
        assert response.status_code == 200

    def test_the_queries_do_not_grow_with_the_devices(self) -> None:
        phone = add_totp(self.alice)
        self.sign_in(self.alice, phone)
        self.get()  # one device
        add_totp(self.alice, "Tablet")
        add_email(self.alice)
        add_hotp(self.alice)
        add_backup(self.alice)
        self.get()  # five devices of four types
        assert self.client.get(OVERVIEW).content.decode().count('class="otp-device"') == 5


class RegistryTests(AccountTestCase):
    def tearDown(self) -> None:
        sections.unregister("notes")
        sections.unregister("simple")

    def test_a_registered_section_is_shown_in_its_order(self) -> None:
        class Notes(Section):
            def context(self, user: Any) -> dict[str, Any]:
                return {"devices": []}

        sections.register(
            Notes(key="notes", title=_("Notes"), order=1, template="otp/account/test_notes.html")
        )
        keys = [section.key for section in sections.sections()]
        assert keys[0] == "notes"

    def test_a_device_section_for_a_model_takes_it_out_of_other(self) -> None:
        phone = add_totp(self.alice)
        SimpleDevice.objects.create(user=self.alice, name="Paper list")
        sections.register(
            DeviceSection(key="simple", title="Paper lists", order=50, model="tests.SimpleDevice")
        )
        self.sign_in(self.alice, phone)
        page = self.client.get(OVERVIEW).content.decode()
        assert "Paper lists" in page and "Other sign-in methods" not in page

    def test_a_section_of_a_missing_app_is_not_installed(self) -> None:
        section = DeviceSection(key="x", title="x", model="otp_webauthn.WebAuthnCredential")
        assert not section.is_installed()
        assert not DeviceSection(key="y", title="y", model="auth.User").is_installed()

    def test_section_for_a_device(self) -> None:
        phone = add_totp(self.alice)
        assert sections.section_for(phone).key == "totp"
        user = get_user_model().objects.create_user("carol")
        simple = SimpleDevice.objects.create(user=user, name="x")
        assert sections.section_for(simple).key == "other"
