"""Every factor on the two-step sign-in (``otp:login``) in Chromium: the password then a
passkey (nobody is signed in in between), a passkey alone from the username's autofill, and
"trust this browser" with a code and with a passkey, after which a new session of the
browser signs in with the password alone. Every page is checked with axe-core and
photographed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_signin import oathtool
from tests.browser.test_webauthn import add_key, sign_out
from tests.browser.webauthn import PASSKEY, VirtualAuthenticator
from tests.signin_helpers import PASSWORD

pytestmark = pytest.mark.browser

PROTECTED = "/protected/bare/"
COOKIE = "otp_remember"


@pytest.fixture(autouse=True)
def origin(settings: Any, base_url: str) -> None:
    """The live server's exact origin is the one ceremonies may come from."""
    settings.OTP_WEBAUTHN_ORIGINS = [base_url]


@pytest.fixture
def passkey(
    page: Page,
    phone: TOTPDevice,
    sign_in: Callable[..., None],
    virtual_authenticator: Callable[..., VirtualAuthenticator],
) -> WebAuthnDevice:
    """A passkey of Alice in the page's authenticator, added in a session verified with the
    authenticator app; then signed out."""
    virtual_authenticator(PASSKEY)
    sign_in(phone.user, phone)
    device = add_key(page, "Laptop")
    sign_out(page)
    return device


@pytest.fixture
def new_session(browser: Browser, base_url: str) -> Iterator[Callable[[Any], Page]]:
    """``new_session(cookie)``: a page of a new session of the same browser, which kept only
    the remembered-browser cookie."""
    contexts: list[BrowserContext] = []

    def make(cookie: Any) -> Page:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([cookie])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def whoami(page: Page) -> dict[str, Any]:
    return page.request.get("/whoami/").json()  # type: ignore[no-any-return]


def password(page: Page) -> None:
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def remembered_cookie(page: Page) -> Any:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    return cookie


def signed_in(page: Page) -> None:
    expect(page).to_have_url(re.compile(rf"^http://localhost:\d+{re.escape(PROTECTED)}$"))
    assert page.locator("body").inner_text() == "secret"


def test_password_then_passkey_and_trust_this_browser(
    page: Page,
    passkey: WebAuthnDevice,
    settings: Any,
    screenshot: Callable[[str], Path],
    new_session: Callable[[Any], Page],
) -> None:
    settings.OTP_REMEMBER_DAYS = 30
    page.goto(f"/otp/login/?next={PROTECTED}")
    password(page)
    expect(page.get_by_role("heading", name="Passkey or security key (Laptop)")).to_be_visible()
    expect(page.get_by_role("link", name="Authenticator app (Phone)")).to_be_visible()
    assert whoami(page)["authenticated"] is False  # not by the password alone
    trust = page.get_by_label("Trust this browser for 30 days")
    expect(trust).not_to_be_checked()
    screenshot("passkey-factor")
    assert_accessible(page)
    trust.check()
    page.get_by_role("button", name="Use a passkey or security key").click()
    signed_in(page)
    state = whoami(page)
    assert state["verified"] and state["device"] == passkey.persistent_id
    assert page.request.get("/assurance/").json()["methods"] == ["pwd", "webauthn"]
    browser = RememberedBrowser.objects.get(user=passkey.user)
    assert browser.device_id == passkey.persistent_id

    later = new_session(remembered_cookie(page))
    later.goto(f"/otp/login/?next={PROTECTED}")
    password(later)
    signed_in(later)  # the passkey is not asked for on this browser
    assert whoami(later)["device"] == passkey.persistent_id
    later.goto("/protected/phr/")  # a remembered browser is never a fresh key
    expect(later).to_have_url(re.compile(r"/otp/step-up/\?policy=phishing_resistant"))


def test_a_refused_passkey_leaves_the_person_on_the_page(
    page: Page, passkey: WebAuthnDevice, screenshot: Callable[[str], Path]
) -> None:
    page.goto(f"/otp/login/?next={PROTECTED}")
    password(page)
    WebAuthnDevice.objects.filter(pk=passkey.pk).update(sign_count=1000)  # a cloned key
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("status")).to_have_text(
        "This passkey or security key seems to have been copied, so it was refused. "
        "Please contact the site's support."
    )
    screenshot("refused")
    assert_accessible(page)
    assert whoami(page)["authenticated"] is False
    page.get_by_role("link", name="Authenticator app (Phone)").click()
    page.get_by_label("Code", exact=True).fill(oathtool(TOTPDevice.objects.get(name="Phone")))
    page.get_by_role("button", name="Verify").click()
    signed_in(page)


def test_passwordless_from_the_autofill(
    page: Page, passkey: WebAuthnDevice, settings: Any, screenshot: Callable[[str], Path]
) -> None:
    # The password page starts a conditional request at once; Chromium's virtual
    # authenticator answers it as a person picking the passkey in the username's autofill.
    settings.OTP_WEBAUTHN_PASSWORDLESS = True
    page.goto(f"/otp/login/?next={PROTECTED}")
    signed_in(page)
    screenshot("signed-in")
    state = whoami(page)
    assert state["verified"] and state["device"] == passkey.persistent_id
    assert page.request.get("/assurance/").json()["methods"] == ["webauthn"]


def test_trust_this_browser_with_a_code_then_the_password_alone(
    page: Page,
    phone: TOTPDevice,
    settings: Any,
    screenshot: Callable[[str], Path],
    new_session: Callable[[Any], Page],
    output_dir: Path,
) -> None:
    settings.OTP_REMEMBER_DAYS = 30
    settings.OTP_WEBAUTHN_PASSWORDLESS = True  # no passkey here: the offer stays unused
    page.goto(f"/otp/login/?next={PROTECTED}")
    expect(page.get_by_role("heading", name="Sign in with a passkey")).to_be_visible()
    assert page.get_by_label("Username").get_attribute("autocomplete") == "username webauthn"
    screenshot("password-and-passkey")
    assert_accessible(page)
    password(page)
    page.get_by_label("Code", exact=True).fill(oathtool(phone))
    page.get_by_label("Trust this browser for 30 days").check()
    screenshot("code-and-trust")
    assert_accessible(page)
    page.get_by_role("button", name="Verify").click()
    signed_in(page)

    later = new_session(remembered_cookie(page))
    later.goto(f"/otp/login/?next={PROTECTED}")
    password(later)
    signed_in(later)
    later.screenshot(path=output_dir / "03-later-session.png", full_page=True)
    assert whoami(later)["verified"] is True
    later.goto("/protected/recent/")
    expect(later).to_have_url(re.compile(r"/otp/step-up/\?policy=recent"))
