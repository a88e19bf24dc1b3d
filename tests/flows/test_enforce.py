"""Enforcement (OTP_ENFORCE_*): who must use a second factor, the grace period, the wall.

The URLconf ``tests.enforce_urls`` serves django_otp.urls with stand-ins for the account
pages (``otp:security*``), Django's own login and logout views, and a few pages.
"""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from django_otp.contrib.limits.models import EnrolmentGrace
from django_otp.flows import enforce
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.signin_helpers import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.enforce_urls")]

SETUP = "/otp/login/setup/"
LOGIN = "/otp/login/"


def must(**settings: Any) -> override_settings:
    """Enforcement for ``everyone`` (unless given), with the given settings."""
    return override_settings(**{"OTP_ENFORCE_FOR": "everyone", **settings})


@pytest.fixture
def signed_in(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def is_walled(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{SETUP}?next=")


# Off: nothing happens, nothing is read.


def test_off_costs_nothing(signed_in: Client) -> None:
    with (
        mock.patch.object(enforce, "refusal", wraps=enforce.refusal) as refusal,
        CaptureQueriesContext(connection) as queries,
    ):
        assert signed_in.get("/untouched/").status_code == 200
    refusal.assert_not_called()
    assert queries.captured_queries == []
    with must(OTP_ENFORCE_FOR="staff"), CaptureQueriesContext(connection) as queries:
        assert signed_in.get("/untouched/").status_code == 200
    assert len(queries.captured_queries) == 2  # on: the session and the user are read


def test_anonymous_visitors_are_left_alone(client: Client) -> None:
    with must():
        assert client.get("/page/").status_code == 200


# Who must.


@pytest.mark.parametrize(
    ("rule", "attributes", "required"),
    [
        ("everyone", {}, True),
        ("staff", {}, False),
        ("staff", {"is_staff": True}, True),
        ("superusers", {"is_staff": True}, False),
        ("superusers", {"is_superuser": True}, True),
        (["admins"], {}, False),
        (["admins", "finance"], {"groups": ["finance"]}, True),
        (lambda user: user.username.startswith("a"), {}, True),
        (lambda user: user.username.startswith("b"), {}, False),
        ("tests.flows.test_enforce.needs_mfa", {}, True),
    ],
    ids=[
        "everyone",
        "staff-not",
        "staff",
        "superusers-not",
        "superusers",
        "group-not",
        "group",
        "callable",
        "callable-not",
        "dotted-path",
    ],
)
def test_who_must(
    signed_in: Client, alice: Any, rule: Any, attributes: dict[str, Any], required: bool
) -> None:
    for name, value in attributes.items():
        if name == "groups":
            for group in value:
                alice.groups.add(Group.objects.create(name=group))
        else:
            setattr(alice, name, value)
    alice.save()
    with override_settings(OTP_ENFORCE_FOR=rule):
        assert is_walled(signed_in.get("/page/")) is required
        assert enforce.must_use_mfa(alice) is required


def needs_mfa(user: Any) -> bool:
    """A rule named by its dotted path."""
    return user.username == "alice"


# Users with a device: they must prove it.


def test_a_user_with_a_device_who_did_not_prove_it_is_sent_to_the_second_step(
    signed_in: Client, alice: Any
) -> None:
    phone = TOTPDevice.objects.create(user=alice, name="Phone")
    with must():
        response = signed_in.get("/page/?a=1")
        assert response["Location"] == f"{LOGIN}?next=%2Fpage%2F%3Fa%3D1"
        second = signed_in.get(response["Location"])
        assert second["Location"] == "/otp/login/verify/?next=%2Fpage%2F%3Fa%3D1"
        done = signed_in.post(
            "/otp/login/verify/",
            {"factor": phone.persistent_id, "otp_token": totp_code(phone), "next": "/page/?a=1"},
        )
        assert done["Location"] == "/page/?a=1"
        assert signed_in.get("/page/").status_code == 200


def test_django_login_view_then_the_second_step(client: Client, alice: Any) -> None:
    phone = TOTPDevice.objects.create(user=alice, name="Phone")
    with must():
        response = client.post(
            "/accounts/login/", {"username": "alice", "password": "alice-pw", "next": "/page/"}
        )
        assert response["Location"] == "/page/"
        assert client.get("/page/")["Location"] == f"{LOGIN}?next=%2Fpage%2F"
        client.post(
            "/otp/login/verify/",
            {"factor": phone.persistent_id, "otp_token": totp_code(phone), "next": "/page/"},
        )
        assert client.get("/page/").content == b"page for alice"


def test_django_login_view_for_a_user_without_a_device(client: Client, alice: Any) -> None:
    with must(OTP_ENFORCE_GRACE_UNTIL="2099-01-01"):
        client.post("/accounts/login/", {"username": "alice", "password": "alice-pw"})
        assert is_walled(client.get("/page/"))
        assert "Not now" in client.get(f"{SETUP}?next=/page/").content.decode()


# The grace period.


def test_during_the_grace_period_users_are_reminded_and_may_skip(
    client: Client, alice: Any
) -> None:
    with must(OTP_ENFORCE_GRACE_UNTIL=datetime.date(2030, 9, 1)), freeze_time("2030-08-01"):
        signed_in = client
        client.force_login(alice)
        response = signed_in.get("/page/")
        assert response["Location"] == f"{SETUP}?next=%2Fpage%2F"
        page = signed_in.get(response["Location"]).content.decode()
        assert "You can put it off until Sept. 1, 2030" in page
        assert 'href="/otp/security/?next=%2Fpage%2F"' in page
        assert "Not now" in page
        assert signed_in.post(SETUP, {"next": "/page/"})["Location"] == "/page/"
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/page/").status_code == 200
        assert not any("otp_totp" in q["sql"] for q in queries.captured_queries)


def test_the_reminder_never_stops_a_form_or_an_api_call(signed_in: Client) -> None:
    with must(OTP_ENFORCE_GRACE_UNTIL="2099-01-01"):
        assert signed_in.post("/form/", {"value": "kept"}).content == b"posted kept"
        assert signed_in.get("/api/", HTTP_ACCEPT="application/json").json() == {"ok": True}
        assert is_walled(signed_in.get("/page/"))


def test_after_the_date_the_wall(client: Client, alice: Any) -> None:
    signed_in = client
    with must(OTP_ENFORCE_GRACE_UNTIL="2030-09-01T12:00"):
        with freeze_time("2030-09-01 11:59"):
            client.force_login(alice)
            assert signed_in.post(SETUP, {"next": "/page/"})["Location"] == "/page/"
            assert signed_in.get("/page/").status_code == 200
        with freeze_time("2030-09-01 12:00"):
            assert is_walled(signed_in.get("/page/"))  # the skip ended with the grace period
            page = signed_in.get(f"{SETUP}?next=/page/").content.decode()
            assert "Set it up to go on." in page and "Not now" not in page
            assert signed_in.post(SETUP, {"next": "/page/"}).status_code == 200  # no skip
            assert is_walled(signed_in.post("/form/", {"value": "lost"}))


def test_the_grace_period_starts_at_the_first_sign_in(client: Client, alice: Any) -> None:
    signed_in = client
    with must(OTP_ENFORCE_GRACE_DAYS=3):
        with freeze_time("2030-01-01 10:00"):
            client.force_login(alice)
            assert "Not now" in signed_in.get(SETUP).content.decode()
        started = EnrolmentGrace.objects.get(user=alice).started_at
        assert started.isoformat() == "2030-01-01T10:00:00+00:00"
        with freeze_time("2030-01-04 09:59"):
            assert "Not now" in signed_in.get(SETUP).content.decode()
        with freeze_time("2030-01-04 10:00"):
            assert "Not now" not in signed_in.get(SETUP).content.decode()
            assert is_walled(signed_in.get("/page/"))


def test_with_both_the_later_end_counts(client: Client, alice: Any) -> None:
    signed_in = client
    with must(OTP_ENFORCE_GRACE_DAYS=3, OTP_ENFORCE_GRACE_UNTIL="2030-01-10"):
        with freeze_time("2030-01-01"):
            client.force_login(alice)
            signed_in.get("/page/")
        with freeze_time("2030-01-09"):
            assert "Not now" in signed_in.get(SETUP).content.decode()
    with (
        must(OTP_ENFORCE_GRACE_DAYS=30, OTP_ENFORCE_GRACE_UNTIL="2030-01-10"),
        freeze_time("2030-01-20"),
    ):
        assert "Not now" in signed_in.get(SETUP).content.decode()


def test_a_skip_holds_for_its_user_only(client: Client, alice: Any) -> None:
    bob = get_user_model().objects.create_user("bob", password="bob-pw")
    with must(OTP_ENFORCE_GRACE_UNTIL="2099-01-01"):
        client.force_login(alice)
        client.post(SETUP, {"next": "/page/"})
        session = client.session
        skip = session[enforce.SKIP_SESSION_KEY]
        client.force_login(bob)
        session = client.session
        session[enforce.SKIP_SESSION_KEY] = skip
        session.save()
        assert is_walled(client.get("/page/"))


# The wall.


@pytest.mark.parametrize(
    ("path", "reachable"),
    [
        ("/otp/login/", True),
        ("/otp/login/verify/", True),
        ("/otp/login/setup/", True),
        ("/otp/security/", True),
        ("/otp/security/totp/", True),
        ("/help/", True),  # exempt by the setting below
        ("/static/django_otp/css/pages.css", True),
        ("/otp/step-up/", False),
        ("/page/", False),
        ("/nowhere/", False),
    ],
)
def test_what_the_wall_lets_through(signed_in: Client, path: str, reachable: bool) -> None:
    with must(OTP_ENFORCE_EXEMPT_PATHS=[r"^/help/"]):
        response = signed_in.get(path)
    assert is_walled(response) is not reachable, response


def test_the_wall_lets_the_user_sign_out(signed_in: Client) -> None:
    with must():
        assert signed_in.post("/accounts/logout/").status_code == 302
        assert signed_in.get("/whoami/").json()["authenticated"] is False


@override_settings(OTP_ENFORCE_LOGOUT_URL="/otp/login/setup/", OTP_ENFORCE_SETUP_URL="help-page")
def test_the_setup_and_logout_urls_are_settings(signed_in: Client) -> None:
    with must():
        assert is_walled(signed_in.post("/accounts/logout/"))
        page = signed_in.get(SETUP).content.decode()
    assert "Set it up now" not in page  # "help-page" names no URL
    assert 'action="/otp/login/setup/"' in page


def test_json_clients_get_a_status_not_a_page(signed_in: Client, alice: Any) -> None:
    with must():
        response = signed_in.get("/api/", HTTP_ACCEPT="application/json")
        assert response.status_code == 403
        assert response.json() == {"error": "mfa_setup_required", "url": f"{SETUP}?next=%2Fapi%2F"}
        TOTPDevice.objects.create(user=alice, name="Phone")
        response = signed_in.get("/api/", HTTP_ACCEPT="application/json")
        assert response.status_code == 401
        assert response.json()["error"] == "mfa_required"


def test_the_setup_page_for_everyone_else(client: Client, alice: Any) -> None:
    with must():
        assert client.get(SETUP)["Location"] == f"{LOGIN}?next=/otp/login/setup/"
        client.force_login(alice)
        TOTPDevice.objects.create(user=alice, name="Phone")
        assert client.get(f"{SETUP}?next=/page/")["Location"] == (
            "/otp/login/verify/?next=%2Fpage%2F"
        )
    assert client.get(f"{SETUP}?next=/page/")["Location"] == "/page/"  # enforcement off


def test_a_walled_request_is_cheap_and_a_verified_one_cheaper(client: Client, alice: Any) -> None:
    phone = TOTPDevice.objects.create(user=alice, name="Phone")
    client.force_login(alice)
    with must():
        client.post(
            "/otp/login/verify/",
            {"factor": phone.persistent_id, "otp_token": totp_code(phone), "next": "/page/"},
        )
        with CaptureQueriesContext(connection) as verified:
            assert client.get("/page/").status_code == 200
    # The session, the user and the session's device, as any verified request.
    assert len(verified.captured_queries) == 3, verified.captured_queries
    assert reverse("otp:login-setup") == SETUP


def test_the_async_middleware_enforces_too(alice: Any) -> None:
    from asgiref.sync import async_to_sync
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpRequest, HttpResponse
    from django.test import AsyncRequestFactory

    from django_otp.middleware import OTPMiddleware

    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("page")

    request = AsyncRequestFactory().get("/page/")
    request.session = SessionStore()
    request.user = alice
    middleware = OTPMiddleware(view)
    with must():
        response = async_to_sync(middleware)(request)
    assert is_walled(response)
    assert async_to_sync(middleware)(request).content == b"page"  # enforcement off
