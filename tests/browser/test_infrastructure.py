"""The browser-test fixtures do what later tests rely on: WebAuthn, sign-in, axe-core, output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.browser.axe import axe_violations
from tests.browser.webauthn import PASSKEY, SECURITY_KEY, VirtualAuthenticator

pytestmark = pytest.mark.browser

FLAG_UP = 0x01
FLAG_UV = 0x04

#: ``navigator.credentials.create()`` with the given ``residentKey`` and ``userVerification``;
#: returns the credential id and the flags byte of its authenticator data, or the error.
CREATE_CREDENTIAL = """async ({residentKey, userVerification}) => {
    try {
        const credential = await navigator.credentials.create({publicKey: {
            rp: {name: "django-otp-ng tests"},
            user: {id: crypto.getRandomValues(new Uint8Array(16)), name: "alice",
                   displayName: "Alice"},
            challenge: crypto.getRandomValues(new Uint8Array(32)),
            pubKeyCredParams: [{type: "public-key", alg: -7}],
            authenticatorSelection: {residentKey, userVerification},
            timeout: 10000,
        }});
        const data = new Uint8Array(credential.response.getAuthenticatorData());
        return {id: credential.id, flags: data[32]};
    } catch (error) {
        return {error: `${error.name}: ${error.message}`};
    }
}"""


def create_credential(page: Page, resident_key: str, user_verification: str) -> dict[str, Any]:
    return page.evaluate(
        CREATE_CREDENTIAL, {"residentKey": resident_key, "userVerification": user_verification}
    )


def test_localhost_page_has_webauthn(page: Page) -> None:
    page.goto("/untouched/")
    assert page.evaluate("window.isSecureContext")
    assert page.evaluate("typeof navigator.credentials.create === 'function'")
    assert page.evaluate("typeof PublicKeyCredential === 'function'")


def test_passkey_registers_a_discoverable_user_verified_credential(
    page: Page, virtual_authenticator: Callable[..., VirtualAuthenticator]
) -> None:
    page.goto("/untouched/")
    authenticator = virtual_authenticator(PASSKEY)

    created = create_credential(page, "required", "required")

    assert "error" not in created, created
    assert created["flags"] & FLAG_UP and created["flags"] & FLAG_UV
    [stored] = authenticator.credentials()
    assert stored["isResidentCredential"] is True
    assert stored["rpId"] == "localhost"
    assert stored["credentialId"].rstrip("=") == created["id"].replace("-", "+").replace("_", "/")


def test_response_override_bits_clear_user_presence(
    page: Page, virtual_authenticator: Callable[..., VirtualAuthenticator]
) -> None:
    page.goto("/untouched/")
    authenticator = virtual_authenticator(PASSKEY)

    authenticator.set_response_override_bits(bad_up=True, bad_uv=True)
    created = create_credential(page, "required", "required")

    assert "error" not in created, created
    assert not created["flags"] & FLAG_UP
    assert not created["flags"] & FLAG_UV


def test_u2f_security_key_registers_a_server_side_credential(
    page: Page, virtual_authenticator: Callable[..., VirtualAuthenticator]
) -> None:
    page.goto("/untouched/")
    authenticator = virtual_authenticator(SECURITY_KEY)

    created = create_credential(page, "discouraged", "discouraged")

    assert "error" not in created, created
    assert created["flags"] & FLAG_UP
    assert not created["flags"] & FLAG_UV
    [stored] = authenticator.credentials()
    assert stored["isResidentCredential"] is False


def test_webauthn_is_refused_on_an_ip_address_origin(
    page: Page, base_url: str, virtual_authenticator: Callable[..., VirtualAuthenticator]
) -> None:
    # The live server listens on 127.0.0.1, which 'localhost' resolves to: same server,
    # other origin. This is why the fixtures insist on http://localhost.
    page.goto(base_url.replace("//localhost:", "//127.0.0.1:") + "/untouched/")
    authenticator = virtual_authenticator(PASSKEY)

    created = create_credential(page, "required", "required")

    assert page.evaluate("window.isSecureContext")
    assert created.get("error", "").startswith("SecurityError"), created
    assert authenticator.credentials() == []


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user("alice", password="alice-password")


def test_sign_in_with_device_reaches_otp_required_page(
    page: Page, sign_in: Callable[..., None], alice: Any
) -> None:
    device = TOTPDevice.objects.create(user=alice, name="phone")

    sign_in(alice, device)
    page.goto("/whoami/")

    assert page.evaluate("JSON.parse(document.body.innerText)") == {
        "authenticated": True,
        "verified": True,
        "device": device.persistent_id,
        "current_request": True,
    }
    page.goto("/protected/bare/")
    assert page.locator("body").inner_text() == "secret"


def test_sign_in_without_device_is_sent_to_login(
    page: Page, sign_in: Callable[..., None], alice: Any
) -> None:
    sign_in(alice)
    page.goto("/protected/bare/")

    assert page.url.endswith("/login/?next=/protected/bare/")
    assert page.get_by_text("You are authenticated as").is_visible()


def test_sign_in_refuses_another_users_device(sign_in: Callable[..., None], alice: Any) -> None:
    bob = get_user_model().objects.create_user("bob")
    device = TOTPDevice.objects.create(user=bob, name="phone")

    with pytest.raises(ValueError, match="cannot verify"):
        sign_in(alice, device)


def test_axe_reports_serious_and_critical_violations_only(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="en"><title>Bad page</title>'
        '<main><img src="/x.png"><button></button><h3>Skipped levels</h3></main>'
    )

    found = {violation["id"]: violation["impact"] for violation in axe_violations(page)}
    everything = axe_violations(page, impacts=("minor", "moderate", "serious", "critical"))

    assert found == {"image-alt": "critical", "button-name": "critical"}
    assert "page-has-heading-one" in {violation["id"] for violation in everything}


def test_screenshot_is_written_in_order(
    page: Page, screenshot: Callable[[str], Path], output_dir: Path
) -> None:
    page.goto("/untouched/")

    first = screenshot("untouched")
    second = screenshot("again")

    assert (first.name, second.name) == ("01-untouched.png", "02-again.png")
    assert first.parent == output_dir
    assert first.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
