"""The remembered-browser app: its admin, its models, its system check, and the app removed."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks.registry import registry
from django.http import HttpResponse
from django.test import TestCase, override_settings
from django.utils import timezone
from freezegun import freeze_time

from django_otp import signals
from django_otp.checks import check_remember
from django_otp.contrib.remember.models import AssuranceReset, RememberedBrowser
from django_otp.flows import remember
from django_otp.plugins.otp_totp.models import TOTPDevice

LIST = "/admin/otp_remember/rememberedbrowser/"
RESETS = "/admin/otp_remember/assurancereset/"
SECRET_HASH = "f" * 64
ACCOUNT_HASH = "e" * 64
SELECTOR = "selector-not-for-eyes"
WITHOUT_APP = [app for app in settings.INSTALLED_APPS if app != "django_otp.contrib.remember"]


def make_browser(user: Any, device: Any, **fields: Any) -> RememberedBrowser:
    """A row as ``remember()`` makes it, with recognisable stand-ins for the secrets."""
    now = timezone.now()
    values = {
        "user": user,
        "selector": SELECTOR,
        "secret_hash": SECRET_HASH,
        "device_id": device.persistent_id,
        "account_hash": ACCOUNT_HASH,
        "label": "Firefox (Linux)",
        "last_used_at": now,
        "expires_at": now + datetime.timedelta(days=30),
        **fields,
    }
    return RememberedBrowser.objects.create(**values)


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.root = User.objects.create_superuser("root", "root@example.com", "root-password")
        cls.alice = User.objects.create_user("alice", "alice@example.com", "alice-password")
        cls.device = TOTPDevice.objects.create(user=cls.alice, name="phone")

    def setUp(self) -> None:
        self.client.force_login(self.root)

    def test_the_list_shows_user_label_dates_and_state_and_no_secret(self) -> None:
        browser = make_browser(self.alice, self.device)
        make_browser(
            self.alice, self.device, selector="sel_two", label="", revoked_at=timezone.now()
        )
        make_browser(
            self.alice,
            self.device,
            selector="sel_three",
            label="Safari (iOS)",
            expires_at=timezone.now() - datetime.timedelta(seconds=1),
        )
        page = self.client.get(LIST)
        assert page.status_code == 200
        text = page.content.decode()
        for header in ("Browser", "User", "Remembered at", "Last used", "Expires", "State"):
            assert f">{header}<" in text.replace("</a>", "<"), header
        for cell in ("Firefox (Linux)", "unknown browser", "Safari (iOS)", "alice"):
            assert cell in text
        for state in ("active", "revoked", "expired"):
            assert f'<td class="field-state">{state}</td>' in text
        detail = self.client.get(f"{LIST}{browser.pk}/change/").content.decode()
        # Underscores never occur in a CSRF token, so these cannot match one by chance.
        for secret in (SELECTOR, SECRET_HASH, ACCOUNT_HASH, "sel_two", "sel_three"):
            assert secret not in text and secret not in detail
        assert self.device.persistent_id in detail

    def test_the_state_filter(self) -> None:
        # Labels no admin page contains otherwise ("live" is in aria-live, say).
        make_browser(self.alice, self.device, label="Browser-Kept")
        make_browser(
            self.alice,
            self.device,
            selector="s2",
            label="Browser-Revoked",
            revoked_at=timezone.now(),
        )
        active = self.client.get(f"{LIST}?state=active").content.decode()
        revoked = self.client.get(f"{LIST}?state=revoked").content.decode()
        assert "Browser-Kept" in active and "Browser-Revoked" not in active
        assert "Browser-Revoked" in revoked and "Browser-Kept" not in revoked

    def test_search_by_username(self) -> None:
        make_browser(self.alice, self.device)
        assert "Firefox (Linux)" in self.client.get(f"{LIST}?q=alice").content.decode()
        assert "Firefox (Linux)" not in self.client.get(f"{LIST}?q=nobody").content.decode()

    def test_the_revoke_action(self) -> None:
        received: list[dict[str, Any]] = []
        signals.browser_revoked.connect(
            lambda **kw: received.append(kw), weak=False, dispatch_uid="admin-test"
        )
        self.addCleanup(signals.browser_revoked.disconnect, dispatch_uid="admin-test")
        browser = make_browser(self.alice, self.device)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                LIST,
                {"action": "revoke_selected", "_selected_action": [browser.pk]},
                follow=True,
            )
        assert "1 browser revoked." in response.content.decode()
        browser.refresh_from_db()
        assert browser.status == "revoked"
        assert browser.revoke_reason == "admin"
        assert [call["reason"] for call in received] == ["admin"]
        assert (
            "revoked by an administrator"
            in self.client.get(f"{LIST}{browser.pk}/change/").content.decode()
        )

    def test_no_browser_is_added_by_hand(self) -> None:
        assert self.client.get(f"{LIST}add/").status_code == 403

    def test_resets_are_read_only(self) -> None:
        AssuranceReset.objects.create(user=self.alice, at=timezone.now())
        page = self.client.get(RESETS)
        assert page.status_code == 200 and "alice" in page.content.decode()
        assert self.client.get(f"{RESETS}add/").status_code == 403
        assert self.client.get(f"{RESETS}{self.alice.pk}/delete/").status_code == 403
        change = self.client.post(f"{RESETS}{self.alice.pk}/change/", {"at_0": "2000-01-01"})
        assert change.status_code in (200, 403)
        assert AssuranceReset.objects.get(user=self.alice).at.year != 2000


class ModelTests(TestCase):
    def test_status_and_str(self) -> None:
        alice = get_user_model().objects.create_user("alice")
        device = TOTPDevice.objects.create(user=alice, name="phone")
        with freeze_time("2026-12-01 10:00:00") as frozen:
            browser = make_browser(alice, device, label="")
            assert (browser.status, browser.is_active, str(browser)) == (
                "active",
                True,
                "unknown browser",
            )
            frozen.tick(datetime.timedelta(days=31))
            assert (browser.status, browser.is_active) == ("expired", False)
            assert not RememberedBrowser.objects.active().exists()
            browser.revoked_at = timezone.now()
            assert browser.status == "revoked"


class WithoutTheAppTests(TestCase):
    @override_settings(OTP_REMEMBER_DAYS=30)
    def test_the_check_warns_that_nothing_is_remembered(self) -> None:
        assert check_remember() == []
        with self.settings(INSTALLED_APPS=WITHOUT_APP):
            messages = check_remember()
            assert not remember.enabled()
        assert [message.id for message in messages] == ["django_otp.W003"]
        assert check_remember in registry.get_checks()
        assert "OTP_REMEMBER_DAYS is 30" in messages[0].msg
        assert "'django_otp.contrib.remember'" in messages[0].hint

    def test_no_warning_when_the_feature_is_off(self) -> None:
        with self.settings(INSTALLED_APPS=WITHOUT_APP):
            assert check_remember() == []

    @override_settings(OTP_REMEMBER_DAYS=30, INSTALLED_APPS=WITHOUT_APP)
    def test_the_functions_do_nothing_and_the_forms_offer_nothing(self) -> None:
        alice = get_user_model().objects.create_user("alice", password="pw")
        assert remember.browsers_for(alice) == []
        assert remember.revoke(alice, 1) is False
        assert remember.revoke_all(alice) == 0
        assert remember.revoke_everything(alice) == 0
        request = self.client.get("/untouched/").wsgi_request
        assert remember.remember(request, HttpResponse(), None).error == "disabled"
        assert "otp_remember" not in self.client.get("/login/").context["form"].fields
