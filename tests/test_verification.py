"""Tests of django_otp.verification, the one path that decides a token for every device.

Throttling and consumption step by step, ``match_token`` and ``verify_any`` over several
devices, the plugin hooks, and properties over arbitrary input for the four built-in devices.
Parallel requests are in ``test_concurrency.py``.
"""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

import django_otp
from django_otp import tokens, verification
from django_otp.models import (
    MAX_THROTTLE_DELAY_SECONDS,
    Device,
    VerifyNotAllowed,
)
from django_otp.oath import hotp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.models import InheritingSideChannelDevice, TwilioStyleDevice

RFC_KEY = b"12345678901234567890"
#: A TOTP time step (step 30, t0 0) whose code for the RFC key has a leading zero.
STEP = 56666683
TOTP_CODE = "047164"
#: A moment 10 seconds into STEP, so a test can let a few seconds pass within the step.
START = datetime.datetime.fromtimestamp(STEP * 30 + 10, datetime.timezone.utc)
#: An HOTP counter whose code for the RFC key has two leading zeros.
COUNTER = 36
HOTP_CODE = "003784"
STATIC_CODE = "a1b2c3d4"
EMAIL_CODE = "123456"
#: A well-formed code that none of the devices above accepts at START.
WRONG_CODE = "999999"

ALL_FACTORS_ZERO = override_settings(
    OTP_HOTP_THROTTLE_FACTOR=0,
    OTP_TOTP_THROTTLE_FACTOR=0,
    OTP_STATIC_THROTTLE_FACTOR=0,
    OTP_EMAIL_THROTTLE_FACTOR=0,
)


def make_totp(user: Any, **fields: Any) -> TOTPDevice:
    """A TOTP device of ``user`` with the RFC key (call under ``freeze_time(START)``)."""
    return TOTPDevice.objects.create(user=user, name="app", key=RFC_KEY.hex(), **fields)


def make_static(user: Any, **fields: Any) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="backup", **fields)
    device.token_set.create(token=STATIC_CODE)
    return device


def make_email(user: Any) -> EmailDevice:
    return EmailDevice.objects.create(
        user=user,
        name="email",
        token=EMAIL_CODE,
        valid_until=timezone.now() + datetime.timedelta(minutes=5),
    )


def failures(device: Any) -> tuple[int, datetime.datetime | None]:
    """The throttling state stored for ``device``, read from the database."""
    row = type(device).objects.values_list(
        "throttling_failure_count", "throttling_failure_timestamp"
    )
    return row.get(pk=device.pk)


class CodesTests(TestCase):
    """The constants above are what the tests below take them for."""

    def test_codes(self) -> None:
        self.assertEqual(f"{hotp(RFC_KEY, STEP):06d}", TOTP_CODE)
        self.assertEqual(f"{hotp(RFC_KEY, COUNTER):06d}", HOTP_CODE)
        window = {f"{hotp(RFC_KEY, t):06d}" for t in range(STEP - 1, STEP + 2)}
        self.assertNotIn(WRONG_CODE, window | {HOTP_CODE, EMAIL_CODE})


