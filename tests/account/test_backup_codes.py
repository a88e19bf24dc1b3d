"""Backup codes: shown once, replacing all earlier ones, downloadable, hashed when asked."""

from __future__ import annotations

import re
from typing import Any

from django.core import signing
from django.test import override_settings
from freezegun import freeze_time

from django_otp.account.backup_codes import SALT
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from tests.account.helpers import (
    BACKUP_CODES,
    AccountTestCase,
    add_backup,
    add_email,
    add_totp,
    code,
)

PAGE = "/otp/security/backup-codes/"
DOWNLOAD = "/otp/security/backup-codes/download/"


def shown_codes(response: Any) -> list[str]:
    return re.findall(r"<li><code>([0-9a-z-]+)</code></li>", response.content.decode())


def signed_value(response: Any) -> str:
    return re.search(r'name="codes" value="([^"]+)"', response.content.decode()).group(1)


class BackupCodesTests(AccountTestCase):
    def setUp(self) -> None:
        self.phone = add_totp(self.alice)
        self.sign_in(self.alice, self.phone)

    def test_the_page_counts_the_codes_left(self) -> None:
        add_backup(self.alice)
        response = self.client.get(PAGE)
        self.assertContains(response, "You have 3 backup codes left.")
        self.assertContains(response, "New codes replace all your current ones")
        assert shown_codes(response) == []

    def test_generated_codes_are_shown_once(self) -> None:
        response = self.client.post(PAGE)
        codes = shown_codes(response)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert "no-store" in response["Cache-Control"]
        device = StaticDevice.objects.get(user=self.alice)
        assert device.confirmed and device.token_set.count() == 10
        again = self.client.get(PAGE)
        assert shown_codes(again) == []
        self.assertContains(again, "You have 10 backup codes left.")
        for value in codes:
            assert value not in again.content.decode()
            assert value not in self.client.get("/otp/security/").content.decode()

    def test_a_shown_code_signs_in_with_or_without_hyphens(self) -> None:
        codes = shown_codes(self.client.post(PAGE))
        device = StaticDevice.objects.get(user=self.alice)
        assert device.verify_token(codes[0])
        assert device.verify_token(codes[1].replace("-", ""))
        assert not device.verify_token(codes[0])

    def test_regenerating_replaces_every_earlier_code(self) -> None:
        old = add_backup(self.alice, "Old")
        other = add_backup(self.alice, "Older", codes=["zzzz9999"])
        first = shown_codes(self.client.post(PAGE))
        second = shown_codes(self.client.post(PAGE))
        assert set(first).isdisjoint(second)
        devices = list(StaticDevice.objects.filter(user=self.alice))
        assert devices == [old] and not StaticDevice.objects.filter(pk=other.pk).exists()
        stored = set(StaticToken.objects.filter(device=old).values_list("token", flat=True))
        assert stored == {value.replace("-", "") for value in second}
        assert stored.isdisjoint([*BACKUP_CODES, "zzzz9999"])
        assert old.verify_token(second[0])
        assert not old.verify_token(first[0])

    @override_settings(OTP_STATIC_HASH_TOKENS=True)
    def test_with_hashing_only_hashes_are_stored(self) -> None:
        codes = shown_codes(self.client.post(PAGE))
        rows = list(StaticToken.objects.filter(device__user=self.alice))
        assert len(rows) == 10
        assert all(row.token == "" and row.token_hash for row in rows)
        assert StaticDevice.objects.get(user=self.alice).verify_token(codes[3])

    def test_the_download_is_a_text_file_of_the_shown_codes(self) -> None:
        response = self.client.post(PAGE)
        codes = shown_codes(response)
        download = self.client.post(DOWNLOAD, {"codes": signed_value(response)})
        assert download.status_code == 200
        assert download["Content-Type"] == "text/plain; charset=utf-8"
        assert download["Content-Disposition"] == 'attachment; filename="backup-codes.txt"'
        text = download.content.decode()
        assert text.startswith("Backup codes for alice")
        assert re.findall(r"^[0-9a-z]{4}-[0-9a-z-]+$", text, re.M) == codes

    def test_the_download_belongs_to_its_user(self) -> None:
        forged = signing.dumps({"user": self.bob.pk, "codes": ["x"]}, salt=SALT)
        assert self.client.post(DOWNLOAD, {"codes": forged}).status_code == 400
        assert self.client.post(DOWNLOAD, {"codes": "tampered"}).status_code == 400
        assert self.client.get(DOWNLOAD).status_code == 405

    def test_the_download_expires_after_15_minutes(self) -> None:
        with freeze_time() as frozen:
            self.sign_in(self.alice, self.phone)
            value = signed_value(self.client.post(PAGE))
            frozen.tick(14 * 60)
            assert self.client.post(DOWNLOAD, {"codes": value}).status_code == 200
            frozen.tick(2 * 60)
            assert self.client.post(DOWNLOAD, {"codes": value}).status_code == 400

    def test_anonymous_visitors_cannot_download(self) -> None:
        value = signed_value(self.client.post(PAGE))
        self.client.logout()
        response = self.client.post(DOWNLOAD, {"codes": value})
        assert response.status_code == 302 and response["Location"].startswith("/login/")


class WhoMayGenerateTests(AccountTestCase):
    def test_a_user_without_another_method_is_told_to_add_one(self) -> None:
        self.sign_in(self.alice)
        response = self.client.get(PAGE)
        self.assertContains(response, "add an authenticator app or an email address first")
        self.assertNotContains(response, "<button")
        response = self.client.post(PAGE)
        assert response.status_code == 200 and shown_codes(response) == []
        assert not StaticDevice.objects.exists()

    def test_a_backup_code_session_cannot_replace_the_codes_of_an_app_user(self) -> None:
        phone = add_totp(self.alice)
        backup = add_backup(self.alice)
        self.sign_in(self.alice, backup)
        self.assertStepUp(self.client.post(PAGE), "recent_strong", PAGE)
        assert backup.token_set.count() == 3
        self.step_up("recent_strong", phone, code(phone), PAGE)
        assert len(shown_codes(self.client.post(PAGE))) == 10

    def test_an_email_user_may_generate_after_an_emailed_code(self) -> None:
        mail = add_email(self.alice)
        self.sign_in(self.alice, mail)
        assert len(shown_codes(self.client.post(PAGE))) == 10
