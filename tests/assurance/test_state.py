"""request.otp_state: lazy, no query of its own, the shared cache, activity once a minute."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY, devices
from django_otp.internal.session_keys import ACTIVITY_SESSION_KEY, PROOFS_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse"
KEY = bytes(range(20))


def _redis_reachable() -> bool:
    try:
        caches["redis"].set("django-otp-ng-ping", 1, 5)
    except Exception:
        return False
    return True


class SignedIn:
    """A user signed in with a password and a TOTP code through the login view."""

    client: Any

    def make_user(self) -> None:
        self.user = get_user_model().objects.create_user("alice", password=PASSWORD)
        self.device = TOTPDevice.objects.create(user=self.user, name="phone", key=KEY.hex())

    def sign_in(self) -> None:
        response = self.client.post(
            "/login/",
            {
                "username": "alice",
                "password": PASSWORD,
                "otp_device": self.device.persistent_id,
                "otp_token": str(totp(KEY)).zfill(6),
            },
        )
        assert response.status_code == 302, response.content


class StateQueryTests(SignedIn, TestCase):
    def setUp(self) -> None:
        self.make_user()

    def test_an_anonymous_request_costs_nothing(self) -> None:
        with self.assertNumQueries(0):
            assert self.client.get("/assurance/").json()["aal"] == 0

    def test_a_request_that_never_asks_costs_nothing_and_writes_nothing(self) -> None:
        self.sign_in()
        with self.assertNumQueries(0):
            assert self.client.get("/untouched/").content == b"ok"

    def test_a_verified_request_adds_no_query_for_the_state(self) -> None:
        self.sign_in()
        with self.assertNumQueries(3):  # session, user, device: as without the state
            assert self.client.get("/whoami/").json()["verified"] is True
        with self.assertNumQueries(3):
            state = self.client.get("/assurance/").json()
        assert (state["aal"], state["methods"]) == (2, ["pwd", "totp"])

    def test_activity_is_written_at_most_once_a_minute(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            stored = self.client.session[ACTIVITY_SESSION_KEY]
            frozen.tick(datetime.timedelta(seconds=30))
            with self.assertNumQueries(3):
                self.client.get("/assurance/")
            assert self.client.session[ACTIVITY_SESSION_KEY] == stored
            frozen.tick(datetime.timedelta(seconds=31))
            with CaptureQueriesContext(connection) as queries:
                self.client.get("/assurance/")
            writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
            assert len(writes) == 1 and "django_session" in writes[0]
            assert self.client.session[ACTIVITY_SESSION_KEY] == stored + 61
            with self.assertNumQueries(3):
                self.client.get("/assurance/")

    def test_idle_sessions_fall_to_aal1(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(minutes=59))
            assert self.client.get("/assurance/").json()["aal"] == 2
            frozen.tick(datetime.timedelta(minutes=59))
            assert self.client.get("/assurance/").json()["aal"] == 2  # activity kept it alive
            frozen.tick(datetime.timedelta(minutes=61))
            assert self.client.get("/assurance/").json()["aal"] == 1
            assert self.client.get("/protected/bare/").content == b"secret"

    def test_the_overall_limit_ends_aal2_even_for_an_active_session(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            for _ in range(25):
                frozen.tick(datetime.timedelta(minutes=59))
                self.client.get("/assurance/")
            assert self.client.get("/assurance/").json()["aal"] == 1

    def test_a_session_from_before_the_state_still_verifies(self) -> None:
        self.client.force_login(self.user)
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        del session[PROOFS_SESSION_KEY]
        session.save()
        assert self.client.get("/protected/bare/").content == b"secret"
        assert self.client.get("/protected/recent/").status_code == 302

    def test_garbage_in_the_session_is_ignored(self) -> None:
        self.sign_in()
        session = self.client.session
        session[PROOFS_SESSION_KEY] = [["totp"], "x", None, ["pwd", None, "t", [], []]]
        session.save()
        assert self.client.get("/assurance/").json()["methods"] == []


class SharedCacheTests(SignedIn, TransactionTestCase):
    """OTP_CACHE: no device query on a verified request; other connections invalidate it."""

    alias = "redis"

    def setUp(self) -> None:
        if self.alias == "redis" and not _redis_reachable():
            pytest.skip("the Redis server at 127.0.0.1:6379 is not running")
        caches[self.alias].clear()
        self.settings_override = override_settings(OTP_CACHE=self.alias)
        self.settings_override.enable()
        self.addCleanup(self.settings_override.disable)
        self.make_user()

    def _in_another_connection(self, action: Any) -> None:
        """Run ``action`` in a thread, so on a database connection of its own."""
        errors: list[BaseException] = []

        def run() -> None:
            try:
                action()
            except BaseException as e:  # re-raised in the test's thread
                errors.append(e)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

    def test_a_verified_request_makes_no_device_query(self) -> None:
        self.sign_in()
        self.client.get("/whoami/")  # fills the cache
        with self.assertNumQueries(2):  # session and user only
            data = self.client.get("/whoami/").json()
        assert data == {
            "authenticated": True,
            "verified": True,
            "device": self.device.persistent_id,
            "current_request": True,
        }
        with self.assertNumQueries(2):
            assert self.client.get("/assurance/").json()["aal"] == 2

    def test_the_cached_device_is_a_real_instance_that_loads_the_rest(self) -> None:
        self.sign_in()
        self.client.get("/whoami/")
        device = devices.load(self.device.persistent_id)
        assert isinstance(device, TOTPDevice)
        with self.assertNumQueries(1):
            assert device.key == KEY.hex()

    def test_unconfirming_in_another_connection_ends_verification_next_request(self) -> None:
        self.sign_in()
        assert self.client.get("/whoami/").json()["verified"] is True

        def unconfirm() -> None:
            device = TOTPDevice.objects.get(pk=self.device.pk)
            device.confirmed = False
            device.save()

        self._in_another_connection(unconfirm)
        assert self.client.get("/whoami/").json()["verified"] is False

    def test_deleting_in_another_connection_ends_verification_next_request(self) -> None:
        self.sign_in()
        assert self.client.get("/whoami/").json()["verified"] is True
        self._in_another_connection(lambda: TOTPDevice.objects.get(pk=self.device.pk).delete())
        assert self.client.get("/whoami/").json()["verified"] is False
        assert self.client.get("/assurance/").json()["methods"] == ["pwd"]


class FileCacheTests(SharedCacheTests):
    alias = "file"