@freeze_time(START)
class ThrottleTests(TestCase):
    """Sequential attempts on a TOTP device with the test settings' throttle factor of 1."""

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice")
        self.device = make_totp(self.user)

    def locked(self, count: int, since: datetime.datetime, delay: float) -> tuple:
        return (
            False,
            {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": count,
                "locked_until": since + datetime.timedelta(seconds=delay),
            },
        )

    def test_failure_counts_once_then_locks(self) -> None:
        self.assertEqual(self.device.verify_is_allowed(), (True, None))
        self.assertIs(self.device.verify_token(WRONG_CODE), False)
        self.assertEqual(failures(self.device), (1, START))
        self.assertEqual(self.device.verify_is_allowed(), self.locked(1, START, 1))

    def test_attempts_while_locked_change_nothing(self) -> None:
        self.device.verify_token(WRONG_CODE)
        self.assertIs(self.device.verify_token(WRONG_CODE), False)
        self.assertIs(self.device.verify_token(TOTP_CODE), False)
        self.assertEqual(failures(self.device), (1, START))
        self.device.refresh_from_db()
        self.assertEqual(self.device.last_t, -1)
        self.assertIsNone(self.device.last_used_at)

    def test_delay_doubles_and_success_resets(self) -> None:
        with freeze_time(START) as clock:
            self.device.verify_token(WRONG_CODE)
            clock.tick(1)  # exactly the delay of one failure: allowed again
            self.assertEqual(self.device.verify_is_allowed(), (True, None))
            self.assertIs(self.device.verify_token(WRONG_CODE), False)
            second = START + datetime.timedelta(seconds=1)
            self.assertEqual(failures(self.device), (2, second))
            self.assertEqual(self.device.verify_is_allowed(), self.locked(2, second, 2))
            clock.tick(1)
            self.assertIs(self.device.verify_token(TOTP_CODE), False)
            self.assertEqual(failures(self.device), (2, second))
            clock.tick(1)
            self.assertIs(self.device.verify_token(TOTP_CODE), True)
            self.assertEqual(failures(self.device), (0, None))
            self.device.refresh_from_db()
            self.assertEqual(self.device.last_used_at, timezone.now())
            self.assertEqual(self.device.last_t, STEP)

    @override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
    def test_malformed_tokens_count_as_failures(self) -> None:
        for count, token in enumerate(["abc", None, 12.5, "1" * 300, "-12345"], start=1):
            with self.subTest(token=token):
                self.assertIs(self.device.verify_token(token), False)
                self.assertEqual(failures(self.device), (count, START))
                self.assertEqual(self.device.verify_is_allowed(), (True, None))

    def test_stale_copy_sees_the_lock(self) -> None:
        stale = TOTPDevice.objects.get(pk=self.device.pk)
        self.device.verify_token(WRONG_CODE)
        self.assertIs(stale.verify_token(TOTP_CODE), False)
        self.assertEqual(stale.throttling_failure_count, 1)
        self.assertEqual(failures(self.device), (1, START))

    @override_settings(OTP_TOTP_THROTTLE_FACTOR=1.5)
    def test_huge_failure_count_is_capped(self) -> None:
        self.device.throttling_failure_count = 90
        self.device.throttling_failure_timestamp = START
        self.device.save()
        self.assertEqual(
            self.device.verify_is_allowed(), self.locked(90, START, MAX_THROTTLE_DELAY_SECONDS)
        )
        self.assertIs(self.device.verify_token(TOTP_CODE), False)
        self.assertEqual(failures(self.device), (90, START))


@freeze_time(START)
class MatchTokenTests(TestCase):
    """``match_token`` tries every confirmed device; only wrong codes count, once per device."""

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice")
        earlier = START - datetime.timedelta(seconds=10)
        self.earlier = earlier
        # Two old failures whose delay has passed: counted, but not locked.
        self.totp = make_totp(
            self.user, throttling_failure_count=2, throttling_failure_timestamp=earlier
        )
        self.static = make_static(self.user)
        self.email = make_email(self.user)

    def test_static_code_leaves_the_other_devices_alone(self) -> None:
        self.assertEqual(django_otp.match_token(self.user, STATIC_CODE), self.static)
        self.assertEqual(failures(self.totp), (2, self.earlier))
        self.assertEqual(failures(self.static), (0, None))
        self.assertEqual(failures(self.email), (0, None))
        self.assertFalse(self.static.token_set.exists())

    def test_totp_code_leaves_the_devices_after_it_alone(self) -> None:
        self.assertEqual(django_otp.match_token(self.user, TOTP_CODE), self.totp)
        self.assertEqual(failures(self.totp), (0, None))
        self.assertEqual(failures(self.static), (0, None))
        self.assertEqual(failures(self.email), (0, None))

    def test_wrong_code_counts_once_on_each_device(self) -> None:
        self.assertIsNone(django_otp.match_token(self.user, WRONG_CODE))
        self.assertEqual(failures(self.totp), (3, START))
        self.assertEqual(failures(self.static), (1, START))
        self.assertEqual(failures(self.email), (1, START))

    def test_locked_device_is_not_tried(self) -> None:
        self.email.throttle_increment()
        self.assertIsNone(django_otp.match_token(self.user, EMAIL_CODE))
        self.assertEqual(failures(self.email), (1, START))
        self.assertEqual(failures(self.totp), (3, START))
        self.assertEqual(failures(self.static), (1, START))

    def test_unconfirmed_device_is_not_tried(self) -> None:
        StaticDevice.objects.filter(pk=self.static.pk).update(confirmed=False)
        self.assertIsNone(django_otp.match_token(self.user, STATIC_CODE))
        self.assertEqual(failures(self.static), (0, None))
        self.assertTrue(self.static.token_set.exists())


