""" "Trust this browser" on the two-step sign-in: offered at the second step when remembered
browsers are enabled, set by each factor, and recalled after the password of a later sign-in
(a ``remembered`` proof, never a fresh one) until it is revoked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from django_otp.contrib.remember.models import RememberedBrowser
from django_otp.flows import remember
from django_otp.flows.signin import PENDING_SESSION_KEY
from django_otp.internal.session_keys import PROOFS_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.signin_helpers import BACKUP_CODE, PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("otp:login")
VERIFY = reverse("otp:login-verify")
NEXT = "/protected/bare/"
COOKIE = "otp_remember"


@pytest.fixture(autouse=True)
def days(settings: Any) -> None:
    settings.OTP_REMEMBER_DAYS = 30


def password_step(client: Client, username: str = "alice", password: str = PASSWORD) -> str:
    response = client.post(
        f"{LOGIN}?next={NEXT}", {"username": username, "password": password, "next": NEXT}
    )
    assert response.status_code == 302, response.content
    return str(response["Location"])


def post_code(client: Client, device: Any, token: str, trust: bool = True) -> Any:
    data = {"factor": device.persistent_id, "otp_token": token, "next": NEXT}
    if trust:
        data["otp_remember"] = "on"
    return client.post(VERIFY, data)


def new_session(cookie: str) -> Client:
    """A later session of the same browser: only the remembered-browser cookie is left."""
    client = Client()
    client.cookies[COOKIE] = cookie
    return client


def proofs(client: Client) -> list[tuple[str, bool]]:
    return [(p[0], "remembered" in p[4]) for p in client.session[PROOFS_SESSION_KEY]]


def test_the_second_step_offers_it_in_the_code_form(client: Client, phone: TOTPDevice) -> None:
    password_step(client)
    page = client.get(f"{VERIFY}?next={NEXT}").content.decode()
    form = page[page.index('<form method="post" class="otp-form">') :]
    assert 'type="checkbox" name="otp_remember"' in form
    assert form.index("Trust this browser for 30 days") < form.index("Verify</button>")
    assert "Leave it unticked on a shared computer." in form


def test_it_is_not_offered_when_disabled(client: Client, phone: TOTPDevice, settings: Any) -> None:
    settings.OTP_REMEMBER_DAYS = 0
    password_step(client)
    assert "otp_remember" not in client.get(VERIFY).content.decode()
    response = post_code(client, phone, totp_code(phone))
    assert response["Location"] == NEXT and COOKIE not in response.cookies
    assert not RememberedBrowser.objects.exists()


def test_an_authenticator_app_code_trusts_the_browser_and_the_next_sign_in_skips_it(
    client: Client, phone: TOTPDevice
) -> None:
    password_step(client)
    response = post_code(client, phone, totp_code(phone))
    assert response["Location"] == NEXT
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]
    browser = RememberedBrowser.objects.get()
    assert (browser.user, browser.device_id) == (phone.user, phone.persistent_id)

    later = new_session(cookie.value)
    assert password_step(later) == NEXT  # the code is skipped
    assert PENDING_SESSION_KEY not in later.session
    assert later.get(NEXT).content == b"secret"
    assert proofs(later) == [("pwd", False), ("totp", True)]
    # Never a fresh proof: a page that wants a recent one still asks for a code.
    assert later.get("/protected/recent/")["Location"].startswith("/otp/step-up/")


def test_a_backup_code_trusts_the_browser(client: Client, backup: StaticDevice) -> None:
    password_step(client)
    response = post_code(client, backup, BACKUP_CODE)
    assert response["Location"] == NEXT and COOKIE in response.cookies
    assert RememberedBrowser.objects.get().device_id == backup.persistent_id
    assert password_step(new_session(response.cookies[COOKIE].value)) == NEXT


def test_an_emailed_code_trusts_the_browser(client: Client, alice: Any) -> None:
    mailbox = EmailDevice.objects.create(user=alice, name="Mail", email="alice@example.com")
    password_step(client)
    client.post(VERIFY, {"factor": mailbox.persistent_id, "action": "send", "next": NEXT})
    code = re.search(r"\d{6}", mail.outbox[-1].body).group(0)  # type: ignore[union-attr]
    response = post_code(client, mailbox, code)
    assert response["Location"] == NEXT
    assert RememberedBrowser.objects.get().device_id == mailbox.persistent_id


def test_unticked_nothing_is_remembered(client: Client, phone: TOTPDevice) -> None:
    password_step(client)
    response = post_code(client, phone, totp_code(phone), trust=False)
    assert response["Location"] == NEXT and COOKIE not in response.cookies
    assert not RememberedBrowser.objects.exists()


def test_a_wrong_code_remembers_nothing(client: Client, phone: TOTPDevice) -> None:
    password_step(client)
    response = post_code(client, phone, "000000")
    assert response.status_code == 200 and COOKIE not in response.cookies
    assert not RememberedBrowser.objects.exists()


def test_a_signed_in_user_verifying_later_can_trust_the_browser(phone: TOTPDevice) -> None:
    client = Client()
    client.force_login(phone.user)
    response = post_code(client, phone, totp_code(phone))
    assert response["Location"] == NEXT and COOKIE in response.cookies


@pytest.fixture
def trusted(client: Client, phone: TOTPDevice) -> str:
    """The cookie of a browser trusted with the authenticator app."""
    password_step(client)
    return str(post_code(client, phone, totp_code(phone)).cookies[COOKIE].value)


def test_a_revoked_browser_asks_for_the_code_again(trusted: str, alice: Any) -> None:
    assert remember.revoke_all(alice) == 1
    later = new_session(trusted)
    assert password_step(later) == f"{VERIFY}?next=%2Fprotected%2Fbare%2F"
    assert later.get("/whoami/").json()["authenticated"] is False
    assert COOKIE in later.cookies and later.cookies[COOKIE].value == ""  # deleted


def test_a_new_password_ends_the_trust(trusted: str, alice: Any) -> None:
    alice.set_password("new-pw")
    alice.save()
    later = new_session(trusted)
    assert password_step(later, password="new-pw").startswith(VERIFY)


def test_the_cookie_does_not_sign_in_another_user(trusted: str) -> None:
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    TOTPDevice.objects.create(user=bob, name="bob's phone")
    later = new_session(trusted)
    assert password_step(later, "bob").startswith(VERIFY)
    assert RememberedBrowser.objects.get().is_active  # still alice's to use


def test_a_tampered_cookie_is_ignored(trusted: str) -> None:
    later = new_session(trusted[:-2] + "xx")
    assert password_step(later).startswith(VERIFY)


def test_a_browser_without_the_cookie_gets_the_second_step(trusted: str) -> None:
    assert password_step(Client()).startswith(VERIFY)
