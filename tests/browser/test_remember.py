"""A remembered browser in Chromium: trusted at a step-up, recalled by a new session on a
page behind ``otp_required``, revoked by an administrator, and then no longer trusted.

Each browser context stands for a browser (or a new session of one): the person's first
session, a later session of the same browser that only keeps the remembered-browser cookie,
and the administrator's browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, Page, expect

from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.sessions import signed_in_session_key
from tests.browser.test_login import current_code

pytestmark = pytest.mark.browser

COOKIE = "otp_remember"


@pytest.fixture
def alice(settings: Any) -> Any:
    settings.OTP_REMEMBER_DAYS = 30
    user = get_user_model().objects.create_user("alice", password="alice-password")
    TOTPDevice.objects.create(user=user, name="Phone")
    return user


@pytest.fixture
def new_browser(browser: Browser, base_url: str) -> Iterator[Callable[..., BrowserContext]]:
    """``new_browser(user, cookies)``: a context signed in as ``user`` with a password only,
    holding the given extra cookies (a new session of a browser)."""
    contexts: list[BrowserContext] = []

    def make(user: Any, cookies: tuple[Any, ...] = ()) -> BrowserContext:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(TIMEOUT_MS)
        session = {
            "name": settings.SESSION_COOKIE_NAME,
            "value": signed_in_session_key(user),
            "url": base_url,
        }
        context.add_cookies([session, *cookies])
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def whoami(page: Page) -> dict[str, Any]:
    page.goto("/whoami/")
    return json.loads(page.locator("body").inner_text())


def test_trust_recall_revoke(
    page: Page,
    context: BrowserContext,
    sign_in: Callable[..., None],
    new_browser: Callable[..., BrowserContext],
    alice: Any,
    screenshot: Callable[[str], Path],
    output_dir: Path,
) -> None:
    device = TOTPDevice.objects.get(user=alice)

    # Signed in with a password, Alice opens a page that wants a recent code.
    sign_in(alice)
    page.goto("/protected/recent/")
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent"))
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    trust = page.get_by_label("Trust this browser for 30 days")
    expect(trust).not_to_be_checked()
    screenshot("step-up")
    assert_accessible(page)

    page.get_by_label("Device").select_option(label="Phone")
    page.get_by_label("Code").fill(current_code(device))
    trust.check()
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page).to_have_url(re.compile(r"/protected/recent/$"))
    assert page.locator("body").inner_text() == "secret"
    screenshot("trusted")

    (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["expires"] > 0  # persistent, unlike the session cookie
    row = RememberedBrowser.objects.get(user=alice)
    assert row.label == "Chrome (Linux)"
    assert cookie["value"] not in (row.selector, row.secret_hash)

    # A new session of that browser: the password again, and the remembered cookie only.
    later = new_browser(alice, (cookie,)).new_page()
    later.goto("/protected/bare/")
    assert later.locator("body").inner_text() == "secret"
    assert whoami(later)["verified"] is True
    later.goto("/protected/recent/")
    expect(later).to_have_url(re.compile(r"/otp/step-up/\?policy=recent"))  # never fresh

    # The administrator revokes it.
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    admin = new_browser(root).new_page()
    admin.goto("/admin/otp_remember/rememberedbrowser/")
    expect(admin.get_by_role("cell", name="active")).to_be_visible()
    # The row's action checkbox (its accessible name differs between Django versions).
    admin.locator("input[name='_selected_action']").first.check()
    admin.get_by_role("combobox", name="Action").select_option(label="Revoke the selected browsers")
    admin.get_by_role("button", name=re.compile(r"^(Go|Run)$")).click()
    expect(admin.get_by_text("1 browser revoked.")).to_be_visible()
    expect(admin.get_by_role("cell", name="revoked", exact=True)).to_be_visible()
    admin.screenshot(path=output_dir / "03-admin-revoked.png", full_page=True)

    # The next new session of Alice's browser is asked for a code again.
    again = new_browser(alice, (cookie,))
    again_page = again.new_page()
    again_page.goto("/protected/bare/")
    expect(again_page).to_have_url(re.compile(r"/login/\?next=/protected/bare/$"))
    assert [c for c in again.cookies() if c["name"] == COOKIE] == []  # deleted as bad
    assert whoami(again_page)["verified"] is False
