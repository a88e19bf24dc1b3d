"""Users, devices and sessions for the tests of the account pages."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory, TestCase

import django_otp
from django_otp.flows import remember
from django_otp.models import Device
from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.browser.sessions import signed_in_session_key

PASSWORD = "correct horse"
COOKIE = "otp_remember"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
KEY = bytes(range(20))
OVERVIEW = "/otp/security/"
BACKUP_CODES = ["a1b2c3d4", "e5f6g7h8", "jkmnpqrs"]


def code(device: TOTPDevice, steps: int = 0) -> str:
    """The code ``device``'s app shows now (``steps`` later with ``steps``)."""
    return str(totp(device.bin_key, drift=device.drift + steps)).zfill(device.digits)


def device_url(device: Device, action: str) -> str:
    return f"/otp/security/devices/{device.model_label()}/{device.pk}/{action}/"


def add_totp(user: Any, name: str = "Phone", **fields: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=name, key=KEY.hex(), **fields)


def add_email(user: Any, name: str = "Mail", **fields: Any) -> EmailDevice:
    return EmailDevice.objects.create(user=user, name=name, email=f"{name}@x.example", **fields)


def add_hotp(user: Any, name: str = "Fob") -> HOTPDevice:
    return HOTPDevice.objects.create(user=user, name=name, key=KEY.hex())


def add_passkey(user: Any, name: str = "Passkey") -> WebAuthnDevice:
    """A passkey as a ceremony would store it (the key material is not used here)."""
    return WebAuthnDevice.objects.create(
        user=user, name=name, credential_id=os.urandom(16), public_key=b"k", user_verified=True
    )


def add_backup(user: Any, name: str = "Backup", codes: list[str] = BACKUP_CODES) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name=name)
    for value in codes:
        device.token_set.create(token=value)
    return device


def trusted_browser(user: Any, device: Device, agent: str = FIREFOX) -> tuple[Any, str]:
    """A browser of ``user`` remembered right after proving ``device``: its row and cookie."""
    request = RequestFactory().get("/", HTTP_USER_AGENT=agent)
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = AnonymousUser()
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    django_otp.login(request, device)
    response = HttpResponse()
    result = remember.remember(request, response, device)
    assert result.ok, result.error
    return result.browser, response.cookies[COOKIE].value


class AccountTestCase(TestCase):
    """Alice and Bob, with no device; sessions made as a login view makes them."""

    alice: Any
    bob: Any

    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", "alice@x.example", PASSWORD)
        cls.bob = User.objects.create_user("bob", "bob@x.example", PASSWORD)

    def sign_in(self, user: Any, device: Device | None = None) -> None:
        """A session of ``user`` (password proof), verified by ``device`` when given.

        A fresh user object each time: one that a device verified carries ``otp_device``,
        which the next ``login()`` would record as proved too.
        """
        fresh = type(user)._default_manager.get(pk=user.pk)
        self.client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session_key(fresh, device)

    def step_up(self, policy: str, device: Device, token: str, next_url: str = OVERVIEW) -> Any:
        """Pass the step-up page for ``policy`` with ``device``."""
        return self.client.post(
            f"/otp/step-up/?policy={policy}",
            {
                "policy": policy,
                "next": next_url,
                "otp_device": device.persistent_id,
                "otp_token": token,
            },
        )

    def assertStepUp(self, response: Any, policy: str, path: str) -> None:
        """``response`` sends the person to the step-up page for ``policy``, then ``path``."""
        assert response.status_code == 302, (response.status_code, response.content[:500])
        location = response["Location"]
        assert location.startswith(f"/otp/step-up/?policy={policy}&"), location
        assert "next=" + path.replace("/", "%2F") in location, location
