"""The account-wide and per-client limits, as the flows apply them (django_otp.flows.limits).

The account limit is tested through ``verify_device`` (every flow caller gets it) with TOTP
devices whose own throttling is off, so that only the account counts.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation
from freezegun import freeze_time

from django_otp import signals
from django_otp.contrib.limits import counters
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.flows import limits
from django_otp.flows.verify import MESSAGES, PAGE_MESSAGES, Verification, describe, verify_device
from django_otp.forms import OTPTokenForm
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.signin_helpers import Received, totp_code, wrong_totp_code

pytestmark = pytest.mark.django_db

#: Device throttling off, account waits off: only the account's cap counts.
CAP_ONLY = {"OTP_TOTP_THROTTLE_FACTOR": 0, "OTP_LIMITS_ACCOUNT_DELAY": 0}


@pytest.fixture
def phones(alice: Any) -> list[TOTPDevice]:
    return [TOTPDevice.objects.create(user=alice, name=f"phone {n}") for n in range(3)]


def failures(user: Any) -> int:
    row = AccountLimit.objects.filter(user=user).first()
    return row.failures if row is not None else 0


# The account-wide limit.


@override_settings(**CAP_ONLY, OTP_LIMITS_ACCOUNT_FAILURES=5)
def test_devices_share_one_account_limit(alice: Any, phones: list[TOTPDevice]) -> None:
    for attempt in range(5):
        device = phones[attempt % 3]
        assert verify_device(device, wrong_totp_code(device)).error == "invalid_token"
    assert failures(alice) == 5
    for device in phones:  # each device has failed at most twice, yet every one is refused
        result = verify_device(device, totp_code(device))
        assert (result.error, result.data["scope"], result.data["locked"]) == (
            "throttled",
            "account",
            True,
        )
    assert [device.throttling_failure_count for device in phones] == [2, 2, 1]


@override_settings(
    OTP_TOTP_THROTTLE_FACTOR=0,
    OTP_LIMITS_ACCOUNT_DELAY_AFTER=2,
    OTP_LIMITS_ACCOUNT_DELAY=10,
    OTP_LIMITS_ACCOUNT_MAX_DELAY=35,
)
def test_waits_grow_after_the_free_failures_up_to_the_maximum(
    alice: Any, phones: list[TOTPDevice]
) -> None:
    waits = []
    with freeze_time("2030-01-01 12:00:00") as frozen:
        for attempt in range(6):
            device = phones[attempt % 3]
            result = verify_device(device, wrong_totp_code(device))
            assert result.error == "invalid_token", attempt
            waits.append(
                (result.retry_at - timezone.now()).total_seconds() if result.retry_at else 0
            )
            if result.retry_at is not None:
                other = phones[(attempt + 1) % 3]
                refused = verify_device(other, wrong_totp_code(other))
                assert refused.error == "throttled"
                assert refused.retry_at == result.retry_at
                frozen.move_to(result.retry_at)
    assert waits == [0, 10, 20, 35, 35, 35]
    assert failures(alice) == 6


@override_settings(**CAP_ONLY)
def test_a_right_code_resets_the_account(alice: Any, phones: list[TOTPDevice]) -> None:
    for device in phones:
        verify_device(device, wrong_totp_code(device))
    assert failures(alice) == 3
    assert verify_device(phones[0], totp_code(phones[0])).ok
    assert failures(alice) == 0


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_one_hundred_consecutive_failures_lock_the_account_for_good(
    alice: Any, phones: list[TOTPDevice], django_capture_on_commit_callbacks: Any
) -> None:
    with Received(signals.account_locked) as locked:
        AccountLimit.objects.create(user=alice, failures=99, last_failure_at=None)
        with freeze_time("2030-01-01"), django_capture_on_commit_callbacks(execute=True):
            assert verify_device(phones[0], wrong_totp_code(phones[0])).data == {
                "scope": "account",
                "locked": True,
            }
        assert failures(alice) == 100
        assert [call["failure_count"] for call in locked.calls] == [100]
        assert locked.calls[0]["user"] == alice
        with freeze_time("2031-06-01"):  # no wait ends it
            result = verify_device(phones[1], totp_code(phones[1]))
        assert result.error == "throttled" and result.data["locked"] is True
        assert result.retry_at is None
        assert str(describe(result, PAGE_MESSAGES)).startswith("Too many wrong codes were entered")
        assert failures(alice) == 100
        AccountLimit.objects.filter(user=alice).delete()  # an administrator resets it
        assert verify_device(phones[1], totp_code(phones[1])).ok


def test_the_cap_is_at_most_one_hundred() -> None:
    from django_otp.checks import check_settings

    for value, ok in [(100, True), (1, True), (101, False), (0, False), (True, False)]:
        with override_settings(OTP_LIMITS_ACCOUNT_FAILURES=value):
            found = [m for m in check_settings() if "OTP_LIMITS_ACCOUNT_FAILURES" in m.msg]
        assert (found == []) is ok, value


def test_the_default_schedule() -> None:
    assert [counters.account_delay(n) for n in range(0, 9)] == [0, 0, 0, 0, 0, 1, 2, 4, 8]
    assert counters.account_delay(99) == 3600


@override_settings(**CAP_ONLY)
def test_an_attempt_the_device_refuses_is_given_back(alice: Any, phones: list[TOTPDevice]) -> None:
    from unittest import mock

    verify_device(phones[0], wrong_totp_code(phones[0]))
    contention = {"reason": "contention"}
    outcome = mock.Mock(accepted=False, refused=contention, reason="contention")
    with mock.patch("django_otp.verification.attempt", return_value=outcome):
        result = verify_device(phones[1], totp_code(phones[1]))
    assert result.error == "verification_not_allowed"
    assert failures(alice) == 1


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, OTP_LIMITS_ACCOUNT_FAILURES=3)
def test_the_compatible_forms_keep_the_specs_message(alice: Any, phones: list[TOTPDevice]) -> None:
    AccountLimit.objects.create(user=alice, failures=3)
    form = OTPTokenForm(alice, None, {"otp_device": phones[0].persistent_id, "otp_token": "1"})
    assert not form.is_valid()
    error = form.errors.as_data()["__all__"][0]
    assert error.code is None
    assert error.messages == [
        "Verification temporarily disabled because of 3 failed attempts, please try again soon."
    ]


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_a_refusal_by_the_account_sends_verification_throttled(
    alice: Any, phones: list[TOTPDevice], django_capture_on_commit_callbacks: Any
) -> None:
    with Received(signals.verification_throttled) as throttled:
        AccountLimit.objects.create(user=alice, failures=100)
        with django_capture_on_commit_callbacks(execute=True):
            verify_device(phones[0], totp_code(phones[0]))
        assert [call["reason"]["scope"] for call in throttled.calls] == ["account"]
        assert throttled.calls[0]["device"] == phones[0]


def test_without_the_app_nothing_is_counted(alice: Any, phones: list[TOTPDevice]) -> None:
    from unittest import mock

    with mock.patch.object(limits, "installed", return_value=False):
        assert limits.claim_account(phones[0]) is None
        assert limits.claim_client(RequestFactory().get("/"), "code") is None
        assert verify_device(phones[0], wrong_totp_code(phones[0])).error == "invalid_token"
        limits.release_client(RequestFactory().get("/"), "code")
    assert not AccountLimit.objects.exists() and not ClientLimit.objects.exists()


# Messages of the pages.


def test_the_pages_say_how_long_to_wait() -> None:
    now = timezone.now()
    cases = [
        (
            Verification(
                None,
                "throttled",
                data={"failure_count": 2},
                retry_at=now + datetime.timedelta(seconds=90),
            ),
            "2 minutes",
        ),
        (
            Verification(
                None,
                "throttled",
                data={"scope": "client"},
                retry_at=now + datetime.timedelta(hours=3),
            ),
            "network. Try again in 3 hours",
        ),
        (
            Verification(None, "invalid_token", retry_at=now + datetime.timedelta(seconds=8)),
            "You can try again in 8 seconds",
        ),
    ]
    for result, expected in cases:
        assert expected in str(describe(result, PAGE_MESSAGES)), result
    assert "please try again soon" in str(describe(cases[0][0], MESSAGES))


def test_a_replayed_code_says_it_was_used() -> None:
    result = Verification(None, "invalid_token", reason="replayed_token")
    assert str(describe(result, PAGE_MESSAGES)) == (
        "This code was already used. Wait for a new code and enter that one."
    )
    assert str(describe(result, MESSAGES)).startswith("Invalid token.")


def test_wait_text_rounds_up() -> None:
    now = timezone.now()

    def text(seconds: float) -> str:
        return limits.wait_text(now + datetime.timedelta(seconds=seconds), now)

    assert [text(s) for s in (0.2, 1, 59, 60, 61, 3599, 3600, 3601, 47 * 3600, 48 * 3600 + 1)] == [
        "1 second",
        "1 second",
        "59 seconds",
        "1 minute",
        "2 minutes",
        "1 hour",
        "1 hour",
        "2 hours",
        "47 hours",
        "3 days",
    ]
    assert limits.wait_text(None) == "1 second"
    with translation.override("de"):
        assert text(120) == "2 Minuten"


# The client address.


def client(remote: str = "192.0.2.7", forwarded: str | None = None, **headers: str) -> str:
    extra = {"REMOTE_ADDR": remote, **headers}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return limits.client_address(RequestFactory().get("/", **extra))


def test_the_client_is_remote_addr_by_default() -> None:
    assert client() == "192.0.2.7"
    assert client(forwarded="203.0.113.9") == "192.0.2.7"  # no proxy is trusted
    assert client("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client("::ffff:192.0.2.8") == "192.0.2.8"
    assert client("") == "unknown"


@override_settings(OTP_LIMITS_TRUSTED_PROXIES=2)
def test_behind_trusted_proxies_the_client_is_the_address_the_outermost_one_saw() -> None:
    assert client("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.1") == "203.0.113.9"
    assert client("10.0.0.2", "203.0.113.9:4711, 10.0.0.1") == "203.0.113.9"
    assert client("10.0.0.2", "[2001:db8::1]:443, 10.0.0.1") == "2001:db8::/64"
    assert client("10.0.0.2", "203.0.113.9") == "10.0.0.2"  # not through both proxies
    assert client("10.0.0.2") == "10.0.0.2"


@override_settings(OTP_LIMITS_TRUSTED_PROXIES=1, OTP_LIMITS_PROXY_HEADER="X-Real-Client")
def test_the_proxy_header_is_a_setting() -> None:
    assert client("10.0.0.1", HTTP_X_REAL_CLIENT="203.0.113.9") == "203.0.113.9"
    assert client("10.0.0.1", forwarded="198.51.100.1") == "10.0.0.1"


# The per-client counters.


@override_settings(OTP_LIMITS_CLIENT_FAILURES=3, OTP_LIMITS_CLIENT_WINDOW=600)
def test_a_client_has_a_number_of_failures_per_window() -> None:
    with freeze_time("2030-01-01 12:00:00") as frozen:
        start = timezone.now()
        assert [counters.claim_client("code", "192.0.2.7").admitted for _ in range(3)] == [True] * 3
        refused = counters.claim_client("code", "192.0.2.7")
        assert not refused.admitted
        assert refused.retry_at == start + datetime.timedelta(seconds=600)
        assert counters.claim_client("password", "192.0.2.7").admitted  # another step
        assert counters.claim_client("code", "192.0.2.8").admitted  # another client
        counters.release_client("code", "192.0.2.7")  # a success gives its attempt back
        assert counters.claim_client("code", "192.0.2.7").admitted
        assert not counters.claim_client("code", "192.0.2.7").admitted
        frozen.move_to(refused.retry_at)
        assert counters.claim_client("code", "192.0.2.7").admitted  # a new window
        row = ClientLimit.objects.get(scope="code", client="192.0.2.7")
        assert (row.failures, row.window_start) == (1, refused.retry_at)
        frozen.tick(datetime.timedelta(seconds=601))
        assert counters.prune() == 3
    assert not ClientLimit.objects.exists()


@override_settings(OTP_LIMITS_CLIENT_FAILURES=0)
def test_a_client_limit_of_zero_is_off() -> None:
    for _ in range(50):
        assert counters.claim_client("code", "192.0.2.7").admitted
    assert not ClientLimit.objects.exists()


@override_settings(OTP_LIMITS_CLIENT_FAILURES=1)
def test_a_refused_client_sends_client_throttled(django_capture_on_commit_callbacks: Any) -> None:
    with Received(signals.client_throttled) as received:
        request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
        with django_capture_on_commit_callbacks(execute=True):
            assert limits.claim_client(request, "password").admitted
            assert not limits.claim_client(request, "password").admitted
        assert [(c["scope"], c["client"]) for c in received.calls] == [("password", "192.0.2.7")]
        assert received.calls[0]["retry_at"] is not None


@override_settings(OTP_LIMITS_CLIENT_FAILURES=2)
def test_a_client_row_made_by_a_parallel_request_is_counted_not_mistaken_for_a_full_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The row appears after this attempt's UPDATEs found nothing and before it reads the
    row: the window holds one failure of two, so the attempt is admitted."""
    real_rows = counters._rows
    made = []

    def rows_then_a_parallel_insert(model: Any, **lookup: Any) -> Any:
        rows = real_rows(model, **lookup)
        real_values_list = rows.values_list

        def values_list(*fields: Any, **kwargs: Any) -> Any:
            if not made:
                made.append(
                    ClientLimit.objects.create(
                        scope="password",
                        client="192.0.2.9",
                        failures=1,
                        window_start=timezone.now(),
                    )
                )
            return real_values_list(*fields, **kwargs)

        rows.values_list = values_list  # type: ignore[method-assign]
        return rows

    monkeypatch.setattr(counters, "_rows", rows_then_a_parallel_insert)
    assert counters.claim_client("password", "192.0.2.9").admitted
    assert ClientLimit.objects.get().failures == 2
    assert not counters.claim_client("password", "192.0.2.9").admitted
