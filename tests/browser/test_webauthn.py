"""Passkeys and security keys in a real browser: Chromium's virtual authenticators against the
plugin's pages, JSON endpoints and ES module, as a person would use them.

Register a passkey in a session verified with TOTP, sign out, sign in with the password and
the passkey, sign in without a password; the refusals of a bad UP or UV flag, a bogus
signature and a cloned credential; and a U2F security key as a second factor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.browser.axe import assert_accessible
from tests.browser.webauthn import PASSKEY, SECURITY_KEY, VirtualAuthenticator

pytestmark = pytest.mark.browser

PASSWORD = "alice-password"
PROTECTED = "/protected/phr/"  # behind the phishing_resistant policy: only a key meets it


@pytest.fixture(autouse=True)
def origin(settings: Any, base_url: str) -> None:
    """The live server's exact origin is the one ceremonies may come from."""
    settings.OTP_WEBAUTHN_ORIGINS = [base_url]


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def phone(alice: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=alice, name="Phone")


def whoami(page: Page) -> dict[str, Any]:
    response = page.request.get("/whoami/")
    return response.json()  # type: ignore[no-any-return]


def add_key(page: Page, name: str) -> WebAuthnDevice:
    """Add a key on the passkeys page and wait until the list shows it."""
    page.goto("/browser/passkeys/")
    page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page.get_by_role("cell", name=name)).to_be_visible()
    return WebAuthnDevice.objects.get(name=name)


def sign_out(page: Page) -> None:
    page.context.clear_cookies()
    assert whoami(page)["authenticated"] is False


def password_sign_in(page: Page, next_url: str = PROTECTED) -> None:
    page.goto(f"/browser/password-login/?next={next_url}")
    page.get_by_label("Username:").fill("alice")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def use_key(page: Page) -> None:
    """On the step-up page, prove a key."""
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=phishing_resistant"))
    page.get_by_role("button", name="Use a passkey or security key").click()


@pytest.fixture
def enrolled(
    page: Page,
    phone: TOTPDevice,
    sign_in: Callable[..., None],
    virtual_authenticator: Callable[..., VirtualAuthenticator],
) -> tuple[VirtualAuthenticator, WebAuthnDevice]:
    """A passkey added in a session verified with TOTP; then signed out."""
    authenticator = virtual_authenticator(PASSKEY)
    sign_in(phone.user, phone)
    device = add_key(page, "Laptop")
    sign_out(page)
    return authenticator, device


def test_register_after_totp_then_password_and_passkey(
    page: Page,
    phone: TOTPDevice,
    sign_in: Callable[..., None],
    virtual_authenticator: Callable[..., VirtualAuthenticator],
    screenshot: Callable[[str], Path],
) -> None:
    authenticator = virtual_authenticator(PASSKEY)
    sign_in(phone.user, phone)
    page.goto("/browser/passkeys/")
    screenshot("passkeys-empty")
    assert_accessible(page)
    device = add_key(page, "Laptop")
    screenshot("passkey-added")
    assert len(authenticator.credentials()) == 1
    assert device.user == phone.user and device.user_verified and device.discoverable
    assert not device.backup_eligible

    sign_out(page)
    password_sign_in(page)
    screenshot("step-up")
    assert_accessible(page)
    use_key(page)
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+" + re.escape(PROTECTED) + "$"))
    assert page.locator("body").inner_text() == "secret"
    assert whoami(page)["device"] == device.persistent_id
    device.refresh_from_db()
    assert device.sign_count >= 1 and device.last_used_at is not None


def test_passwordless_sign_in(
    page: Page,
    settings: Any,
    enrolled: tuple[VirtualAuthenticator, WebAuthnDevice],
    screenshot: Callable[[str], Path],
) -> None:
    settings.OTP_WEBAUTHN_PASSWORDLESS = True
    _, device = enrolled
    page.goto("/browser/passkey-login/?next=/protected/bare/")
    screenshot("passkey-login")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/protected/bare/$"))
    assert page.locator("body").inner_text() == "secret"
    state = whoami(page)
    assert state["authenticated"] and state["verified"]
    assert state["device"] == device.persistent_id
    assert page.request.get("/assurance/").json()["methods"] == ["webauthn"]


def test_passwordless_sign_in_from_autofill(
    page: Page, settings: Any, enrolled: tuple[VirtualAuthenticator, WebAuthnDevice]
) -> None:
    # The page starts a conditional request at once; Chromium's virtual authenticator
    # answers it as a person picking the passkey in the username's autofill would.
    settings.OTP_WEBAUTHN_PASSWORDLESS = True
    _, device = enrolled
    page.goto("/browser/passkey-login/?autofill=1&next=/protected/bare/")
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/protected/bare/$"))
    assert whoami(page)["device"] == device.persistent_id


