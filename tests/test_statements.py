"""Statements per verification path, counted as a site runs them: in autocommit mode.

The verification path decides every attempt with one conditional write, so no path needs a
transaction or a row lock of its own. These counts are part of the design (see the
performance section of the development docs); times belong in ``make bench``.

The flows (the JSON flow, the forms) add the account-wide limit when
``django_otp.contrib.limits`` is installed: their counts are taken without it, as before, and
with it (two more writes: the attempt is counted, then given back by the right code).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory, TransactionTestCase, modify_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

import django_otp
from django_otp import verification
from django_otp.contrib.limits.models import AccountLimit
from django_otp.flows.verify import verify_device_id
from django_otp.forms import OTPTokenForm
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

KEY = bytes(range(20))

#: The flows as a site without ``django_otp.contrib.limits`` runs them.
WITHOUT_LIMITS = modify_settings(INSTALLED_APPS={"remove": "django_otp.contrib.limits"})


def code(value: int) -> str:
    return str(value).zfill(6)


class StatementCountTests(TransactionTestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password="pw")
        self.totp = TOTPDevice.objects.create(user=self.user, name="app", key=KEY.hex())

    def statements(self, operation: Any) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            operation()
        return [query["sql"] for query in queries.captured_queries]

    def fresh(self, device: Any) -> Any:
        return type(device).objects.get(pk=device.pk)

    def test_totp_right_code_is_one_update(self) -> None:
        device = self.fresh(self.totp)
        sql = self.statements(lambda: self.assertTrue(device.verify_token(code(totp(KEY)))))
        assert len(sql) == 1 and sql[0].startswith("UPDATE"), sql

    def test_totp_wrong_code_is_one_update(self) -> None:
        device = self.fresh(self.totp)
        sql = self.statements(lambda: self.assertFalse(device.verify_token("000000")))
        assert len(sql) == 1 and sql[0].startswith("UPDATE"), sql

    def test_totp_replayed_code_is_one_update(self) -> None:
        """A code of a step already used is told apart without a statement of its own."""
        with freeze_time() as frozen:
            device = self.fresh(self.totp)
            assert device.verify_token(code(totp(KEY)))
            frozen.tick(datetime.timedelta(seconds=2))
            sql = self.statements(lambda: self.assertFalse(device.verify_token(code(totp(KEY)))))
        assert len(sql) == 1 and sql[0].startswith("UPDATE"), sql
        assert verification.last_outcome(device).reason == "replayed_token"  # type: ignore[union-attr]

    def test_hotp_replayed_code_is_one_update(self) -> None:
        device = HOTPDevice.objects.create(user=self.user, name="token", key=KEY.hex())
        assert device.verify_token(code(hotp(KEY, 0)))
        sql = self.statements(lambda: self.assertFalse(device.verify_token(code(hotp(KEY, 0)))))
        assert len(sql) == 1 and sql[0].startswith("UPDATE"), sql
        assert verification.last_outcome(device).reason == "replayed_token"  # type: ignore[union-attr]

    def test_a_throttled_device_is_refused_without_a_statement(self) -> None:
        device = self.fresh(self.totp)
        device.throttling_failure_count = 3
        device.throttling_failure_timestamp = timezone.now()
        assert self.statements(lambda: self.assertFalse(device.verify_token("000000"))) == []

    def test_hotp_right_code_is_one_update(self) -> None:
        device = HOTPDevice.objects.create(user=self.user, name="token", key=KEY.hex())
        sql = self.statements(lambda: self.assertTrue(device.verify_token(code(hotp(KEY, 0)))))
        assert len(sql) == 1, sql

    def test_email_right_code_is_one_update(self) -> None:
        device = EmailDevice.objects.create(user=self.user, name="mail", email="a@example.com")
        device.token = "123456"
        device.valid_until = timezone.now() + datetime.timedelta(minutes=5)
        device.save()
        sql = self.statements(lambda: self.assertTrue(device.verify_token("123456")))
        assert len(sql) == 1, sql

    def test_a_backup_code_is_read_written_and_deleted(self) -> None:
        device = StaticDevice.objects.create(user=self.user, name="backup")
        device.token_set.create(token="abcd2345")
        device = self.fresh(device)
        sql = self.statements(lambda: self.assertTrue(device.verify_token("abcd2345")))
        assert [statement.split()[0] for statement in sql] == ["SELECT", "UPDATE", "DELETE"]

    def test_verify_token_is_a_select_and_an_update(self) -> None:
        pid = self.totp.persistent_id
        for token, accepted in [(code(totp(KEY)), True), ("000000", False)]:
            sql = self.statements(
                lambda t=token, a=accepted: self.assertEqual(
                    django_otp.verify_token(self.user, pid, t) is not None, a
                )
            )
            assert [statement.split()[0] for statement in sql] == ["SELECT", "UPDATE"]

    @WITHOUT_LIMITS
    def test_the_json_flow_is_a_select_and_an_update(self) -> None:
        request = RequestFactory().post("/")
        request.user = self.user
        request.session = SessionStore()
        result = None

        def run() -> None:
            nonlocal result
            result = verify_device_id(
                request, self.user, self.totp.persistent_id, code(totp(KEY)), login=False
            )

        sql = self.statements(run)
        assert result is not None and result.ok
        assert [statement.split()[0] for statement in sql] == ["SELECT", "UPDATE"]

    def token_form_statements(self) -> tuple[list[str], list[str], list[str]]:
        """All statements of a valid ``OTPTokenForm``, then its selects and its updates."""
        form = OTPTokenForm(
            self.user,
            None,
            {"otp_device": self.totp.persistent_id, "otp_token": code(totp(KEY))},
        )
        sql = self.statements(lambda: self.assertTrue(form.is_valid(), form.errors))
        selects = [s for s in sql if s.startswith("SELECT")]
        return sql, selects, [s for s in sql if s.startswith("UPDATE")]

    @WITHOUT_LIMITS
    def test_the_token_form_locks_the_device_it_verifies(self) -> None:
        """The form contract runs in a transaction and loads the device locked (spec 7.2)."""
        sql, selects, writes = self.token_form_statements()
        assert len(selects) == 1
        if connection.features.has_select_for_update:
            assert "FOR UPDATE" in selects[0]
            assert len(writes) == 1
        else:  # SQLite takes the write lock with an empty UPDATE first
            assert len(writes) == 2
        assert len(sql) <= 5, sql

    def test_the_json_flow_with_the_account_limit(self) -> None:
        """The attempt is counted before it is decided; a right code gives it back."""
        request = RequestFactory().post("/")
        request.user = self.user
        request.session = SessionStore()
        pid = self.totp.persistent_id
        AccountLimit.objects.create(user=self.user)  # made by the user's first attempt

        def kinds(token: str) -> list[str]:
            sql = self.statements(
                lambda: verify_device_id(request, self.user, pid, token, login=False)
            )
            return [statement.split()[0] for statement in sql]

        with freeze_time() as frozen:
            # A right code: SELECT the device, count the attempt, UPDATE the device, reset.
            assert kinds(code(totp(KEY))) == ["SELECT", "UPDATE", "UPDATE", "UPDATE"]
            frozen.tick(datetime.timedelta(seconds=30))
            # A wrong code on a clean account: the device, the count, the device's failure.
            assert kinds("000000") == ["SELECT", "UPDATE", "UPDATE"]
            frozen.tick(datetime.timedelta(seconds=30))
            # After a failure the account's row is read, then written on condition.
            assert kinds("000000") == ["SELECT", "UPDATE", "SELECT", "UPDATE", "UPDATE"]

    def test_the_token_form_with_the_account_limit(self) -> None:
        AccountLimit.objects.create(user=self.user)
        _, selects, writes = self.token_form_statements()
        assert len(selects) == 1
        assert len(writes) == (3 if connection.features.has_select_for_update else 4)
