"""django_otp.flows.signin and .factors: the sign-in's operations, as a JSON view would call
them (the pages are tested in tests/signin/test_views.py)."""

from __future__ import annotations

import datetime
import time
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, override_settings
from freezegun import freeze_time

from django_otp.flows import signin
from django_otp.flows.factors import (
    Factor,
    choose,
    factors_for,
    has_factors,
    kind_of,
    passwordless_templates,
)
from django_otp.internal.session_keys import PROOFS_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.models import ChallengeDevice, SimpleDevice

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"


def request_for(user: Any = None) -> Any:
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    request.session = SessionStore()
    request.session.create()
    from django.contrib.auth.models import AnonymousUser

    request.user = user or AnonymousUser()
    return request


def test_check_password(alice: Any) -> None:
    request = request_for()
    assert signin.check_password(request, "alice", "nope").error == "invalid_login"
    result = signin.check_password(request, "alice", "alice-pw")
    assert result.ok and result.user == alice and result.user.backend == BACKEND


def test_start_and_current(alice: Any) -> None:
    SimpleDevice.objects.create(user=alice, name="phone")
    request = request_for()
    subject = signin.start(request, signin.check_password(request, "alice", "alice-pw").user)
    assert subject is not None and subject.pending and subject.password
    found, error = signin.current(request)
    assert error is None and found is not None
    assert (found.user, found.backend) == (alice, BACKEND)


@pytest.mark.parametrize(
    "change",
    [
        {"user": "not a number"},
        {"user": "999999"},
        {"backend": "somewhere.Backend"},
        {"backend": None},
        {"at": "yesterday"},
        {"hash": "forged"},
    ],
)
def test_a_tampered_pending_step_is_expired(alice: Any, change: dict[str, Any]) -> None:
    request = request_for()
    request.session[signin.PENDING_SESSION_KEY] = {
        "user": str(alice.pk),
        "backend": BACKEND,
        "at": time.time(),
        "hash": alice.get_session_auth_hash(),
        **change,
    }
    assert signin.current(request) == (None, "expired")
    assert signin.PENDING_SESSION_KEY not in request.session


def test_a_pending_step_from_the_future_is_expired(alice: Any) -> None:
    SimpleDevice.objects.create(user=alice, name="phone")
    request = request_for()
    with freeze_time() as frozen:
        signin.start(request, signin.check_password(request, "alice", "alice-pw").user)
        frozen.tick(datetime.timedelta(seconds=-5))  # a clock set back
        assert signin.current(request) == (None, "expired")


def test_current_without_a_pending_step(alice: Any) -> None:
    assert signin.current(request_for()) == (None, "missing")
    request = request_for(alice)
    assert signin.current(request) == (None, "no_device")
    device = SimpleDevice.objects.create(user=alice, name="phone")
    subject, error = signin.current(request_for(alice))
    assert error is None and subject is not None and not subject.pending
    verified = request_for(alice)
    signin.finish(verified, subject, device)
    assert signin.current(verified) == (None, "verified")


def test_a_first_step_without_a_password_records_no_password_proof(alice: Any) -> None:
    """The slot of a passkey sign-in: it finishes with ``password=False``."""
    device = SimpleDevice.objects.create(user=alice, name="phone")
    alice.backend = BACKEND
    request = request_for()
    signin.finish(request, signin.Subject(alice, BACKEND, password=False), device)
    assert [proof[0] for proof in request.session[PROOFS_SESSION_KEY]] == ["tests"]
    request = request_for()
    fresh = get_user_model().objects.get(pk=alice.pk)
    signin.finish(request, signin.Subject(fresh, BACKEND), device)
    assert [proof[0] for proof in request.session[PROOFS_SESSION_KEY]] == ["pwd", "tests"]


def test_finish_cycles_the_session_key_once(alice: Any) -> None:
    device = SimpleDevice.objects.create(user=alice, name="phone")
    request = request_for()
    with mock.patch.object(SessionStore, "cycle_key", autospec=True) as cycle:
        signin.finish(request, signin.Subject(alice, BACKEND), device)
    assert cycle.call_count == 1


def test_cancel_forgets_the_pending_step(alice: Any) -> None:
    request = request_for()
    request.session[signin.PENDING_SESSION_KEY] = {"user": "1"}
    signin.cancel(request)
    assert signin.PENDING_SESSION_KEY not in request.session


# Factors.


def test_factors_come_strongest_and_most_recently_used_first(alice: Any) -> None:
    backup = StaticDevice.objects.create(user=alice, name="codes")
    mail = EmailDevice.objects.create(user=alice, name="mail")
    old = TOTPDevice.objects.create(user=alice, name="old phone")
    new = TOTPDevice.objects.create(user=alice, name="new phone")
    token = HOTPDevice.objects.create(user=alice, name="token")
    TOTPDevice.objects.create(user=alice, name="unconfirmed", confirmed=False)
    TOTPDevice.objects.filter(pk=new.pk).update(
        last_used_at=datetime.datetime(2030, 1, 2, tzinfo=datetime.timezone.utc)
    )
    TOTPDevice.objects.filter(pk=old.pk).update(
        last_used_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    )
    found = factors_for(alice)
    assert [factor.name for factor in found] == ["new phone", "old phone", "token", "mail", "codes"]
    assert [factor.kind for factor in found] == ["code", "code", "code", "challenge", "backup"]
    assert [str(factor.label) for factor in found] == [
        "Authenticator app",
        "Authenticator app",
        "Hardware token",
        "Email code",
        "Backup code",
    ]
    assert [factor.named for factor in found] == [True, True, True, True, True]
    assert found[-1].id == backup.persistent_id and found[3].device == mail
    assert found[2].template == "otp/login/factor_code.html"
    assert choose(found, None) == found[0]
    assert choose(found, token.persistent_id).device == token
    assert choose(found, "otp_totp.totpdevice/999") is None
    assert choose([], None) is None


