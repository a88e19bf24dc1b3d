"""Remembered browsers end to end: made at sign-in or step-up, recalled by a new session,
ended by revocation, expiry, a new password, the device's removal or "revoke everything"."""

from __future__ import annotations

import datetime
import unittest
from http.cookies import Morsel
from typing import Any

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY, signals
from django_otp.contrib.remember.models import AssuranceReset, RememberedBrowser
from django_otp.flows import remember
from django_otp.flows.remember import COOKIE_SALT
from django_otp.internal.session_keys import REMEMBER_CHECKED_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.assurance.test_state import _redis_reachable
from tests.flows.test_stepup import PASSWORD, StepUpTestCase, code

COOKIE = "otp_remember"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
TABLE = RememberedBrowser._meta.db_table


def sign(value: str) -> str:
    """``value`` signed as the remembered-browser cookie is."""
    response = HttpResponse()
    response.set_signed_cookie(COOKIE, value, salt=COOKIE_SALT)
    return response.cookies[COOKIE].value


def unsign(cookie: str) -> str:
    """The value inside a remembered-browser cookie (``BadSignature`` if it is not one)."""
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE] = cookie
    return request.get_signed_cookie(COOKIE, salt=COOKIE_SALT)


def remember_queries(queries: CaptureQueriesContext) -> list[str]:
    """The statements of ``queries`` that touched the remembered-browser table."""
    return [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]


class Receiver:
    """Collects the keyword arguments of every signal sent to it."""

    def __init__(self, signal: Any, test: TestCase) -> None:
        self.calls: list[dict[str, Any]] = []
        signal.connect(self, weak=False, dispatch_uid=id(self))
        test.addCleanup(signal.disconnect, dispatch_uid=id(self))

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@override_settings(OTP_REMEMBER_DAYS=30)
class RememberTestCase(StepUpTestCase):
    def sign_in(self, client: Client | None = None, *, trust: bool = True) -> Any:  # type: ignore[override]
        """Password and a TOTP code through ``LoginView``, ticking "trust this browser"."""
        fields = {"otp_remember": "on"} if trust else {}
        return super().sign_in(None, client, fields, HTTP_USER_AGENT=FIREFOX)

    def remembered_cookie(self) -> str:
        """Sign in with "trust this browser" and return the cookie's value."""
        response = self.sign_in()
        return response.cookies[COOKIE].value

    def new_session(self, cookie: str | None, user: Any = None) -> Client:
        """Another session of the browser: signed in with a password only, with ``cookie``."""
        client = Client()
        client.force_login(user or self.alice)
        if cookie is not None:
            client.cookies[COOKIE] = cookie
        return client

    def verified(self, client: Client) -> bool:
        return bool(client.get("/whoami/").json()["verified"])

    def browser(self) -> RememberedBrowser:
        return RememberedBrowser.objects.get(user=self.alice)