def refused(page: Page, message: str, device: WebAuthnDevice) -> None:
    """The step-up page shows ``message``; the session stays unverified; one failure."""
    expect(page.get_by_role("status")).to_have_text(message)
    expect(page).to_have_url(re.compile(r"/otp/step-up/"))
    assert whoami(page)["verified"] is False
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_bad_user_presence_is_refused(
    page: Page, enrolled: tuple[VirtualAuthenticator, WebAuthnDevice]
) -> None:
    authenticator, device = enrolled
    authenticator.set_response_override_bits(bad_up=True)
    password_sign_in(page)
    use_key(page)
    refused(page, "Your authenticator did not confirm that you were present.", device)


def test_bad_user_verification_is_refused_when_required(
    page: Page, settings: Any, enrolled: tuple[VirtualAuthenticator, WebAuthnDevice]
) -> None:
    settings.OTP_WEBAUTHN_USER_VERIFICATION = "required"
    authenticator, device = enrolled
    authenticator.set_response_override_bits(bad_uv=True)
    password_sign_in(page)
    use_key(page)
    refused(
        page,
        "Your authenticator did not verify you (PIN or biometrics), which this site requires.",
        device,
    )


def test_bogus_signature_is_refused(
    page: Page, enrolled: tuple[VirtualAuthenticator, WebAuthnDevice]
) -> None:
    authenticator, device = enrolled
    authenticator.set_response_override_bits(bogus_signature=True)
    password_sign_in(page)
    use_key(page)
    refused(page, "Your passkey or security key could not be verified.", device)


def test_cloned_credential_is_refused(
    page: Page,
    enrolled: tuple[VirtualAuthenticator, WebAuthnDevice],
    screenshot: Callable[[str], Path],
) -> None:
    _, device = enrolled
    # The original authenticator signed in elsewhere many times since: the stored counter
    # is ahead of what this copy sends.
    WebAuthnDevice.objects.filter(pk=device.pk).update(sign_count=1000)
    password_sign_in(page)
    use_key(page)
    refused(
        page,
        "This passkey or security key seems to have been copied, so it was refused. "
        "Please contact the site's support.",
        device,
    )
    screenshot("cloned")
    assert device.sign_count == 1000


def test_u2f_security_key_as_second_factor(
    page: Page,
    phone: TOTPDevice,
    sign_in: Callable[..., None],
    virtual_authenticator: Callable[..., VirtualAuthenticator],
) -> None:
    authenticator = virtual_authenticator(SECURITY_KEY)
    sign_in(phone.user, phone)
    device = add_key(page, "USB key")
    assert not device.user_verified and not device.backup_eligible
    assert [c["isResidentCredential"] for c in authenticator.credentials()] == [False]

    sign_out(page)
    password_sign_in(page)
    use_key(page)
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+" + re.escape(PROTECTED) + "$"))
    state = page.request.get("/assurance/").json()
    assert state["amr"] == ["pwd", "hwk", "user"] and state["aal"] == 3


def test_unsupported_browser_is_told_so(
    page: Page, phone: TOTPDevice, sign_in: Callable[..., None]
) -> None:
    page.add_init_script("delete window.PublicKeyCredential;")
    sign_in(phone.user, phone)
    page.goto("/browser/passkeys/")
    expect(page.get_by_role("status")).to_have_text(
        "This browser cannot use passkeys or security keys. Please use a current browser, "
        "or another way to sign in."
    )
    expect(page.get_by_role("button", name="Add a passkey or security key")).to_be_disabled()


def test_enrolment_without_verification_goes_to_step_up(
    page: Page, phone: TOTPDevice, sign_in: Callable[..., None], virtual_authenticator: Any
) -> None:
    virtual_authenticator(PASSKEY)
    sign_in(phone.user)  # password only: a stolen password must not add a key
    page.goto("/browser/passkeys/")
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page).to_have_url(re.compile(r"/otp/step-up/\?policy=recent"))
    assert not WebAuthnDevice.objects.exists()


def test_a_key_the_browser_does_not_have_reads_as_cancelled(
    page: Page,
    settings: Any,
    enrolled: tuple[VirtualAuthenticator, WebAuthnDevice],
    virtual_authenticator: Callable[..., VirtualAuthenticator],
) -> None:
    authenticator, device = enrolled
    authenticator.remove()
    virtual_authenticator(PASSKEY)  # another authenticator, without the credential
    settings.OTP_WEBAUTHN_TIMEOUT = 5
    password_sign_in(page)
    use_key(page)
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^The request (was cancelled|timed out)\. You can try again\.$"),
        timeout=15_000,
    )
    expect(page.get_by_role("button", name="Use a passkey or security key")).to_be_enabled()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
