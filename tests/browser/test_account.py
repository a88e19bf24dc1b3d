"""The account pages in a real browser, the way a person uses them.

A new user enrols an authenticator app by scanning the QR code (decoded with ``zbarimg``
from a screenshot) and typing the code ``oathtool`` computes from it, saves backup codes
(the download), then, once the session is no longer recent, renames the app after a step-up
with a backup code and removes it after a step-up with the app itself. Another walk adds an
email address. Every page passes axe-core and is photographed for the docs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import BrowserContext, Page, Route, expect

from django_otp.internal.session_keys import ACTIVITY_SESSION_KEY, PROOFS_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.browser.axe import assert_accessible
from tests.browser.tools import missing

pytestmark = pytest.mark.browser

OVERVIEW = "/otp/security/"


#: The Debian package of each command-line tool the tests use.
PACKAGES = {"zbarimg": "zbar-tools", "oathtool": "oathtool"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found; install Debian's package {PACKAGES[name]}")
    return path


def scan(image: Path) -> str:
    """The text of the QR code in ``image``, as a phone's camera would read it."""
    result = subprocess.run(
        [tool("zbarimg"), "--quiet", "--raw", str(image)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def app_code(secret: str, later: int = 0) -> str:
    """The code an authenticator app with ``secret`` shows ``later`` seconds from now."""
    now = int(time.time()) + later
    result = subprocess.run(
        [tool("oathtool"), "--totp", "--base32", f"--now=@{now}", secret],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def age_session(context: BrowserContext, seconds: int) -> None:
    """Make everything the browser's session proved ``seconds`` older, as time passing would."""
    key = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[PROOFS_SESSION_KEY] = [
        [method, device, at - seconds, amr, properties]
        for method, device, at, amr, properties in session[PROOFS_SESSION_KEY]
    ]
    session[ACTIVITY_SESSION_KEY] -= seconds
    session.save()


def visit(page: Page, screenshot: Callable[[str], Path], name: str) -> None:
    """Photograph the page for the docs and check it with axe-core."""
    page.wait_for_load_state()
    screenshot(name)
    assert_accessible(page)


def test_enrol_an_app_save_backup_codes_rename_and_remove(
    page: Page,
    context: BrowserContext,
    sign_in: Callable[..., None],
    screenshot: Callable[[str], Path],
    output_dir: Path,
) -> None:
    user = get_user_model().objects.create_user("newcomer", "new@x.example", "pw")
    sign_in(user)

    page.goto(OVERVIEW)
    expect(page.get_by_text("protected by your password alone")).to_be_visible()
    visit(page, screenshot, "overview-empty")

    page.get_by_role("link", name="Add an authenticator app").click()
    expect(page.get_by_role("heading", name="Add an authenticator app")).to_be_visible()
    visit(page, screenshot, "add-app")
    qr = output_dir / "qr.png"
    page.get_by_role("img", name="QR code for your authenticator app").screenshot(path=qr)
    uri = scan(qr)
    assert uri.startswith("otpauth://totp/") and unquote(urlsplit(uri).path) == "/newcomer"
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert page.locator(".otp-secret").inner_text().replace(" ", "") == secret
    assert page.get_by_role("link", name="open this key in the app").get_attribute("href") == uri

    page.get_by_label("Code", exact=True).fill(app_code(secret))
    page.get_by_label("Name", exact=True).fill("Phone")
    page.get_by_role("button", name="Add the app").click()
    expect(page.get_by_text("Your authenticator app was added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Phone")).to_be_visible()
    visit(page, screenshot, "overview")
    assert TOTPDevice.objects.get(user=user).confirmed

    page.get_by_role("link", name="Get backup codes").click()
    visit(page, screenshot, "backup-codes")
    page.get_by_role("button", name="Generate 10 new codes").click()
    expect(page.get_by_role("heading", name="Your new backup codes")).to_be_visible()
    visit(page, screenshot, "backup-codes-new")
    shown = page.locator(".otp-codes code").all_inner_texts()
    assert len(shown) == 10
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as a text file").click()
    download = download_info.value
    assert download.suggested_filename == "backup-codes.txt"
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert re.findall(r"^[0-9a-z]{4}-\S+$", saved, re.M) == shown
    page.goto("/otp/security/backup-codes/")
    expect(page.get_by_text("You have 10 backup codes left.")).to_be_visible()
    assert page.locator(".otp-codes").count() == 0 and shown[0] not in page.content()

    age_session(context, 3600)
    page.goto(OVERVIEW)
    page.get_by_role("link", name="Rename Phone").click()
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent&"))
    visit(page, screenshot, "step-up")
    page.get_by_label("Device").select_option(label="Backup codes")
    page.get_by_label("Code", exact=True).fill(shown[0])
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("heading", name="Rename “Phone”")).to_be_visible()
    visit(page, screenshot, "rename")
    page.get_by_label("Name", exact=True).fill("Work phone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The name was changed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Work phone")).to_be_visible()

    page.get_by_role("link", name="Remove Work phone").click()
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent_strong&"))
    options = page.get_by_label("Device").locator("option").all_inner_texts()
    assert "Backup codes" not in options and "Work phone" in options
    visit(page, screenshot, "step-up-strong")
    page.get_by_label("Device").select_option(label="Work phone")
    page.get_by_label("Code", exact=True).fill(app_code(secret, later=30))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("heading", name="Remove “Work phone”?")).to_be_visible()
    visit(page, screenshot, "remove")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("“Work phone” was removed.")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert StaticDevice.objects.get(user=user).token_set.count() == 9


