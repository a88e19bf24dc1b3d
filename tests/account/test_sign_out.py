"""Sign out everywhere: every session of the user ends, whatever the session engine, at no
cost to an ordinary request; every remembered browser is revoked."""

from __future__ import annotations

import datetime
import unittest
from importlib import import_module
from typing import Any
from unittest import mock

import django
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import AsyncClient, Client, override_settings
from django.utils import timezone

from django_otp import devices, signals
from django_otp.contrib.remember.models import AssuranceReset, RememberedBrowser
from django_otp.internal.session_keys import SIGNED_IN_SESSION_KEY
from tests.account.helpers import COOKIE, OVERVIEW, AccountTestCase, add_totp, code, trusted_browser
from tests.browser.sessions import signed_in_session_key
from tests.flows.test_remember import Receiver

PAGE = "/otp/security/sign-out/"


def session_of(user: Any, device: Any = None) -> Client:
    """A new client (another browser) with a session of ``user``, verified by ``device``."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session_key(user, device)
    return client


def whoami(client: Client) -> dict[str, Any]:
    return client.get("/whoami/").json()


class SignOutEverywhereTests(AccountTestCase):
    def setUp(self) -> None:
        self.phone = add_totp(self.alice)
        self.here = session_of(self.alice, self.phone)
        self.there = session_of(self.alice, self.phone)

    def sign_out(self, client: Client | None = None) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return (client or self.here).post(PAGE)

    def test_the_overview_offers_it_and_the_page_says_what_happens(self) -> None:
        assert f'href="{PAGE}"' in self.here.get(OVERVIEW).content.decode()
        response = self.here.get(PAGE)
        self.assertContains(response, "this one included")
        self.assertContains(response, "If you think someone knows your password")

    def test_the_other_session_ends_and_this_one_too(self) -> None:
        assert whoami(self.there)["verified"] is True
        there_key = self.there.cookies[settings.SESSION_COOKIE_NAME].value
        response = self.sign_out()
        self.assertContains(response, "You are signed out everywhere")
        self.assertContains(response, 'href="/login/"')
        assert whoami(self.here)["authenticated"] is False
        answer = self.there.get("/whoami/")
        assert answer.json() == {**answer.json(), "authenticated": False, "verified": False}
        assert answer.cookies[settings.SESSION_COOKIE_NAME].value == ""  # the cookie is deleted
        assert not Session.objects.filter(session_key=there_key).exists()
        assert self.there.get(OVERVIEW)["Location"] == f"/login/?next={OVERVIEW}"

    def test_other_users_and_later_sessions_are_not_touched(self) -> None:
        bob = session_of(self.bob, add_totp(self.bob))
        self.sign_out()
        assert whoami(bob)["verified"] is True
        later = session_of(self.alice, self.phone)
        assert whoami(later)["verified"] is True
        assert whoami(later)["verified"] is True

    def test_a_session_older_than_the_rule_ends_too(self) -> None:
        key = self.there.cookies[settings.SESSION_COOKIE_NAME].value
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
        del store[SIGNED_IN_SESSION_KEY]
        store.save()
        self.sign_out()
        assert whoami(self.there)["authenticated"] is False

    @unittest.skipUnless(django.VERSION >= (5, 0), "request.auser() is new in Django 5.0")
    def test_an_async_request_ends_the_session_too(self) -> None:
        client = AsyncClient()
        client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session_key(self.alice, self.phone)
        assert async_to_sync(client.get)("/awhoami/").json()["verified"] is True
        self.sign_out()
        assert async_to_sync(client.get)("/awhoami/").json()["authenticated"] is False

    def test_a_password_only_session_ends_once_it_proves_a_device(self) -> None:
        password_only = session_of(self.alice)
        self.sign_out()
        assert whoami(password_only) == {**whoami(password_only), "verified": False}
        response = password_only.post(
            "/otp/step-up/?policy=default",
            {"otp_device": self.phone.persistent_id, "otp_token": code(self.phone, 1)},
        )
        assert response.status_code == 302
        assert whoami(password_only)["authenticated"] is False

    @override_settings(OTP_REMEMBER_DAYS=30)
    def test_remembered_browsers_are_revoked_and_one_signal_is_sent(self) -> None:
        browser, cookie = trusted_browser(self.alice, self.phone)
        signed_out = Receiver(signals.signed_out_everywhere, self)
        revoked = Receiver(signals.browser_revoked, self)
        self.sign_out()
        assert RememberedBrowser.objects.get(pk=browser.pk).revoke_reason == "everything"
        assert [(c["user"], c["browsers"]) for c in signed_out.calls] == [(self.alice, 1)]
        assert [c["reason"] for c in revoked.calls] == ["everything"]
        assert signed_out.calls[0]["request"] is not None
        new_session = Client()
        new_session.force_login(self.alice)
        new_session.cookies[COOKIE] = cookie
        assert whoami(new_session) == {**whoami(new_session), "verified": False}

    def test_the_instant_is_recorded_for_the_admin(self) -> None:
        before = timezone.now()
        self.sign_out()
        reset = AssuranceReset.objects.get(user=self.alice)
        assert before <= reset.signed_out_at == reset.at <= timezone.now()

    def test_a_user_without_a_device_is_not_offered_it(self) -> None:
        """Their other sessions prove no device, so nothing would end them (see the docs):
        the overview does not offer it; the page, opened anyway, signs this session out."""
        self.sign_in(self.bob)
        assert f'href="{PAGE}"' not in self.client.get(OVERVIEW).content.decode()
        other = session_of(self.bob)
        response = self.client.post(PAGE)
        assert response.status_code == 200
        assert AssuranceReset.objects.get(user=self.bob).signed_out_at is not None
        assert self.client.get("/whoami/").json()["authenticated"] is False
        assert whoami(other)["authenticated"] is True  # no device, no query

    def test_an_unverified_session_of_a_user_with_a_device_steps_up(self) -> None:
        self.sign_in(self.alice)
        self.assertStepUp(self.client.get(PAGE), "default", PAGE)
        self.assertStepUp(self.client.post(PAGE), "default", PAGE)
        assert not AssuranceReset.objects.exists()

    def test_a_stale_verified_session_may_sign_out_everywhere(self) -> None:
        past = timezone.now() - datetime.timedelta(hours=2)
        with mock.patch("time.time", return_value=past.timestamp()):
            stale = session_of(self.alice, self.phone)
        assert self.sign_out(stale).status_code == 200
        assert whoami(self.there)["authenticated"] is False

    @override_settings(INSTALLED_APPS=[a for a in settings.INSTALLED_APPS if "remember" not in a])
    def test_without_the_remember_app_there_is_nothing_to_offer(self) -> None:
        assert "Sign out everywhere" not in self.here.get(OVERVIEW).content.decode()
        assert self.here.get(PAGE).status_code == 404


class OrdinaryRequestCostTests(AccountTestCase):
    """The instant comes with the device's query: an ordinary request costs what it did."""

    def setUp(self) -> None:
        self.phone = add_totp(self.alice)

    def test_a_verified_request_is_three_queries_before_and_after(self) -> None:
        there = session_of(self.alice, self.phone)
        bob = session_of(self.bob, add_totp(self.bob))
        with self.assertNumQueries(3):  # the session, the user, the device
            assert whoami(there)["verified"] is True
        session_of(self.alice, self.phone).post(PAGE)
        with self.assertNumQueries(3):
            assert whoami(bob)["verified"] is True
        later = session_of(self.alice, self.phone)
        with self.assertNumQueries(3):
            assert whoami(later)["verified"] is True

    @override_settings(OTP_CACHE="default")
    def test_with_the_shared_cache_two_queries_and_the_session_still_ends(self) -> None:
        there = session_of(self.alice, self.phone)
        whoami(there)  # fills the cache
        with self.assertNumQueries(2):  # the session, the user
            assert whoami(there)["verified"] is True
        session_of(self.alice, self.phone).post(PAGE)
        assert whoami(there)["authenticated"] is False

    @override_settings(OTP_CACHE="default")
    def test_a_cache_entry_of_an_earlier_version_is_read_again(self) -> None:
        shared = caches["default"]
        key = devices.cache_key(self.phone.persistent_id)
        values = [self.phone.pk, self.alice.pk, True, self.phone.name]
        shared.set(key, [self.phone.model_label(), values, None])  # no sign-out instant
        session_of(self.alice, self.phone).post(PAGE)
        shared.set(key, [self.phone.model_label(), values, None])  # as another process might
        with self.assertNumQueries(1):
            device = devices.load(self.phone.persistent_id)
        assert device is not None and device.otp_signed_out_at is not None
        assert len(shared.get(key)) == 4
