"""The journey of a new user, end to end in Chromium, the way a person walks it.

They sign in on ``otp:login`` with a password, meet enforcement's wall, enrol an
authenticator app by scanning its QR code (``zbarimg`` reads a screenshot) and typing the code
``oathtool`` computes, save their backup codes (the download), sign out, sign in with a backup
code, add a passkey (Chromium's virtual authenticator) after a step-up with the app, trusting
the browser on the way, look at the remembered browser, remove the app after a step-up
with the passkey (the browser trusted with it is forgotten with it), and sign out everywhere,
which also ends the session of another browser.
Every page passes axe-core and is photographed; the docs use these pictures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.sessions import signed_in_session_key
from tests.browser.test_account import app_code, scan, visit
from tests.browser.webauthn import PASSKEY, VirtualAuthenticator

pytestmark = pytest.mark.browser

PASSWORD = "a long and new password"
OVERVIEW = "/otp/security/"


@pytest.fixture
def site(settings: Any, base_url: str) -> None:
    """A site that includes ``django_otp.urls``, signs in with ``otp:login`` and makes
    everyone use a second factor, with no grace period; passkeys on the live server's origin,
    remembered browsers, and an email for each change."""
    settings.ROOT_URLCONF = "tests.browser.journey_urls"
    settings.LOGIN_URL = "otp:login"
    settings.LOGIN_REDIRECT_URL = "home"
    settings.OTP_ENFORCE_FOR = "everyone"
    settings.OTP_REMEMBER_DAYS = 30
    settings.OTP_NOTIFY_EMAIL = True
    settings.OTP_WEBAUTHN_ORIGINS = [base_url]


def password_step(page: Page, screenshot: Callable[[str], Path], name: str) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    visit(page, screenshot, name)
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_the_journey_of_a_new_user(
    page: Page,
    browser: Browser,
    base_url: str,
    site: None,
    screenshot: Callable[[str], Path],
    output_dir: Path,
    virtual_authenticator: Callable[..., VirtualAuthenticator],
    mailoutbox: list[Any],
) -> None:
    user = get_user_model().objects.create_user("newcomer", "newcomer@x.example", PASSWORD)

    # Signs in with the password, and meets the wall: no device yet, no grace period.
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    password_step(page, screenshot, "sign-in")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.get_by_role("button", name="Not now")).to_have_count(0)
    visit(page, screenshot, "wall")
    page.goto("/protected/bare/")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()

    # Enrols an authenticator app by scanning the QR code.
    page.get_by_role("link", name="Set it up now").click()
    expect(page.get_by_text("protected by your password alone")).to_be_visible()
    visit(page, screenshot, "overview-empty")
    page.get_by_role("link", name="Add an authenticator app").click()
    visit(page, screenshot, "add-app")
    qr = output_dir / "qr.png"
    page.get_by_role("img", name="QR code for your authenticator app").screenshot(path=qr)
    secret = parse_qs(urlsplit(scan(qr)).query)["secret"][0]
    page.get_by_label("Code", exact=True).fill(app_code(secret))
    page.get_by_label("Name", exact=True).fill("Phone")
    page.get_by_role("button", name="Add the app").click()
    expect(page.get_by_text("Your authenticator app was added.")).to_be_visible()
    visit(page, screenshot, "overview-app")

    # Saves the backup codes.
    page.get_by_role("link", name="Get backup codes").click()
    page.get_by_role("button", name="Generate 10 new codes").click()
    expect(page.get_by_role("heading", name="Your new backup codes")).to_be_visible()
    visit(page, screenshot, "backup-codes-new")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as a text file").click()
    saved = Path(download_info.value.path()).read_text(encoding="utf-8")
    codes = re.findall(r"^[0-9a-z]{4}-\S+$", saved, re.M)
    assert len(codes) == 10

    # The wall is gone; signs out.
    page.goto("/")
    expect(page.get_by_text("Signed in as newcomer.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are not signed in.")).to_be_visible()

    # Signs in again with a backup code instead of the app.
    page.goto(OVERVIEW)
    password_step(page, screenshot, "sign-in-again")
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_role("link", name="Backup code", exact=True).click()
    page.get_by_label("Code", exact=True).fill(codes[0])
    visit(page, screenshot, "backup-code")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Account security")).to_be_visible()
    expect(page.get_by_text("You have 9 backup codes left.")).to_be_visible()

    # Adds a passkey: a backup code is not enough for that, the app is (and trusts the browser).
    page.get_by_role("link", name="Add a passkey or security key").click()
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent_strong&"))
    options = page.get_by_label("Device").locator("option").all_inner_texts()
    assert "Backup codes" not in options and "Phone" in options
    page.get_by_label("Device").select_option(label="Phone")
    page.get_by_label("Code", exact=True).fill(app_code(secret, later=30))
    page.get_by_label("Trust this browser for 30 days").check()
    visit(page, screenshot, "step-up-strong")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("heading", name="Passkeys and security keys")).to_be_visible()
    visit(page, screenshot, "add-passkey")
    authenticator = virtual_authenticator(PASSKEY)
    page.get_by_label("Name (optional)").fill("Laptop")
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page.get_by_text("“Laptop” was added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Laptop")).to_be_visible()
    expect(page.get_by_text("This browser", exact=True)).to_be_visible()
    visit(page, screenshot, "overview")
    assert len(authenticator.credentials()) == 1
    assert WebAuthnDevice.objects.get(user=user).name == "Laptop"

    # The browser it trusted; it was trusted with the app.
    page.get_by_role("link", name="Forget browsers").click()
    expect(page.get_by_role("heading", name="Remembered browsers")).to_be_visible()
    forget_this = re.compile(r"^Forget .*\(This browser\)$")
    expect(page.get_by_role("button", name=forget_this)).to_be_visible()
    visit(page, screenshot, "browsers")
    page.get_by_role("link", name="Cancel").click()

    # Removes the app: the account's strongest factor is now the passkey, so it confirms
    # with the passkey; the step-up page offers nothing else.
    page.get_by_role("link", name="Remove Phone").click()
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent_phishing_resistant&"))
    expect(page.get_by_label("Device")).to_have_count(0)
    visit(page, screenshot, "step-up-passkey")
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("heading", name="Remove “Phone”?")).to_be_visible()
    visit(page, screenshot, "remove")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("“Phone” was removed.")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert StaticDevice.objects.get(user=user).token_set.count() == 9
    # The browser trusted with the app is no longer trusted.
    expect(page.get_by_text("No browser is remembered.")).to_be_visible()
    assert RememberedBrowser.objects.get(user=user).revoke_reason == "device_removed"

    # Signs out everywhere: another browser, signed in with the passkey, is signed out too.
    laptop = WebAuthnDevice.objects.get(user=user)
    other = browser.new_context(base_url=base_url)
    other.set_default_timeout(TIMEOUT_MS)
    session = signed_in_session_key(user, laptop)
    cookie = {"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}
    other.add_cookies([cookie])
    elsewhere = other.new_page()
    elsewhere.goto(OVERVIEW)
    expect(elsewhere.get_by_role("heading", name="Account security")).to_be_visible()

    page.goto(OVERVIEW)
    page.get_by_role("link", name="Sign out everywhere").click()
    expect(page.get_by_role("heading", name="Sign out everywhere?")).to_be_visible()
    visit(page, screenshot, "sign-out")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("heading", name="You are signed out everywhere")).to_be_visible()
    visit(page, screenshot, "signed-out")

    elsewhere.reload()
    expect(elsewhere.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()
    page.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    assert [message.subject for message in mailoutbox] == [
        "A new sign-in method was added to your account",
        "New backup codes were made for your account",
        "A new sign-in method was added to your account",
        "A sign-in method was removed from your account",
    ]
