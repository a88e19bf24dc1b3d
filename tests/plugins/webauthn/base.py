"""What the WebAuthn tests share: users, a JSON client, and the three ceremonies."""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, TestCase

from django_otp.internal.session_keys import PROOFS_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.plugins.otp_webauthn.flows import CEREMONY_SESSION_KEY
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice
from tests.browser.sessions import signed_in_session_key
from tests.plugins.webauthn.authenticator import Authenticator

PASSWORD = "correct horse"
URLS = {
    name: f"/otp/webauthn/{path}/"
    for name, path in {
        "register-begin": "register/begin",
        "register-complete": "register/complete",
        "verify-begin": "verify/begin",
        "verify-complete": "verify/complete",
        "login-begin": "login/begin",
        "login-complete": "login/complete",
    }.items()
}


class WebAuthnMixin:
    """The endpoints as a browser calls them, for a test case with ``alice`` and ``bob``."""

    client: Client
    alice: Any
    bob: Any

    def post(self, name: str, body: Any = None, client: Client | None = None) -> Any:
        """POST ``body`` as JSON to the endpoint ``name``; the response, with ``.data``."""
        client = client or self.client
        response = client.post(URLS[name], json.dumps(body or {}), content_type="application/json")
        response.data = response.json()
        return response

    def sign_in(self, user: Any = None, device: Any = None, password: bool = True) -> None:
        """A session of ``user`` (Alice), verified by ``device`` when one is given; without
        ``password`` the session holds no password proof (as after a passkey sign-in)."""
        key = signed_in_session_key(user or self.alice, device)
        if not password:
            session = import_module(settings.SESSION_ENGINE).SessionStore(key)
            session[PROOFS_SESSION_KEY] = [
                proof for proof in session.get(PROOFS_SESSION_KEY, []) if proof[0] != "pwd"
            ]
            session.save()
        self.client.cookies[settings.SESSION_COOKIE_NAME] = key

    def register(self, authenticator: Authenticator, **bend: Any) -> Any:
        """Run a registration ceremony with ``authenticator``; the complete response."""
        begin = self.post("register-begin")
        assert begin.status_code == 200, begin.data
        name = bend.pop("name", None)
        body = authenticator.register(begin.data, **bend)
        if name is not None:
            body["name"] = name
        return self.post("register-complete", body)

    def enrolled(self, user: Any = None, **options: Any) -> tuple[Authenticator, WebAuthnDevice]:
        """A new credential of ``user`` (Alice), registered through the endpoints."""
        user = user or self.alice
        authenticator = Authenticator(**options)
        self.client.force_login(user)
        response = self.register(authenticator)
        assert response.status_code == 200, response.data
        self.client.logout()
        return authenticator, WebAuthnDevice.objects.get(user=user)

    def pending(self, client: Client | None = None) -> Any:
        return (client or self.client).session.get(CEREMONY_SESSION_KEY)


def totp_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone")


class WebAuthnTestCase(WebAuthnMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password=PASSWORD)
        cls.bob = User.objects.create_user("bob", password=PASSWORD)