def test_add_an_email_address_and_remove_the_last_method(
    page: Page, sign_in: Callable[..., None], screenshot: Callable[[str], Path], settings: Any
) -> None:
    settings.OTP_EMAIL_THROTTLE_FACTOR = 0  # no wait after the wrong code
    user = get_user_model().objects.create_user("mailer", "mailer@x.example", "pw")
    sign_in(user)
    page.goto(OVERVIEW)
    page.get_by_role("link", name="Add an email address").click()
    visit(page, screenshot, "add-email")
    expect(page.get_by_label("Email address")).to_have_value("mailer@x.example")
    page.get_by_role("button", name="Send a code").click()
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    expect(page.get_by_text("You can ask for a new code in")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(
        "000000" if "000000" not in mail.outbox[-1].body else "111111"
    )
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Invalid token")).to_be_visible()
    visit(page, screenshot, "confirm-email-error")
    token = EmailDevice.objects.get(user=user).token
    assert token in mail.outbox[-1].body
    page.get_by_label("Code", exact=True).fill(token)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your email address was added.")).to_be_visible()

    page.get_by_role("link", name="Remove mailer@x.example").click()
    expect(page.get_by_text("This is your last sign-in method")).to_be_visible()
    visit(page, screenshot, "remove-last")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Tick the box to remove your last sign-in method.")).to_be_visible()
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("protected by your password alone")).to_be_visible()
    assert not EmailDevice.objects.filter(user=user).exists()


def test_a_narrow_screen_shows_the_whole_qr_code(
    page: Page, sign_in: Callable[..., None], screenshot: Callable[[str], Path]
) -> None:
    user = get_user_model().objects.create_user("phone", "phone@x.example", "pw")
    sign_in(user)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/otp/security/app/")
    box = page.get_by_role("img", name="QR code for your authenticator app").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    visit(page, screenshot, "add-app-narrow")


#: What a site with a strict Content-Security-Policy sends: nothing inline, nothing foreign.
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'"


def test_the_pages_work_under_a_strict_content_security_policy(
    page: Page, context: BrowserContext, sign_in: Callable[..., None], output_dir: Path
) -> None:
    def with_csp(route: Route) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    context.route("**/*", with_csp)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    user = get_user_model().objects.create_user("strict", "strict@x.example", "pw")
    sign_in(user)
    for url in [OVERVIEW, "/otp/security/app/", "/otp/security/email/"]:
        page.goto(url)
        page.wait_for_load_state()
    qr = output_dir / "qr.png"
    page.goto("/otp/security/app/")
    page.get_by_role("img", name="QR code for your authenticator app").screenshot(path=qr)
    assert scan(qr).startswith("otpauth://totp/")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "576px"
    assert refused == []