def test_a_name_that_only_repeats_the_label_is_not_shown(alice: Any) -> None:
    codes = StaticDevice.objects.create(user=alice, name="Backup codes")
    phone = TOTPDevice.objects.create(user=alice, name="Authenticator app")
    token = HOTPDevice.objects.create(user=alice, name="Office token")
    named = {factor.device: factor.named for factor in factors_for(alice)}
    assert named == {codes: False, phone: False, token: True}


def test_a_device_type_picks_its_kind(alice: Any) -> None:
    simple = SimpleDevice.objects.create(user=alice, name="simple")
    challenge = ChallengeDevice.objects.create(user=alice, name="sms")
    assert kind_of(simple) == "code" and kind_of(challenge) == "challenge"
    with mock.patch.object(SimpleDevice, "otp_signin_kind", "passkey", create=True):
        assert kind_of(simple) == "passkey"
        assert [factor.kind for factor in factors_for(alice)] == ["passkey", "challenge"]
        assert Factor(simple, "passkey").template == "otp/login/factor_passkey.html"
    assert str(Factor(simple, "code").label) == "Simple device"


def test_a_pending_sign_in_offers_every_kind(alice: Any) -> None:
    """A passkey is a factor of the pending sign-in like any other: nobody is signed in
    by the password alone."""
    simple = SimpleDevice.objects.create(user=alice, name="simple")
    with mock.patch.object(SimpleDevice, "otp_signin_kind", "passkey", create=True):
        assert [factor.device for factor in factors_for(alice)] == [simple]
        assert has_factors(alice)
        request = request_for()
        user = signin.check_password(request, "alice", "alice-pw").user
        subject = signin.start(request, user)
        assert subject == signin.Subject(user, BACKEND) and subject.pending
        assert signin.current(request)[0] == subject
        assert "_auth_user_id" not in request.session


def test_prove_refuses_a_device_of_someone_else(alice: Any) -> None:
    bob = get_user_model().objects.create_user("bob", password="bob-pw")
    bobs = SimpleDevice.objects.create(user=bob, name="bob's")
    unconfirmed = SimpleDevice.objects.create(user=alice, name="new", confirmed=False)
    request = request_for()
    subject = signin.Subject(alice, BACKEND)
    for device in (bobs, unconfirmed, None):
        result = signin.prove(request, subject, device, "123456")
        assert (result.device, result.error) == (None, "device_required")
    assert "_auth_user_id" not in request.session


def test_passwordless_templates_follow_the_device_types(settings: Any) -> None:
    assert passwordless_templates() == []
    settings.OTP_WEBAUTHN_PASSWORDLESS = True
    assert passwordless_templates() == ["otp_webauthn/login.html"]
    with mock.patch.object(SimpleDevice, "otp_passwordless_template", "x.html", create=True):
        assert "x.html" in passwordless_templates()


def test_send_code(alice: Any) -> None:
    subject = signin.Subject(alice)
    request = request_for(alice)
    sms = ChallengeDevice.objects.create(user=alice, name="sms")
    simple = SimpleDevice.objects.create(user=alice, name="simple")
    with freeze_time():
        sent = signin.send_code(request, subject, sms.persistent_id)
        assert sent.ok and sent.retry_at is not None
        again = signin.send_code(request, subject, sms.persistent_id)
        assert (again.error, again.retry_at) == ("cooldown", sent.retry_at)
        assert "in 10 seconds" in signin.describe_sent(again)
    assert signin.send_code(request, subject, simple.persistent_id).error == "not_interactive"
    assert signin.send_code(request, subject, None).error == "device_required"
    down = mock.patch.object(ChallengeDevice, "generate_challenge", side_effect=OSError("down"))
    with down, freeze_time("2031-01-01"):
        failed = signin.send_code(request, subject, sms.persistent_id)
    assert failed.error == "challenge_exception" and isinstance(failed.exception, OSError)
    assert "down" not in signin.describe_sent(failed)


@override_settings(OTP_LIMITS_CLIENT_FAILURES=1)
def test_verify_counts_only_wrong_codes_against_the_client(alice: Any) -> None:
    device = SimpleDevice.objects.create(user=alice, name="phone")
    subject = signin.Subject(alice)
    for _ in range(3):  # no token, no device: nothing is counted
        assert signin.verify(request_for(alice), subject, device.persistent_id, "").error == (
            "token_required"
        )
    assert signin.verify(request_for(alice), subject, None, "123456").error == "device_required"
    assert signin.verify(request_for(alice), subject, device.persistent_id, "123456").ok
    assert not signin.verify(request_for(alice), subject, device.persistent_id, "000000").ok
    refused = signin.verify(request_for(alice), subject, device.persistent_id, "123456")
    assert (refused.error, refused.data) == ("throttled", {"scope": "client"})