class RememberingTests(RememberTestCase):
    def test_sign_in_with_trust_makes_a_row_and_a_cookie(self) -> None:
        with freeze_time("2026-12-01 10:00:00"):
            response = self.sign_in()
        browser = self.browser()
        assert browser.device_id == self.totp.persistent_id
        assert browser.label == "Firefox (Linux)"
        assert browser.expires_at == browser.created_at + datetime.timedelta(days=30)
        assert browser.is_active and browser.status == "active"
        selector, secret = unsign(response.cookies[COOKIE].value).split(":")
        assert selector == browser.selector
        assert remember.secret_hash(secret) == browser.secret_hash
        assert secret not in (browser.secret_hash, browser.account_hash, browser.selector)

    def test_the_cookie_is_httponly_secure_lax_and_lasts_the_days(self) -> None:
        morsel: Morsel = self.sign_in().cookies[COOKIE]
        assert morsel["httponly"] is True
        assert morsel["secure"] is True
        assert morsel["samesite"] == "Lax"
        assert morsel["max-age"] == 30 * 86400
        assert morsel["path"] == "/"

    @override_settings(DEBUG=True)
    def test_the_cookie_is_not_secure_under_debug(self) -> None:
        assert self.sign_in().cookies[COOKIE]["secure"] == ""

    def test_without_the_checkbox_nothing_is_remembered(self) -> None:
        response = self.sign_in(trust=False)
        assert COOKIE not in response.cookies
        assert not RememberedBrowser.objects.exists()

    def test_stepping_up_with_trust_remembers_the_browser(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.client.force_login(self.alice)
            frozen.tick(datetime.timedelta(seconds=30))
            response = self.client.post(
                "/otp/step-up/?policy=recent",
                {
                    "policy": "recent",
                    "next": "/protected/recent/",
                    "otp_device": self.totp.persistent_id,
                    "otp_token": code(),
                    "otp_remember": "on",
                },
            )
            assert response.status_code == 302
            assert response["Location"] == "/protected/recent/"
        assert COOKIE in response.cookies
        assert self.browser().device_id == self.totp.persistent_id

    def test_a_remembered_session_cannot_remember_itself_again(self) -> None:
        cookie = self.remembered_cookie()
        client = self.new_session(cookie)
        client.get("/whoami/")
        request = client.get("/assurance/").wsgi_request
        result = remember.remember(request, HttpResponse(), self.totp)
        assert (result.ok, result.error, result.browser) == (False, "not_proved", None)
        assert RememberedBrowser.objects.count() == 1

    def test_another_users_device_is_refused(self) -> None:
        self.sign_in(trust=False)
        request = self.client.get("/assurance/").wsgi_request
        result = remember.remember(request, HttpResponse(), self.bobs)
        assert result.error == "device_required"

    @override_settings(OTP_REMEMBER_DAYS=0)
    def test_disabled_does_nothing(self) -> None:
        self.sign_in(trust=False)
        request = self.client.get("/assurance/").wsgi_request
        result = remember.remember(request, HttpResponse(), self.totp)
        assert result.error == "disabled"
        assert not remember.enabled()

    def test_remembering_again_replaces_the_browsers_row(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            first = self.browser()
            frozen.tick(datetime.timedelta(minutes=5))
            cookie = self.client.cookies[COOKIE].value
            self.client.logout()  # the test client forgets every cookie here; a browser would not
            self.client.cookies[COOKIE] = cookie
            self.sign_in()
        rows = list(RememberedBrowser.objects.order_by("created_at"))
        assert (rows[0].pk, rows[0].revoke_reason) == (first.pk, "replaced")
        assert [r.is_active for r in rows] == [False, True]


class RecallTests(RememberTestCase):
    def test_a_new_session_is_verified_by_the_remembered_browser(self) -> None:
        cookie = self.remembered_cookie()
        client = self.new_session(cookie)
        assert client.get("/protected/bare/").content == b"secret"
        state = client.get("/whoami/").json()
        assert state["verified"] is True
        assert state["device"] == self.totp.persistent_id
        assert client.session[DEVICE_ID_SESSION_KEY] == self.totp.persistent_id
        assurance = client.get("/assurance/").json()
        assert assurance["methods"] == ["pwd", "totp"]
        assert assurance["aal"] == 1  # a remembered browser is no factor

    def test_a_remembered_proof_never_meets_max_age_or_phishing_resistance(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(seconds=10))
            client = self.new_session(cookie)
            assert client.get("/protected/bare/").content == b"secret"
            response = client.get("/protected/recent/")
            assert response.status_code == 302
            assert response["Location"].startswith("/otp/step-up/?policy=recent")
            assert client.get("/protected/phr/").status_code == 302
            assert client.get("/protected/aal2/").status_code == 302

    def test_a_policy_that_allows_remembered_browsers_is_met(self) -> None:
        policies = {"lenient": {"remembered": True}, "strict": {}}
        with self.settings(OTP_POLICIES=policies):
            client = self.new_session(self.remembered_cookie())
            client.get("/whoami/")
            state = client.get("/assurance/").wsgi_request.otp_state
            assert state.satisfies("lenient")
            assert state.unmet("strict").reason == "method"
            assert state.satisfies("default")

    def test_a_step_up_replaces_the_remembered_proof_with_a_live_one(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(minutes=10))
            client = self.new_session(cookie)
            client.get("/whoami/")
            response = client.post(
                "/otp/step-up/?policy=recent",
                {
                    "policy": "recent",
                    "next": "/protected/recent/",
                    "otp_device": self.totp.persistent_id,
                    "otp_token": code(),
                },
            )
            assert response.status_code == 302
            assert client.get("/protected/recent/").content == b"secret"

    def test_the_cookie_is_read_once_per_session(self) -> None:
        client = self.new_session(self.remembered_cookie())
        with CaptureQueriesContext(connection) as first:
            assert self.verified(client)
        assert len(remember_queries(first)) == 1
        assert client.session[REMEMBER_CHECKED_SESSION_KEY] is True
        with CaptureQueriesContext(connection) as second:
            assert self.verified(client)
        assert remember_queries(second) == []
        cookie = client.cookies[COOKIE].value
        client.logout()  # the test client forgets every cookie here; a browser would not
        client.force_login(self.alice)  # a new session reads the cookie again
        client.cookies[COOKIE] = cookie
        with CaptureQueriesContext(connection) as third:
            assert self.verified(client)
        assert len(remember_queries(third)) == 1

    def test_otp_required_recalls_without_the_middleware(self) -> None:
        cookie = self.remembered_cookie()
        middleware = [m for m in settings.MIDDLEWARE if "django_otp" not in m]
        with self.settings(MIDDLEWARE=middleware):
            client = self.new_session(cookie)
            assert client.get("/protected/bare/").content == b"secret"
            assert client.session[DEVICE_ID_SESSION_KEY] == self.totp.persistent_id

    @unittest.skipUnless(django.VERSION >= (5, 0), "request.auser() is new in Django 5.0")
    def test_asynchronous_requests_recall_too(self) -> None:
        cookie = self.remembered_cookie()
        client = self.new_session(cookie)
        assert client.get("/awhoami/").json()["verified"] is True

    def test_the_middleware_path_without_a_cookie_reads_nothing(self) -> None:
        client = self.new_session(None)
        with CaptureQueriesContext(connection) as queries:
            assert not self.verified(client)
        assert remember_queries(queries) == []
        assert REMEMBER_CHECKED_SESSION_KEY not in client.session

    @override_settings(OTP_REMEMBER_DAYS=0)
    def test_a_cookie_is_ignored_once_the_feature_is_disabled(self) -> None:
        with self.settings(OTP_REMEMBER_DAYS=30):
            cookie = self.remembered_cookie()
        client = self.new_session(cookie)
        with CaptureQueriesContext(connection) as queries:
            assert not self.verified(client)
        assert remember_queries(queries) == []


class SignInTests(RememberTestCase):
    """``LoginView`` on a remembered browser: the password is enough, the code is not asked."""

    def post_password(self, client: Client, password: str = PASSWORD) -> Any:
        return client.post("/login/", {"username": "alice", "password": password})

    def test_the_password_alone_signs_in_verified(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(days=3))
            client = Client()
            client.cookies[COOKIE] = cookie
            response = self.post_password(client)
            assert response.status_code == 302
            assert client.get("/protected/bare/").content == b"secret"
            assert client.get("/assurance/").json()["methods"] == ["pwd", "totp"]
            assert client.get("/protected/recent/").status_code == 302
        assert self.browser().last_used_at == datetime.datetime(
            2026, 12, 4, 10, tzinfo=datetime.timezone.utc
        )

    def test_without_the_cookie_the_code_is_asked_for(self) -> None:
        response = self.post_password(Client())
        assert response.status_code == 200
        assert response.context["form"].errors.as_data()["__all__"][0].code == "token_required"

    def test_a_wrong_password_is_refused_even_on_a_remembered_browser(self) -> None:
        client = Client()
        client.cookies[COOKIE] = self.remembered_cookie()
        response = self.post_password(client, "wrong")
        assert response.status_code == 200
        assert client.get("/whoami/").json()["authenticated"] is False

    def test_a_revoked_browser_is_asked_for_the_code(self) -> None:
        client = Client()
        client.cookies[COOKIE] = self.remembered_cookie()
        remember.revoke_all(self.alice)
        response = self.post_password(client)
        assert response.status_code == 200
        assert "Please enter your OTP token." in response.content.decode()
        assert response.cookies[COOKIE].value == ""  # the bad cookie is deleted

    def test_another_users_browser_does_not_help(self) -> None:
        client = Client()
        client.cookies[COOKIE] = self.remembered_cookie()
        response = client.post("/login/", {"username": "bob", "password": PASSWORD})
        assert response.status_code == 200
        assert client.get("/whoami/").json()["authenticated"] is False


class QueryCountTests(RememberTestCase):
    """What a remembered browser costs: one indexed query on a new session's first request."""

    def test_first_request_of_a_new_session(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(minutes=5))
            client = self.new_session(cookie)
            # The session, the user, the browser's row (the one query for the cookie), the
            # device (as on every verified request) and the session's save (an UPDATE in a
            # savepoint here, in a transaction of its own where a site runs in autocommit).
            with self.assertNumQueries(7), CaptureQueriesContext(connection) as queries:
                assert self.verified(client)
        rows = remember_queries(queries)
        assert len(rows) == 1 and rows[0].startswith("SELECT")
        assert "selector" in rows[0]

    def test_last_used_is_written_at_most_once_an_hour(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(hours=2))
            client = self.new_session(cookie)
            with CaptureQueriesContext(connection) as queries:
                assert self.verified(client)
            rows = remember_queries(queries)
            assert [sql.split()[0] for sql in rows] == ["SELECT", "UPDATE"]
            assert self.browser().last_used_at == datetime.datetime(
                2026, 12, 1, 12, tzinfo=datetime.timezone.utc
            )
            frozen.tick(datetime.timedelta(minutes=30))
            with CaptureQueriesContext(connection) as again:
                assert self.verified(self.new_session(cookie))
            assert [sql.split()[0] for sql in remember_queries(again)] == ["SELECT"]

    def test_later_requests_cost_nothing_for_the_cookie(self) -> None:
        client = self.new_session(self.remembered_cookie())
        client.get("/whoami/")
        with self.assertNumQueries(3):  # session, user, device: as any verified request
            assert self.verified(client)

    def test_a_request_that_never_touches_the_user_costs_nothing(self) -> None:
        client = self.new_session(self.remembered_cookie())
        with self.assertNumQueries(0):
            assert client.get("/untouched/").content == b"ok"

    def test_an_unverified_session_without_the_cookie_costs_what_it_did(self) -> None:
        client = self.new_session(None)
        with self.assertNumQueries(2):  # the session and the user
            assert not self.verified(client)


class InvalidationTests(RememberTestCase):
    def assert_refused(self, cookie: str, *, deleted: bool = True, user: Any = None) -> None:
        """A new session with ``cookie`` is not verified, and the cookie is deleted if bad."""
        client = self.new_session(cookie, user)
        response = client.get("/whoami/")
        assert response.json()["verified"] is False
        if deleted:
            assert response.cookies[COOKIE].value == ""
            assert response.cookies[COOKIE]["max-age"] == 0
        else:
            assert COOKIE not in response.cookies
        assert client.get("/protected/bare/").status_code == 302

    def test_after_revocation(self) -> None:
        cookie = self.remembered_cookie()
        assert remember.revoke(self.alice, self.browser().pk) is True
        self.assert_refused(cookie)
        assert self.browser().revoke_reason == "user"

    def test_after_expiry(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(days=29, hours=23))
            assert self.verified(self.new_session(cookie))
            frozen.tick(datetime.timedelta(hours=2))
            self.assert_refused(cookie)
            assert self.browser().status == "expired"

    def test_after_the_row_expires_even_with_a_fresh_signature(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            RememberedBrowser.objects.update(
                expires_at=datetime.datetime.now(datetime.timezone.utc)
            )
            frozen.tick(datetime.timedelta(seconds=1))
            self.assert_refused(cookie)

    def test_after_a_password_change(self) -> None:
        revoked = Receiver(signals.browser_revoked, self)
        cookie = self.remembered_cookie()
        alice = get_user_model().objects.get(pk=self.alice.pk)
        alice.set_password("new battery staple")
        with self.captureOnCommitCallbacks(execute=True):
            alice.save()
        assert self.browser().revoke_reason == "password_changed"
        assert [call["reason"] for call in revoked.calls] == ["password_changed"]
        self.assert_refused(cookie, user=alice)

    def test_after_a_password_written_behind_djangos_back(self) -> None:
        cookie = self.remembered_cookie()
        get_user_model().objects.filter(pk=self.alice.pk).update(password="!unusable")
        alice = get_user_model().objects.get(pk=self.alice.pk)
        assert self.browser().is_active
        self.assert_refused(cookie, user=alice)
        assert self.browser().revoke_reason == "password_changed"

    def test_saving_the_user_without_a_new_password_keeps_the_browser(self) -> None:
        cookie = self.remembered_cookie()
        alice = get_user_model().objects.get(pk=self.alice.pk)
        alice.first_name = "Alice"
        alice.save()
        assert self.verified(self.new_session(cookie))

    def test_after_the_device_is_removed(self) -> None:
        cookie = self.remembered_cookie()
        TOTPDevice.objects.get(pk=self.totp.pk).delete()
        assert self.browser().revoke_reason == "device_removed"
        self.assert_refused(cookie)

    def test_after_the_device_is_unconfirmed(self) -> None:
        cookie = self.remembered_cookie()
        device = TOTPDevice.objects.get(pk=self.totp.pk)
        device.confirmed = False
        device.save()
        assert self.browser().revoke_reason == "device_removed"
        device.confirmed = True
        device.save()
        self.assert_refused(cookie)

    def test_after_the_device_is_unconfirmed_behind_djangos_back(self) -> None:
        cookie = self.remembered_cookie()
        TOTPDevice.objects.filter(pk=self.totp.pk).update(confirmed=False)
        self.assert_refused(cookie)
        assert self.browser().revoke_reason == "device_removed"

    def test_other_devices_leave_the_browser_alone(self) -> None:
        cookie = self.remembered_cookie()
        StaticDevice.objects.get(pk=self.backup.pk).delete()
        assert self.verified(self.new_session(cookie))

    def test_after_revoke_everything(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            frozen.tick(datetime.timedelta(minutes=1))
            assert self.verified(self.client)  # the session that remembered the browser
            assert remember.revoke_everything(self.alice) == 1
            frozen.tick(datetime.timedelta(seconds=1))
            assert not self.verified(self.client)
            assert self.client.get("/protected/bare/").status_code == 302
            self.assert_refused(cookie)
        assert self.browser().revoke_reason == "everything"
        assert AssuranceReset.objects.get(user=self.alice).at == datetime.datetime(
            2026, 12, 1, 10, 1, tzinfo=datetime.timezone.utc
        )

    def test_for_another_user_the_cookie_is_ignored_and_kept(self) -> None:
        cookie = self.remembered_cookie()
        self.assert_refused(cookie, deleted=False, user=self.bob)
        assert self.browser().is_active
        assert self.verified(self.new_session(cookie))

    def test_a_tampered_cookie_is_ignored_and_deleted(self) -> None:
        cookie = self.remembered_cookie()
        for bad in (
            cookie[:-1] + ("A" if cookie[-1] != "A" else "B"),  # the signature
            cookie.replace(cookie[0], "x" if cookie[0] != "x" else "y", 1),  # the selector
            "garbage",
            "",
        ):
            with self.subTest(bad=bad):
                self.assert_refused(bad)
        assert self.verified(self.new_session(cookie))

    def test_a_signed_cookie_with_a_wrong_secret_is_ignored(self) -> None:
        self.remembered_cookie()
        browser = self.browser()
        self.assert_refused(sign(f"{browser.selector}:{'a' * 40}"))
        self.assert_refused(sign("unknown-selector:secret"))
        assert self.browser().is_active


class ManagementTests(RememberTestCase):
    def test_browsers_for_lists_the_active_ones_newest_first(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.remembered_cookie()
            frozen.tick(datetime.timedelta(minutes=1))
            self.sign_in(Client())
            newest = RememberedBrowser.objects.order_by("-created_at").first()
            listed = remember.browsers_for(self.alice)
            assert len(listed) == 2 and listed[0].pk == newest.pk
            remember.revoke(self.alice, newest.pk)
            assert len(remember.browsers_for(self.alice)) == 1
            frozen.tick(datetime.timedelta(days=31))
            assert remember.browsers_for(self.alice) == []
        assert remember.browsers_for(self.bob) == []

    def test_is_this_browser(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.remembered_cookie()
            frozen.tick(datetime.timedelta(seconds=30))
            self.sign_in(other := Client())
        mine, theirs = RememberedBrowser.objects.order_by("created_at")
        request = self.client.get("/untouched/").wsgi_request
        assert remember.is_this_browser(request, mine)
        assert not remember.is_this_browser(request, theirs)
        assert remember.is_this_browser(other.get("/untouched/").wsgi_request, theirs)

    def test_revoke_refuses_another_users_browser(self) -> None:
        self.remembered_cookie()
        assert remember.revoke(self.bob, self.browser().pk) is False
        assert remember.revoke(self.alice, 10**9) is False
        assert self.browser().is_active

    def test_revoke_all(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.remembered_cookie()
            frozen.tick(datetime.timedelta(seconds=30))
            self.sign_in(Client())
        assert remember.revoke_all(self.alice) == 2
        assert remember.revoke_all(self.alice) == 0
        assert remember.browsers_for(self.alice) == []


class SignalTests(RememberTestCase):
    def test_browser_remembered_is_sent_once_after_commit_without_the_cookie(self) -> None:
        received = Receiver(signals.browser_remembered, self)
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.sign_in()
        assert received.calls == []
        for callback in callbacks:
            callback()
        assert len(received.calls) == 1
        call = received.calls[0]
        assert call["browser"] == self.browser()
        assert call["user"] == self.alice
        assert call["request"] is not None
        assert call["sender"] is RememberedBrowser
        value = response.cookies[COOKIE].value
        secret = value.split(":")[1]
        assert not any(value in repr(arg) or secret in repr(arg) for arg in call.values()), (
            "the signal carries the cookie"
        )

    def test_browser_revoked_is_sent_once_per_revocation_with_the_reason(self) -> None:
        received = Receiver(signals.browser_revoked, self)
        self.remembered_cookie()
        browser = self.browser()
        with self.captureOnCommitCallbacks(execute=True):
            remember.revoke(self.alice, browser.pk)
            remember.revoke(self.alice, browser.pk)  # already revoked: nothing sent
        assert len(received.calls) == 1
        call = received.calls[0]
        assert call["reason"] == "user"
        assert call["user"] == self.alice
        assert [b.pk for b in call["browsers"]] == [browser.pk]
        assert call["browsers"][0].revoked_at is not None

    def test_each_reason(self) -> None:
        received = Receiver(signals.browser_revoked, self)
        with (
            freeze_time("2026-12-01 10:00:00") as frozen,
            self.captureOnCommitCallbacks(execute=True),
        ):
            self.remembered_cookie()
            remember.revoke_everything(self.alice)
            frozen.tick(datetime.timedelta(seconds=30))
            self.sign_in(Client())
            TOTPDevice.objects.get(pk=self.totp.pk).delete()
        assert [call["reason"] for call in received.calls] == ["everything", "device_removed"]
        assert received.calls[1]["user"] == self.alice

    def test_nothing_is_sent_when_the_transaction_rolls_back(self) -> None:
        received = Receiver(signals.browser_revoked, self)
        self.remembered_cookie()
        with self.captureOnCommitCallbacks() as callbacks:
            remember.revoke_all(self.alice)
        assert received.calls == [] and len(callbacks) == 1


class CheckboxTests(RememberTestCase):
    SPEC_FIELDS = ["username", "password", "otp_device", "otp_token", "otp_challenge"]

    def test_login_forms_offer_the_checkbox_when_enabled(self) -> None:
        form = self.client.get("/login/").context["form"]
        assert list(form.fields) == [*self.SPEC_FIELDS, "otp_remember"]
        assert form.fields["otp_remember"].label == "Trust this browser for 30 days"
        self.client.force_login(self.alice)
        token_form = self.client.get("/login/").context["form"]
        assert list(token_form.fields) == [
            "otp_device",
            "otp_token",
            "otp_challenge",
            "otp_remember",
        ]

    @override_settings(OTP_REMEMBER_DAYS=1)
    def test_the_label_counts_the_days(self) -> None:
        label = self.client.get("/login/").context["form"].fields["otp_remember"].label
        assert label == "Trust this browser for 1 day"

    @override_settings(OTP_REMEMBER_DAYS=0)
    def test_disabled_the_forms_keep_the_fields_of_the_spec(self) -> None:
        assert list(self.client.get("/login/").context["form"].fields) == self.SPEC_FIELDS
        self.client.force_login(self.alice)
        assert list(self.client.get("/login/").context["form"].fields) == self.SPEC_FIELDS[2:]
        page = self.client.get("/otp/step-up/?policy=recent&next=/")
        assert "otp_remember" not in page.context["form"].fields
        assert b"otp_remember" not in page.content
        assert b"Trust this browser" not in page.content

    def test_the_step_up_page_shows_the_checkbox_when_enabled(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get("/otp/step-up/?policy=recent&next=/")
        self.assertContains(page, 'type="checkbox" name="otp_remember"')
        self.assertContains(page, "Trust this browser for 30 days")
        self.assertContains(page, 'for="id_otp_remember"')


class SharedCacheTests(RememberTestCase):
    """With ``OTP_CACHE``: no device query for the recall, and a reset reaches cached devices."""

    alias = "redis"

    def setUp(self) -> None:
        if self.alias == "redis" and not _redis_reachable():
            self.skipTest("the Redis server of REDIS_URL is not running")
        caches[self.alias].clear()
        override = override_settings(OTP_CACHE=self.alias)
        override.enable()
        self.addCleanup(override.disable)

    def test_the_first_request_reads_the_device_from_the_cache(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            cookie = self.remembered_cookie()
            assert self.verified(self.client)  # fills the cache
            frozen.tick(datetime.timedelta(minutes=5))
            client = self.new_session(cookie)
            with CaptureQueriesContext(connection) as queries:
                assert self.verified(client)
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        assert len(remember_queries(queries)) == 1
        assert TOTPDevice._meta.db_table not in tables

    def test_revoke_everything_ends_a_verified_session_whose_device_is_cached(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.remembered_cookie()
            assert self.verified(self.client)
            assert self.verified(self.client)  # from the cache now
            frozen.tick(datetime.timedelta(seconds=1))
            with self.captureOnCommitCallbacks(execute=True):
                remember.revoke_everything(self.alice)
            frozen.tick(datetime.timedelta(seconds=1))
            assert not self.verified(self.client)


class FileCacheTests(SharedCacheTests):
    alias = "file"
