"""Statements of each step of the sign-in, as a site runs them (autocommit), without the
session's own: the session lives in a signed cookie here, so that only the sign-in's
statements are counted. ``M`` is the number of device models (each is asked for the user's
devices when a page lists them; a site with the four built-in types has four).
"""

from __future__ import annotations

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