@freeze_time(START)
class VerifyAnyTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice")
        self.earlier = START - datetime.timedelta(seconds=10)
        self.totp = make_totp(
            self.user, throttling_failure_count=2, throttling_failure_timestamp=self.earlier
        )
        self.static = make_static(self.user)

    def test_other_devices_keep_their_state(self) -> None:
        self.assertEqual(
            verification.verify_any([self.totp, self.static], STATIC_CODE), self.static
        )
        self.assertEqual(failures(self.totp), (2, self.earlier))
        self.assertEqual(
            (self.totp.throttling_failure_count, self.totp.throttling_failure_timestamp),
            (2, self.earlier),
        )

    def test_no_device(self) -> None:
        self.assertIsNone(verification.verify_any([], STATIC_CODE))


@freeze_time(START)
class HookTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("alice")

    def test_device_without_find_token_match_accepts_nothing(self) -> None:
        device = make_totp(self.user)
        with (
            mock.patch.object(TOTPDevice, "find_token_match", Device.find_token_match),
            CaptureQueriesContext(connection) as queries,
        ):
            self.assertIs(device.verify_token(TOTP_CODE), False)
        self.assertEqual(len(queries), 0)
        self.assertEqual(failures(device), (0, None))

    def side_channel(self, model: Any) -> Any:
        return model.objects.create(
            user=self.user,
            name="sms",
            token=EMAIL_CODE,
            valid_until=timezone.now() + datetime.timedelta(minutes=5),
        )

    def test_a_subclass_that_calls_super_does_its_own_throttling(self) -> None:
        # As django-otp-twilio does: verify_is_allowed, super().verify_token, then
        # throttle_reset or throttle_increment. The base class must count nothing itself.
        device = self.side_channel(TwilioStyleDevice)
        self.assertIs(device.verify_token(WRONG_CODE), False)
        self.assertEqual(failures(device), (1, START))
        self.assertIs(device.verify_token(EMAIL_CODE), False)  # locked for a second
        self.assertEqual(failures(device), (1, START))
        with freeze_time(START + datetime.timedelta(seconds=1)):
            self.assertIs(device.verify_token(EMAIL_CODE), True)
            self.assertIs(device.verify_token(EMAIL_CODE), False)
        device.refresh_from_db()
        self.assertIsNone(device.token)

    def test_a_subclass_that_inherits_verify_token_is_throttled_by_the_shared_path(self) -> None:
        device = self.side_channel(InheritingSideChannelDevice)
        self.assertIs(device.verify_token(WRONG_CODE), False)
        self.assertEqual(failures(device), (1, START))
        self.assertIs(device.verify_token(EMAIL_CODE), False)  # locked: not even looked at
        self.assertEqual(failures(device), (1, START))
        with freeze_time(START + datetime.timedelta(seconds=1)):
            self.assertIs(device.verify_token(EMAIL_CODE), True)
        self.assertEqual(failures(device), (0, None))


# Property tests: any input, for each built-in device.

#: Inputs of every kind a caller might pass, with strings near the codes over-represented.
ANY_INPUT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789 \t\u00a0\uff11\u0661-abcdABCD", max_size=12),
    st.sampled_from([TOTP_CODE, HOTP_CODE, STATIC_CODE, EMAIL_CODE]).flatmap(
        lambda code: st.builds(
            lambda before, after: before + code + after, st.text(max_size=2), st.text(max_size=2)
        )
    ),
    st.none(),
    st.booleans(),
    st.integers(),
    # Beyond the 4300 digits that str() converts by default (sys.set_int_max_str_digits).
    st.integers(min_value=10**4300, max_value=10**4400),
    st.floats(),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
)
#: Characters that ``str.split()`` treats as whitespace, from ASCII and beyond.
WHITESPACE = st.text(
    alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2003\u2028\u202f\u3000", max_size=2
)
#: The zero of several Unicode decimal digit sets: ASCII, full-width, Arabic-Indic, Extended
#: Arabic-Indic, Devanagari, Bengali, mathematical bold.
DIGIT_ZEROS = st.sampled_from([0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0x1D7CE])


@st.composite
def typed_digits(draw: Any, code: str, leading_zeros_optional: bool = True) -> str:
    """``code`` as a person or a keyboard might type it: any digit set, spaces anywhere."""
    if leading_zeros_optional and draw(st.booleans()):
        code = code.lstrip("0")
    parts = [draw(WHITESPACE)]
    for digit in code:
        parts.append(chr(draw(DIGIT_ZEROS) + int(digit)))
        parts.append(draw(WHITESPACE))
    return "".join(parts)


