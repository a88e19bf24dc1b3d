"""The two-step sign-in (``otp:login``) in a real browser, as a person walks it.

Codes of the authenticator app are computed by ``oathtool`` (Debian's oathtool) from the
device's key, as a phone would. Every page is checked with axe-core and photographed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.browser.axe import assert_accessible
from tests.browser.tools import missing
from tests.signin_helpers import PASSWORD

pytestmark = pytest.mark.browser

PROTECTED = "/protected/bare/"


def oathtool(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for ``device``, computed by oathtool."""
    tool = shutil.which("oathtool")
    if tool is None:
        missing("oathtool not found; install Debian's package oathtool")
    result = subprocess.run(
        [
            tool,
            "--totp",
            f"--digits={device.digits}",
            f"--time-step-size={device.step}s",
            device.key,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def password_step(page: Page, screenshot: Callable[[str], Path]) -> None:
    page.goto(f"/otp/login/?next={PROTECTED}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot("password")
    assert_accessible(page)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()


def signed_in(page: Page) -> None:
    expect(page).to_have_url(re.compile(rf"{re.escape(PROTECTED)}$"))
    assert page.locator("body").inner_text() == "secret"


def test_password_then_the_code_of_the_authenticator_app(
    page: Page, phone: TOTPDevice, screenshot: Callable[[str], Path]
) -> None:
    password_step(page, screenshot)
    expect(page.get_by_text("Signing in as alice.")).to_be_visible()
    field = page.get_by_label("Code", exact=True)
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.get_attribute("inputmode") == "numeric"
    screenshot("code")
    assert_accessible(page)
    field.fill(oathtool(phone))
    page.get_by_role("button", name="Verify").click()
    signed_in(page)


def test_a_wrong_code_says_how_long_to_wait(
    page: Page, phone: TOTPDevice, screenshot: Callable[[str], Path], settings: Any
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    password_step(page, screenshot)
    right = oathtool(phone)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code", exact=True).fill(wrong)
    page.get_by_role("button", name="Verify").click()
    error = page.locator("#otp-token-error")
    expect(error).to_have_text("That code is not right. You can try again in 1 minute.")
    assert page.get_by_label("Code", exact=True).get_attribute("aria-invalid") == "true"
    screenshot("wrong-code")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(right)
    page.get_by_role("button", name="Verify").click()
    expect(error).to_have_text(
        re.compile(r"Too many wrong codes\. Try again in (1 minute|\d+ seconds)\.")
    )
    screenshot("wait")
    phone.refresh_from_db()
    assert phone.throttling_failure_count == 1 and phone.last_t == -1


def test_another_method_a_backup_code(
    page: Page, phone: TOTPDevice, backup: StaticDevice, screenshot: Callable[[str], Path]
) -> None:
    password_step(page, screenshot)
    page.get_by_role("link", name="Backup code", exact=True).click()
    expect(page.get_by_role("heading", name="Backup code", exact=True)).to_be_visible()
    assert page.get_by_label("Code", exact=True).get_attribute("inputmode") == "text"
    screenshot("backup-code")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(" ABCD 2345 EFGH ")
    page.get_by_role("button", name="Verify").click()
    signed_in(page)
    assert not backup.token_set.exists()


def test_an_emailed_code(
    page: Page, alice: Any, screenshot: Callable[[str], Path], mailoutbox: Any
) -> None:
    from django_otp.plugins.otp_email.models import EmailDevice

    EmailDevice.objects.create(user=alice, name="Mail", email="alice@example.com")
    password_step(page, screenshot)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_text("We sent you a code. Enter it below.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"You can ask for a new code in \d+ seconds\."))
    ).to_be_visible()
    screenshot("email-sent")
    assert_accessible(page)
    code = re.search(r"\d{6}", mailoutbox[-1].body).group(0)  # type: ignore[union-attr]
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()
    signed_in(page)


def test_the_reminder_of_enforcement(
    page: Page, alice: Any, screenshot: Callable[[str], Path], settings: Any
) -> None:
    settings.OTP_ENFORCE_FOR = "everyone"
    settings.OTP_ENFORCE_GRACE_UNTIL = "2099-01-01"
    page.goto("/otp/login/?next=/whoami/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    screenshot("reminder")
    assert_accessible(page)
    page.get_by_role("button", name="Not now").click()
    expect(page).to_have_url(re.compile(r"/whoami/$"))
    assert '"authenticated": true' in page.locator("body").inner_text()
