"""Statements of each step of the sign-in, as a site runs them (autocommit), without the
session's own: the session lives in a signed cookie here, so that only the sign-in's
statements are counted. ``M`` is the number of device models (each is asked for the user's
devices when a page lists them; a site with the four built-in types has four).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from django_otp import device_classes
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

KEY = bytes(range(20))
TABLE = re.compile(r'(?:FROM|UPDATE|INTO)\s+[`"]?(\w+)[`"]?')


def shape(sql: str) -> str:
    """``"VERB table"`` of a statement, e.g. ``"UPDATE otp_limits_accountlimit"``."""
    found = TABLE.search(sql)
    return f"{sql.split()[0]} {found.group(1) if found else ''}".strip()


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
class SignInStatementTests(TransactionTestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.phone = TOTPDevice.objects.create(user=self.user, name="phone", key=KEY.hex())
        # As after earlier sign-ins: the rows of the limits exist and are clean.
        AccountLimit.objects.create(user=self.user)
        ClientLimit.objects.create(
            scope="password", client="127.0.0.1", window_start=timezone.now()
        )
        ClientLimit.objects.create(scope="code", client="127.0.0.1", window_start=timezone.now())

    def statements(self, method: str, path: str, data: Any = None) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            getattr(self.client, method)(path, data or {})
        return [shape(query["sql"]) for query in queries.captured_queries]

    def lists(self) -> list[str]:
        return [f"SELECT {model._meta.db_table}" for model in device_classes()]

    def test_each_step(self) -> None:
        assert self.statements("get", "/otp/login/") == []
        password = self.statements("post", "/otp/login/", {"username": "alice", "password": "pw"})
        assert password == [
            "UPDATE otp_limits_clientlimit",  # the client's attempt is counted
            "SELECT auth_user",  # authenticate()
            "UPDATE otp_limits_clientlimit",  # and given back
            "SELECT otp_hotp_hotpdevice",  # has the user a device? (the first found ends it)
            "SELECT otp_totp_totpdevice",
        ]
        assert self.statements("get", "/otp/login/verify/") == ["SELECT auth_user", *self.lists()]
        with freeze_time() as frozen:
            wrong = self.statements(
                "post",
                "/otp/login/verify/",
                {"factor": self.phone.persistent_id, "otp_token": "000000"},
            )
            assert wrong == [
                "SELECT auth_user",
                "SELECT otp_totp_totpdevice",
                "UPDATE otp_limits_clientlimit",
                "UPDATE otp_limits_accountlimit",
                "UPDATE otp_totp_totpdevice",  # the device's failure
                *self.lists(),  # the page again, with the error
            ]
            frozen.tick(60)
            right = self.statements(
                "post",
                "/otp/login/verify/",
                {"factor": self.phone.persistent_id, "otp_token": f"{totp(KEY):06d}"},
            )
        assert right == [
            "SELECT auth_user",
            "SELECT otp_totp_totpdevice",
            "UPDATE otp_limits_clientlimit",
            "UPDATE otp_limits_accountlimit",  # not clean after the wrong code:
            "SELECT otp_limits_accountlimit",  # read, then written on condition
            "UPDATE otp_limits_accountlimit",
            "UPDATE otp_totp_totpdevice",  # the code is consumed
            "UPDATE otp_limits_accountlimit",  # the account starts again from 0
            "UPDATE otp_limits_clientlimit",  # the attempt is given back
            "UPDATE auth_user",  # login(): last_login
        ]

    def test_a_right_code_on_a_clean_account(self) -> None:
        self.client.post("/otp/login/", {"username": "alice", "password": "pw"})
        right = self.statements(
            "post",
            "/otp/login/verify/",
            {"factor": self.phone.persistent_id, "otp_token": f"{totp(KEY):06d}"},
        )
        assert len(right) == 8, right

    def test_sending_an_email_code(self) -> None:
        mail = EmailDevice.objects.create(user=self.user, name="mail", email="a@example.com")
        self.client.post("/otp/login/", {"username": "alice", "password": "pw"})
        sent = self.statements(
            "post", "/otp/login/verify/", {"factor": mail.persistent_id, "action": "send"}
        )
        assert sent == [
            "SELECT auth_user",
            "SELECT otp_email_emaildevice",
            "UPDATE otp_email_emaildevice",  # the cooldown is claimed
            "UPDATE otp_email_emaildevice",  # the new token
            *self.lists(),
        ]


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
class FactorStatementTests(TransactionTestCase):
    """The steps this sign-in added: trust this browser, its recall, a passkey."""

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.phone = TOTPDevice.objects.create(user=self.user, name="phone", key=KEY.hex())
        AccountLimit.objects.create(user=self.user)
        for scope in ("password", "code"):
            ClientLimit.objects.create(scope=scope, client="127.0.0.1", window_start=timezone.now())

    def statements(self, method: str, path: str, data: Any = None, **extra: Any) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            getattr(self.client, method)(path, data or {}, **extra)
        return [shape(query["sql"]) for query in queries.captured_queries]

    def post_json(self, path: str, body: Any) -> list[str]:
        return self.statements("post", path, json.dumps(body), content_type="application/json")

    @override_settings(OTP_REMEMBER_DAYS=30)
    def test_trust_this_browser_then_its_recall(self) -> None:
        self.client.post("/otp/login/", {"username": "alice", "password": "pw"})
        data = {"factor": self.phone.persistent_id, "otp_token": f"{totp(KEY):06d}"}
        trusted = self.statements("post", "/otp/login/verify/", {**data, "otp_remember": "on"})
        assert len(trusted) == 9 and trusted[-1] == "INSERT otp_remember_rememberedbrowser"
        cookie = self.client.cookies["otp_remember"].value
        self.client.logout()
        self.client.cookies["otp_remember"] = cookie
        recalled = self.statements("post", "/otp/login/", {"username": "alice", "password": "pw"})
        assert recalled == [
            "UPDATE otp_limits_clientlimit",
            "SELECT auth_user",
            "UPDATE otp_limits_clientlimit",
            "SELECT otp_hotp_hotpdevice",
            "SELECT otp_totp_totpdevice",
            "SELECT otp_remember_rememberedbrowser",  # the cookie's row, by its selector
            "SELECT otp_remember_assurancereset",  # the device it vouches for
            "UPDATE auth_user",  # login(): last_login; no second step
        ]

    def test_a_passkey_as_the_second_factor(self) -> None:
        from tests.plugins.webauthn.authenticator import Authenticator

        self.phone.delete()
        key = Authenticator()
        self.client.force_login(self.user)
        begin = self.client.post("/otp/webauthn/register/begin/", {}, "application/json")
        body = key.register(begin.json())
        self.client.post("/otp/webauthn/register/complete/", body, "application/json")
        self.client.logout()
        self.client.post("/otp/login/", {"username": "alice", "password": "pw"})
        with CaptureQueriesContext(connection) as queries:
            options = self.client.post("/otp/webauthn/verify/begin/", {}, "application/json")
        assert [shape(query["sql"]) for query in queries.captured_queries] == [
            "SELECT auth_user",  # the pending sign-in's user
            "SELECT otp_webauthn_webauthndevice",  # their keys
        ]
        complete = self.post_json("/otp/webauthn/verify/complete/", key.assertion(options.json()))
        assert complete == [
            "SELECT auth_user",
            "SELECT otp_webauthn_webauthndevice",  # the key, by its credential id
            "SELECT otp_webauthn_webauthnuserhandle",
            "UPDATE otp_limits_clientlimit",
            "UPDATE otp_limits_accountlimit",
            "UPDATE otp_webauthn_webauthndevice",  # the counter: the assertion is consumed
            "UPDATE otp_limits_accountlimit",
            "UPDATE otp_limits_clientlimit",
            "UPDATE auth_user",  # login(): last_login
        ]
