"""Signing in through ``django_otp.views.LoginView`` in a real browser, with a TOTP device.

``/browser/login/`` in tests/urls.py renders the view with ``tests/templates/browser/login.html``,
a plain page like the demo's. As in django-otp, the form lists the user's devices only once
it knows the user, so the first post, even with the right code, comes back with "Please select
a device."; the device is picked on the second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser

PROTECTED = "/protected/bare/"
LOGIN = f"/browser/login/?next={PROTECTED}"


@pytest.fixture
def device() -> TOTPDevice:
    alice = get_user_model().objects.create_user("alice", password="alice-password")
    return TOTPDevice.objects.create(user=alice, name="Phone")


def current_code(device: TOTPDevice) -> str:
    """The code the device's authenticator app shows now."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A code of the right shape that no step near now accepts."""
    near = {
        f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):0{device.digits}d}"
        for drift in range(-device.tolerance - 2, device.tolerance + 3)
    }
    return next(code for code in (f"{n:06d}" for n in range(10**6)) if code not in near)


def session_state(page: Page) -> dict[str, Any]:
    page.goto("/whoami/")
    return json.loads(page.locator("body").inner_text())


def submit(page: Page, code: str) -> None:
    page.get_by_label("One-time password:").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_in_up_to_device_choice(page: Page, device: TOTPDevice) -> None:
    """Post username, password and a code, and wait for the device list the form then shows."""
    page.goto(LOGIN)
    page.get_by_label("Username:", exact=True).fill("alice")
    page.get_by_label("Password:", exact=True).fill("alice-password")
    submit(page, current_code(device))
    expect(page.get_by_text("Please select a device.")).to_be_visible()
    page.get_by_label("Device:", exact=True).select_option(label=device.name)


def test_correct_code_reaches_otp_required_page(
    page: Page, device: TOTPDevice, screenshot: Callable[[str], Path]
) -> None:
    page.goto(LOGIN)
    screenshot("login")
    assert_accessible(page)

    sign_in_up_to_device_choice(page, device)
    screenshot("device-choice")
    assert_accessible(page)
    submit(page, current_code(device))

    expect(page).to_have_url(re.compile(r"/protected/bare/$"))
    assert page.locator("body").inner_text() == "secret"
    screenshot("protected")
    assert session_state(page) == {
        "authenticated": True,
        "verified": True,
        "device": device.persistent_id,
        "current_request": True,
    }


def test_wrong_code_shows_the_error_and_signs_nobody_in(
    page: Page, device: TOTPDevice, screenshot: Callable[[str], Path]
) -> None:
    sign_in_up_to_device_choice(page, device)
    submit(page, wrong_code(device))

    expect(
        page.get_by_text("Invalid token. Please make sure you have entered it correctly.")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/browser/login/\?next=/protected/bare/$"))
    screenshot("invalid-token")
    assert_accessible(page)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert session_state(page)["authenticated"] is False
