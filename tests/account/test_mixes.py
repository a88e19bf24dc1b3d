"""Every page, for each mix of devices, with a session proved by the strongest and by the
weakest of them: the strongest may do everything, the weakest only what it outranks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_otp.models import Device
from tests.account.helpers import (
    OVERVIEW,
    add_backup,
    add_email,
    add_hotp,
    add_passkey,
    add_totp,
    device_url,
)
from tests.browser.sessions import signed_in_session_key

MAKERS: dict[str, Callable[[Any], Device]] = {
    "passkey": add_passkey,
    "totp": add_totp,
    "email": add_email,
    "hotp": add_hotp,
    "backup": add_backup,
}
#: Strength class of each kind of device, and the policy that proves it.
STRENGTH = {"passkey": 3, "totp": 2, "hotp": 2, "email": 1, "backup": 1}
POLICY = {1: "recent", 2: "recent_strong", 3: "recent_phishing_resistant"}
MIXES = [
    ("backup",),
    ("email",),
    ("totp",),
    ("email", "backup"),
    ("totp", "backup"),
    ("hotp", "email"),
    ("totp", "email", "hotp", "backup"),
    ("passkey",),
    ("passkey", "totp", "backup"),
]
ADD_PAGES = ["/otp/security/app/", "/otp/security/email/", "/otp/security/backup-codes/"]


def client_for(user: Any, device: Device | None) -> Client:
    """A client signed in as ``user``, verified by ``device`` and nothing else.

    A fresh user object each time: one that a device verified carries ``otp_device``, which
    the next ``login()`` would record as proved too.
    """
    client = Client()
    fresh = get_user_model().objects.get(pk=user.pk)
    client.cookies["sessionid"] = signed_in_session_key(fresh, device)
    return client


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user("mixer", "mixer@x.example", "pw")


@pytest.mark.django_db
def test_a_user_without_devices_reaches_the_overview_and_every_add_page(user: Any) -> None:
    client = client_for(user, None)
    for url in [OVERVIEW, *ADD_PAGES]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("mix", MIXES, ids="+".join)
def test_every_page_for_each_mix(user: Any, mix: tuple[str, ...]) -> None:
    devices = {kind: MAKERS[kind](user) for kind in mix}
    strongest = max(STRENGTH[kind] for kind in mix)
    by_strength = sorted(mix, key=STRENGTH.__getitem__)
    device_pages = [
        device_url(device, action) for device in devices.values() for action in ("rename", "remove")
    ]

    unverified = client_for(user, None)
    for url in [OVERVIEW, *ADD_PAGES, *device_pages]:
        response = unverified.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/otp/step-up/"), url

    strong = client_for(user, devices[by_strength[-1]])
    for url in [OVERVIEW, *ADD_PAGES, *device_pages]:
        assert strong.get(url).status_code == 200, url

    weak = client_for(user, devices[by_strength[0]])
    assert weak.get(OVERVIEW).status_code == 200
    for url in device_pages:
        response = weak.get(url)
        if url.endswith("/rename/") or STRENGTH[by_strength[0]] == strongest:
            assert response.status_code == 200, url
        else:
            assert response["Location"].startswith(f"/otp/step-up/?policy={POLICY[strongest]}&"), (
                url
            )
    for url in ADD_PAGES:
        response = weak.get(url)
        if STRENGTH[by_strength[0]] == strongest:
            assert response.status_code == 200, url
        else:
            assert response["Location"].startswith(f"/otp/step-up/?policy={POLICY[strongest]}&"), (
                url
            )
