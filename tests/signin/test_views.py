"""The two-step sign-in pages, ``otp:login`` and ``otp:login-verify``, step by step."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model, user_logged_in
from django.contrib.auth.signals import user_login_failed
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.flows.signin import PENDING_SESSION_KEY
from django_otp.flows.verify import verify_device
from django_otp.internal.session_keys import PROOFS_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.signin_helpers import Received, recording, totp_code, wrong_totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("otp:login")
VERIFY = reverse("otp:login-verify")
NEXT = "/protected/bare/"


@pytest.fixture
def mailbox(alice: Any) -> EmailDevice:
    return EmailDevice.objects.create(user=alice, name="Mail")


@pytest.fixture
def logins() -> Iterator[Received]:
    yield from recording(user_logged_in)


def password_step(client: Client, password: str = "alice-pw", next_url: str = NEXT) -> Any:
    return client.post(
        f"{LOGIN}?next={next_url}", {"username": "alice", "password": password, "next": next_url}
    )


def post_code(client: Client, device: Any, token: str, next_url: str = NEXT) -> Any:
    return client.post(
        VERIFY, {"factor": device.persistent_id, "otp_token": token, "next": next_url}
    )


def state(client: Client) -> dict[str, Any]:
    return client.get("/whoami/").json()


def session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


# The password step.


def test_the_password_page_asks_for_username_and_password(client: Client) -> None:
    page = client.get(f"{LOGIN}?next={NEXT}").content.decode()
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page
    assert f'name="next" value="{NEXT}"' in page
    assert "<label" in page


def test_a_wrong_password_is_an_error_and_counts_for_the_client(
    client: Client, phone: TOTPDevice
) -> None:
    response = password_step(client, "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert PENDING_SESSION_KEY not in client.session
    assert ClientLimit.objects.get(scope="password").failures == 1


def test_a_right_password_keeps_a_pending_step_without_the_password(
    client: Client, phone: TOTPDevice, logins: Received
) -> None:
    before = client.session.session_key  # a session exists before the password is sent
    assert before is not None
    response = password_step(client)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == VERIFY
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [NEXT]
    pending = client.session[PENDING_SESSION_KEY]
    assert set(pending) == {"user", "backend", "at", "hash"}
    assert "alice-pw" not in repr(dict(client.session))
    assert session_key(client) != before
    assert logins.count == 0
    assert state(client)["authenticated"] is False
    assert ClientLimit.objects.get(scope="password").failures == 0  # the success was given back


def test_a_user_without_a_device_is_signed_in_by_the_password(
    client: Client, alice: Any, logins: Received
) -> None:
    response = password_step(client)
    assert response["Location"] == NEXT
    assert logins.count == 1
    assert state(client) == {
        "authenticated": True,
        "verified": False,
        "device": None,
        "current_request": True,
    }
    assert client.get("/assurance/").json()["methods"] == ["pwd"]


@override_settings(
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.AllowAllUsersModelBackend"]
)
def test_an_inactive_user_is_told_so(client: Client, alice: Any) -> None:
    alice.is_active = False
    alice.save()
    page = password_step(client).content.decode()
    assert "This account is inactive." in page


@override_settings(OTP_LIMITS_CLIENT_FAILURES=2)
def test_the_password_step_stops_a_client_that_fails_too_often(client: Client, alice: Any) -> None:
    with Received(user_login_failed) as failed:
        password_step(client, "wrong")
        password_step(client, "wrong")
        page = password_step(client, "alice-pw").content.decode()
    assert "Too many failed attempts from your network. Try again in 15 minutes." in page
    assert failed.count == 2  # the third password was not even tried
    assert state(client)["authenticated"] is False
    other = Client(REMOTE_ADDR="192.0.2.99")
    assert password_step(other)["Location"] == NEXT


# The second step.


def test_the_second_step_offers_every_factor(
    client: Client, phone: TOTPDevice, backup: StaticDevice, mailbox: EmailDevice
) -> None:
    password_step(client)
    page = client.get(f"{VERIFY}?next={NEXT}").content.decode()
    assert "Signing in as alice." in page
    assert "Authenticator app" in page and "(Phone)" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    links = re.findall(r'href="\?factor=([^&"]+)&amp;next=([^"]+)"', page)
    assert [factor for factor, _ in links] == [mailbox.persistent_id, backup.persistent_id]
    assert {target for _, target in links} == {NEXT}
    backup_page = client.get(f"{VERIFY}?factor={backup.persistent_id}&next={NEXT}")
    assert 'inputmode="text"' in backup_page.content.decode()
    assert f'value="{backup.persistent_id}"' in backup_page.content.decode()


def test_a_right_code_signs_in_once_with_both_proofs_and_a_new_session_key(
    client: Client, phone: TOTPDevice, logins: Received
) -> None:
    password_step(client)
    before = session_key(client)
    response = post_code(client, phone, totp_code(phone))
    assert response.status_code == 302 and response["Location"] == NEXT
    assert session_key(client) != before
    assert logins.count == 1
    assert PENDING_SESSION_KEY not in client.session
    assert client.session[DEVICE_ID_SESSION_KEY] == phone.persistent_id
    assert [proof[0] for proof in client.session[PROOFS_SESSION_KEY]] == ["pwd", "totp"]
    assert client.get(NEXT).content == b"secret"
    assert client.get("/assurance/").json()["aal"] == 2


def test_a_wrong_code_is_an_error_next_to_the_field_with_the_wait(
    client: Client, phone: TOTPDevice
) -> None:
    password_step(client)
    with freeze_time():
        page = post_code(client, phone, wrong_totp_code(phone)).content.decode()
    error = re.search(r'<div class="otp-field-error" id="otp-token-error">(.*?)</div>', page, re.S)
    assert error is not None
    assert "That code is not right. You can try again in 1 second." in error.group(1)
    assert 'aria-invalid="true"' in page
    phone.refresh_from_db()
    assert phone.throttling_failure_count == 1
    assert AccountLimit.objects.get(user=phone.user).failures == 1
    assert ClientLimit.objects.get(scope="code").failures == 1
    assert state(client)["authenticated"] is False


def test_a_throttled_device_says_how_long_to_wait(client: Client, phone: TOTPDevice) -> None:
    password_step(client)
    with freeze_time() as frozen:
        for _ in range(3):
            post_code(client, phone, wrong_totp_code(phone))
            frozen.tick(datetime.timedelta(seconds=10))
        frozen.tick(datetime.timedelta(seconds=-9))  # 1 second after the third failure
        page = post_code(client, phone, totp_code(phone)).content.decode()
    assert "Too many wrong codes. Try again in 3 seconds." in page
    assert state(client)["authenticated"] is False


def test_a_code_used_by_a_parallel_request_says_it_was_used(
    client: Client, phone: TOTPDevice
) -> None:
    """The engine tells a code consumed between loading the device and writing it apart
    (``replayed_token``); here the other request is played before this one writes."""
    password_step(client)
    with freeze_time():
        used = totp_code(phone)
        stale = TOTPDevice.objects.get(pk=phone.pk)
        assert verify_device(TOTPDevice.objects.get(pk=phone.pk), used).ok
        with mock.patch("django_otp.flows.signin.device_to_verify", return_value=stale):
            page = post_code(client, phone, used).content.decode()
    assert "This code was already used. Wait for a new code and enter that one." in page
    assert state(client)["authenticated"] is False


def test_a_backup_code_signs_in(client: Client, backup: StaticDevice, logins: Received) -> None:
    password_step(client)
    response = post_code(client, backup, " ABCD 2345 EFGH ")
    assert response["Location"] == NEXT
    assert logins.count == 1
    assert not backup.token_set.exists()
    assert [proof[0] for proof in client.session[PROOFS_SESSION_KEY]] == ["pwd", "static"]


def test_an_email_code_is_sent_on_request_with_its_cooldown(
    client: Client, mailbox: EmailDevice
) -> None:
    password_step(client)
    page = client.get(f"{VERIFY}?next={NEXT}").content.decode()
    assert "Send me a code" in page and len(mail.outbox) == 0
    send = {"factor": mailbox.persistent_id, "action": "send", "next": NEXT}
    with freeze_time() as frozen:
        page = client.post(VERIFY, send).content.decode()
        assert "We sent you a code. Enter it below." in page
        assert "You can ask for a new code in 10 seconds." in page
        frozen.tick(datetime.timedelta(seconds=4))
        page = client.post(VERIFY, send).content.decode()
        assert "A code was sent a moment ago. You can ask for a new one in 6 seconds." in page
        assert len(mail.outbox) == 1
        sent = re.search(r"\d{6}", mail.outbox[0].body).group(0)
        response = post_code(client, mailbox, sent)
    assert response["Location"] == NEXT
    assert [proof[0] for proof in client.session[PROOFS_SESSION_KEY]] == ["pwd", "email"]


def test_another_users_device_is_refused(client: Client, phone: TOTPDevice) -> None:
    bob = get_user_model().objects.create_user("bob", password="bob-pw")
    bobs = TOTPDevice.objects.create(user=bob, name="phone-of-bob")
    password_step(client)
    page = post_code(client, bobs, totp_code(bobs)).content.decode()
    assert "Choose one of your sign-in methods." in page
    assert "phone-of-bob" not in page
    bobs.refresh_from_db()
    assert bobs.throttling_failure_count == 0 and bobs.last_t == -1
    assert (
        not client.post(VERIFY, {"factor": bobs.persistent_id, "action": "send", "next": NEXT})
        .context["sent"]
        .ok
    )
    page = client.get(f"{VERIFY}?factor={bobs.persistent_id}").content.decode()
    assert "(Phone)" in page and "phone-of-bob" not in page  # the user's own first factor instead
    assert state(client)["authenticated"] is False


def test_an_empty_code_asks_for_one(client: Client, phone: TOTPDevice) -> None:
    password_step(client)
    assert "Enter the code." in post_code(client, phone, "").content.decode()
    assert not AccountLimit.objects.exists()


def test_the_pending_step_expires(client: Client, phone: TOTPDevice) -> None:
    with freeze_time() as frozen:
        password_step(client)
        frozen.tick(datetime.timedelta(seconds=601))
        response = post_code(client, phone, totp_code(phone))
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == LOGIN
        assert parse_qs(location.query) == {"next": [NEXT], "expired": ["1"]}
        assert PENDING_SESSION_KEY not in client.session
        page = client.get(response["Location"]).content.decode()
    assert "Your sign-in took too long and was stopped. Enter your password again." in page
    phone.refresh_from_db()
    assert phone.last_t == -1  # the code was never tried


@override_settings(OTP_LOGIN_PENDING_TIMEOUT=30)
def test_the_timeout_is_a_setting(client: Client, phone: TOTPDevice) -> None:
    with freeze_time() as frozen:
        password_step(client)
        frozen.tick(datetime.timedelta(seconds=29))
        assert client.get(VERIFY).status_code == 200
        frozen.tick(datetime.timedelta(seconds=2))
        assert "expired=1" in client.get(VERIFY)["Location"]


def test_a_password_change_ends_the_pending_step(
    client: Client, alice: Any, phone: TOTPDevice
) -> None:
    password_step(client)
    alice.set_password("new-pw")
    alice.save()
    assert "expired=1" in post_code(client, phone, totp_code(phone))["Location"]


def test_without_a_pending_step_the_second_step_sends_to_the_first(client: Client) -> None:
    response = client.get(f"{VERIFY}?next={NEXT}")
    assert response["Location"] == f"{LOGIN}?next=%2Fprotected%2Fbare%2F"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil.example"],
)
def test_an_unsafe_next_is_replaced_by_the_default(
    client: Client, phone: TOTPDevice, target: str
) -> None:
    password_step(client, next_url=target)
    response = post_code(client, phone, totp_code(phone), next_url=target)
    assert response["Location"] == "/accounts/profile/"


@override_settings(OTP_LIMITS_CLIENT_FAILURES=1, OTP_TOTP_THROTTLE_FACTOR=0)
def test_the_code_step_stops_a_client_that_fails_too_often(
    client: Client, phone: TOTPDevice
) -> None:
    password_step(client)
    post_code(client, phone, wrong_totp_code(phone))
    page = post_code(client, phone, totp_code(phone)).content.decode()
    assert "Too many failed attempts from your network. Try again in 15 minutes." in page
    phone.refresh_from_db()
    assert phone.last_t == -1
    assert state(client)["authenticated"] is False


# A user who is signed in already, by a page that asked only for the password.


def test_a_signed_in_user_is_asked_only_for_the_second_factor(
    client: Client, alice: Any, phone: TOTPDevice, logins: Received
) -> None:
    client.force_login(alice)
    logins.calls.clear()
    assert client.get(f"{LOGIN}?next={NEXT}")["Location"] == f"{VERIFY}?next=%2Fprotected%2Fbare%2F"
    before = session_key(client)
    assert post_code(client, phone, totp_code(phone))["Location"] == NEXT
    assert logins.count == 0
    assert session_key(client) != before
    assert state(client)["verified"] is True
    assert client.get(f"{LOGIN}?next={NEXT}")["Location"] == NEXT
    assert client.get(VERIFY)["Location"] == "/accounts/profile/"


def test_a_signed_in_user_without_a_device_is_sent_on(client: Client, alice: Any) -> None:
    client.force_login(alice)
    assert client.get(f"{LOGIN}?next={NEXT}")["Location"] == NEXT
    assert client.get(f"{VERIFY}?next={NEXT}")["Location"] == NEXT
