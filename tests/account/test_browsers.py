"""Remembered browsers on the account pages: listed on the overview, forgotten one by one or
all at once behind the ``recent`` policy, each revocation announced by ``browser_revoked``."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from django.test import override_settings
from django.utils import timezone

from django_otp.account import sections
from django_otp.account.sections import DeviceSection
from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.flows import remember
from tests.account.helpers import (
    CHROME,
    COOKIE,
    OVERVIEW,
    AccountTestCase,
    add_backup,
    add_email,
    add_hotp,
    add_totp,
    trusted_browser,
)
from tests.flows.test_remember import Receiver

PAGE = "/otp/security/browsers/"


@override_settings(OTP_REMEMBER_DAYS=30)
class BrowsersTestCase(AccountTestCase):
    def setUp(self) -> None:
        self.phone = add_totp(self.alice)


class OverviewSectionTests(BrowsersTestCase):
    def test_the_browsers_are_listed_with_this_browser_marked(self) -> None:
        firefox, cookie = trusted_browser(self.alice, self.phone)
        trusted_browser(self.alice, self.phone, CHROME)
        trusted_browser(self.bob, add_totp(self.bob), CHROME)
        self.sign_in(self.alice, self.phone)
        self.client.cookies[COOKIE] = cookie
        page = self.client.get(OVERVIEW).content.decode()
        assert "Remembered browsers" in page
        assert page.count('class="otp-device-name">Firefox (Linux)') == 1
        assert page.count('class="otp-device-name">Chrome (macOS)') == 1  # Bob's is not here
        assert page.count("This browser") == 1
        assert page.index("Firefox (Linux)") < page.index("This browser")
        assert f'datetime="{firefox.expires_at.isoformat()}"' in page
        assert f'href="{PAGE}"' in page

    def test_revoked_and_expired_browsers_are_not_listed(self) -> None:
        revoked, _ = trusted_browser(self.alice, self.phone)
        remember.revoke(self.alice, revoked.pk)
        expired, _ = trusted_browser(self.alice, self.phone, CHROME)
        RememberedBrowser.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
        self.sign_in(self.alice, self.phone)
        page = self.client.get(OVERVIEW).content.decode()
        assert "No browser is remembered." in page and "Firefox" not in page

    def test_a_user_without_a_device_has_no_such_section(self) -> None:
        self.sign_in(self.bob)
        assert "Remembered browsers" not in self.client.get(OVERVIEW).content.decode()

    @override_settings(OTP_REMEMBER_DAYS=0)
    def test_without_remembered_browsers_there_is_no_section_and_no_page(self) -> None:
        self.sign_in(self.alice, self.phone)
        assert "Remembered browsers" not in self.client.get(OVERVIEW).content.decode()
        assert self.client.get(PAGE).status_code == 404


class QueryCountTests(BrowsersTestCase):
    def expected(self) -> int:
        """The session, the user, the verified device, one query per device model and one
        for the browsers."""
        models = [s for s in sections.sections() if isinstance(s, DeviceSection)]
        return 3 + len(models) + len(sections.OtherDevicesSection("x", "x").models()) + 1

    def get(self, devices: int) -> None:
        with self.assertNumQueries(self.expected()):
            response = self.client.get(OVERVIEW)
        page = response.content.decode()
        assert page.count('class="otp-device"') == devices + RememberedBrowser.objects.count()

    def test_the_queries_grow_neither_with_devices_nor_with_browsers(self) -> None:
        _, cookie = trusted_browser(self.alice, self.phone)
        self.sign_in(self.alice, self.phone)
        self.client.cookies[COOKIE] = cookie
        self.get(devices=1)
        add_totp(self.alice, "Tablet")
        add_email(self.alice)
        add_hotp(self.alice)
        add_backup(self.alice)
        trusted_browser(self.alice, self.phone, CHROME)
        trusted_browser(self.alice, self.phone, CHROME)
        self.get(devices=5)


class ForgetTests(BrowsersTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.firefox, self.cookie = trusted_browser(self.alice, self.phone)
        self.chrome, _ = trusted_browser(self.alice, self.phone, CHROME)
        self.revoked = Receiver(remember.signals.browser_revoked, self)

    def active(self) -> list[Any]:
        return list(RememberedBrowser.objects.filter(user=self.alice).active())

    def test_a_stale_session_steps_up_first(self) -> None:
        past = timezone.now() - datetime.timedelta(minutes=10)
        with mock.patch("time.time", return_value=past.timestamp()):
            self.sign_in(self.alice, self.phone)
        self.assertStepUp(self.client.get(PAGE), "recent", PAGE)
        self.assertStepUp(self.client.post(PAGE, {"all": "1"}), "recent", PAGE)
        assert len(self.active()) == 2

    def test_the_page_lists_each_browser_with_its_button(self) -> None:
        self.sign_in(self.alice, self.phone)
        self.client.cookies[COOKIE] = self.cookie
        response = self.client.get(PAGE)
        self.assertContains(response, f'name="browser" value="{self.firefox.pk}"')
        self.assertContains(response, f'name="browser" value="{self.chrome.pk}"')
        self.assertContains(response, "Forget all browsers")
        self.assertContains(response, "This browser", count=2)  # the tag, and the button's name

    def test_forget_one(self) -> None:
        self.sign_in(self.alice, self.phone)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(PAGE, {"browser": str(self.chrome.pk)}, follow=True)
        self.assertRedirects(response, OVERVIEW)
        self.assertContains(response, "“Chrome (macOS)” was forgotten.")
        assert self.active() == [self.firefox]
        assert [(c["reason"], c["browsers"], c["user"]) for c in self.revoked.calls] == [
            ("user", [self.chrome], self.alice)
        ]

    def test_another_users_browser_is_left_alone(self) -> None:
        bobs, _ = trusted_browser(self.bob, add_totp(self.bob))
        self.sign_in(self.alice, self.phone)
        response = self.client.post(PAGE, {"browser": str(bobs.pk)}, follow=True)
        self.assertContains(response, "That browser is no longer remembered.")
        assert RememberedBrowser.objects.get(pk=bobs.pk).is_active
        assert len(self.active()) == 2 and self.revoked.calls == []

    def test_forget_all(self) -> None:
        bobs, _ = trusted_browser(self.bob, add_totp(self.bob))
        self.sign_in(self.alice, self.phone)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(PAGE, {"all": "1"}, follow=True)
        self.assertContains(response, "2 browsers were forgotten.")
        assert self.active() == [] and RememberedBrowser.objects.get(pk=bobs.pk).is_active
        assert len(self.revoked.calls) == 1
        call = self.revoked.calls[0]
        assert call["reason"] == "user" and set(call["browsers"]) == {self.firefox, self.chrome}

    def test_a_forgotten_browser_no_longer_verifies_a_new_session(self) -> None:
        self.sign_in(self.alice, self.phone)
        self.client.post(PAGE, {"browser": str(self.firefox.pk)})
        self.client.logout()
        self.client.force_login(self.alice)
        self.client.cookies[COOKIE] = self.cookie
        assert self.client.get("/whoami/").json()["verified"] is False