@st.composite
def typed_static(draw: Any, code: str) -> str:
    """A backup code with any letter case, hyphens and spaces."""
    parts = [draw(WHITESPACE)]
    for char in code:
        parts.append(draw(st.sampled_from([char.lower(), char.upper()])))
        parts.append(draw(st.sampled_from(["", "-", "--"])) + draw(WHITESPACE))
    return "".join(parts)


def describe(token: Any) -> str:
    """``repr(token)``, also for integers too long for ``repr``."""
    if isinstance(token, int) and abs(token).bit_length() > 10_000:
        return f"<int of {abs(token).bit_length()} bits>"
    return repr(token)


def oath_rule(token: Any, code: str) -> bool:
    """HOTP and TOTP: an int equal to the code, or a string whose digits are the code
    (leading zeros may be left out)."""
    if isinstance(token, bool) or not isinstance(token, int | str):
        return False
    if isinstance(token, int):
        return token == int(code)
    digits = tokens.normalize_digits(token, len(code))
    return digits is not None and int(digits) == int(code)


def static_rule(token: Any, code: str) -> bool:
    return tokens.normalize_static(token) == code


def side_channel_rule(token: Any, code: str) -> bool:
    return isinstance(token, str) and tokens.normalize_digits(token, 16) == code


@ALL_FACTORS_ZERO
class InputPropertyTests(HypothesisTestCase):
    """``verify_token`` returns a bool for anything and accepts exactly the code."""

    user: Any

    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = get_user_model().objects.create_user("alice")

    def check(self, device: Any, token: Any, accepted: bool) -> None:
        result = device.verify_token(token)
        self.assertIsInstance(result, bool)
        if result is not accepted:
            self.fail(f"verify_token({describe(token)}) returned {result}")

    def totp_device(self) -> TOTPDevice:
        return make_totp(self.user, tolerance=0)

    def hotp_device(self) -> HOTPDevice:
        return HOTPDevice.objects.create(
            user=self.user, name="token", key=RFC_KEY.hex(), counter=COUNTER, tolerance=0
        )

    @settings(max_examples=150, deadline=None)
    @given(token=ANY_INPUT)
    def test_totp_any_input(self, token: Any) -> None:
        with freeze_time(START):
            self.check(self.totp_device(), token, oath_rule(token, TOTP_CODE))

    @settings(max_examples=60, deadline=None)
    @given(token=typed_digits(TOTP_CODE))
    def test_totp_typed_code(self, token: str) -> None:
        with freeze_time(START):
            self.check(self.totp_device(), token, True)

    @settings(max_examples=150, deadline=None)
    @given(token=ANY_INPUT)
    def test_hotp_any_input(self, token: Any) -> None:
        self.check(self.hotp_device(), token, oath_rule(token, HOTP_CODE))

    @settings(max_examples=60, deadline=None)
    @given(token=typed_digits(HOTP_CODE))
    def test_hotp_typed_code(self, token: str) -> None:
        self.check(self.hotp_device(), token, True)

    @settings(max_examples=150, deadline=None)
    @given(token=ANY_INPUT)
    def test_static_any_input(self, token: Any) -> None:
        self.check(make_static(self.user), token, static_rule(token, STATIC_CODE))

    @settings(max_examples=60, deadline=None)
    @given(token=typed_static(STATIC_CODE))
    def test_static_typed_code(self, token: str) -> None:
        self.check(make_static(self.user), token, True)

    @settings(max_examples=150, deadline=None)
    @given(token=ANY_INPUT)
    def test_email_any_input(self, token: Any) -> None:
        self.check(make_email(self.user), token, side_channel_rule(token, EMAIL_CODE))

    @settings(max_examples=60, deadline=None)
    @given(token=typed_digits(EMAIL_CODE, leading_zeros_optional=False))
    def test_email_typed_code(self, token: str) -> None:
        self.check(make_email(self.user), token, True)

    def test_codes_of_other_digit_counts_and_types_are_refused(self) -> None:
        with freeze_time(START):
            for token in ["0047164", "47164 0", 47164.0, [47164], b"047164", True]:
                with self.subTest(token=token):
                    self.check(self.totp_device(), token, False)
            self.check(self.totp_device(), 47164, True)
        self.check(make_static(self.user), "\uff411b2c3d4", False)  # a full-width "a"

    def test_huge_integers_are_refused(self) -> None:
        with freeze_time(START):
            for token in [10**5000, -(10**5000)]:
                with self.subTest(negative=token < 0):
                    self.check(self.totp_device(), token, False)
                    self.check(self.hotp_device(), token, False)
                    self.check(make_static(self.user), token, False)
                    self.check(make_email(self.user), token, False)
        self.check(make_email(self.user), 123456, False)
