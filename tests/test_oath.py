"""django_otp.oath: RFC 4226 / RFC 6238 vectors, properties, and GNU oathtool as a reference."""

from __future__ import annotations

import hmac
import random
import shutil
import struct
import subprocess
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from django_otp import oath
from django_otp.oath import TOTP, hotp, hotp_match, totp

RFC_KEY = b"12345678901234567890"  # RFC 4226 appendix D, RFC 6238 appendix B (SHA1)
RFC_KEY_SHA256 = b"12345678901234567890123456789012"
RFC_KEY_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"

RFC4226_HOTP = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489]

# RFC 6238 appendix B: (unix time, t, SHA1, SHA256, SHA512), 8 digits, step 30, t0 0.
RFC6238_TOTP = [
    (59, 1, 94287082, 46119246, 90693936),
    (1111111109, 37037036, 7081804, 68084774, 25091201),
    (1111111111, 37037037, 14050471, 67062674, 99943326),
    (1234567890, 41152263, 89005924, 91819424, 93441116),
    (2000000000, 66666666, 69279037, 90698825, 38618901),
    (20000000000, 666666666, 65353130, 77737706, 47863826),
]

U64_MAX = 2**64 - 1
keys = st.binary(min_size=0, max_size=200)  # crosses the 64-byte HMAC block size
counters = st.integers(min_value=0, max_value=U64_MAX)


def reference_hotp(key: bytes, counter: int, digits: int = 6, digestmod: str = "sha1") -> int:
    """RFC 4226 dynamic truncation over the standard library's hmac, for any digest."""
    mac = hmac.digest(key, struct.pack(">Q", counter), digestmod)
    offset = mac[-1] & 0x0F
    return (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**digits


def fixed_totp(key: bytes, at: float, **kwargs: int) -> TOTP:
    calculator = TOTP(key, **kwargs)
    calculator.time = at
    return calculator


# RFC data


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_HOTP)))
def test_rfc4226_appendix_d(counter: int, expected: int) -> None:
    assert hotp(RFC_KEY, counter) == expected
    assert hotp(RFC_KEY, counter, digits=6) == expected


def test_rfc4226_eight_digits() -> None:
    assert hotp(RFC_KEY, 0, digits=8) == 84755224


@pytest.mark.parametrize(("at", "t", "sha1", "sha256", "sha512"), RFC6238_TOTP)
def test_rfc6238_appendix_b_sha1(at: int, t: int, sha1: int, sha256: int, sha512: int) -> None:
    calculator = fixed_totp(RFC_KEY, at, digits=8)
    assert calculator.t() == t
    assert calculator.token() == sha1
    assert hotp(RFC_KEY, t, digits=8) == sha1
    with mock.patch("django_otp.oath.time", return_value=at):
        assert totp(RFC_KEY, digits=8) == sha1
        assert totp(RFC_KEY, 30, 0, 8, 0) == sha1


@pytest.mark.parametrize(("at", "t", "sha1", "sha256", "sha512"), RFC6238_TOTP)
def test_rfc6238_appendix_b_reference_helper(
    at: int, t: int, sha1: int, sha256: int, sha512: int
) -> None:
    """Our TOTP is SHA1-only; the helper that checks it must reproduce every published column."""
    assert reference_hotp(RFC_KEY, t, 8, "sha1") == sha1
    assert reference_hotp(RFC_KEY_SHA256, t, 8, "sha256") == sha256
    assert reference_hotp(RFC_KEY_SHA512, t, 8, "sha512") == sha512


def test_seven_digit_value_is_an_int_without_padding() -> None:
    token = fixed_totp(RFC_KEY, 1111111109, digits=8).token()
    assert token == 7081804
    assert type(token) is int


def test_spec_reference_verify_leaves_drift() -> None:
    calculator = fixed_totp(RFC_KEY, 30)
    assert calculator.t() == 1
    assert calculator.verify(359152) is False
    assert calculator.drift == 0
    assert calculator.verify(359152, tolerance=1) is True
    assert calculator.drift == 1
    assert calculator.t() == 2


# Behaviour of the API


def test_counter_domain_is_unsigned_64_bit() -> None:
    assert hotp(RFC_KEY, U64_MAX) == reference_hotp(RFC_KEY, U64_MAX)
    with pytest.raises(struct.error):
        hotp(RFC_KEY, -1)
    with pytest.raises(struct.error):
        hotp(RFC_KEY, 2**64)
    with pytest.raises(struct.error):
        fixed_totp(RFC_KEY, 0, t0=30).token()  # t = -1


def test_bytes_like_keys_and_wrong_key_types() -> None:
    expected = hotp(RFC_KEY, 5)
    assert hotp(bytearray(RFC_KEY), 5) == expected
    assert hotp(memoryview(RFC_KEY), 5) == expected
    assert hotp_match(bytearray(RFC_KEY), expected, range(10)) == 5
    with pytest.raises(TypeError):
        hotp("12345678901234567890", 5)  # type: ignore[arg-type]


def test_digits_outside_the_table() -> None:
    assert hotp(RFC_KEY, 0, digits=0) == 0
    assert hotp(RFC_KEY, 0, digits=12) == reference_hotp(RFC_KEY, 0, 12)


def test_pad_cache_is_bounded() -> None:
    for n in range(oath._CACHE_SIZE + 50):
        hotp(n.to_bytes(20, "big"), 0)
    assert len(oath._pads_cache) <= oath._CACHE_SIZE
    assert hotp(RFC_KEY, 1) == RFC4226_HOTP[1]


def test_patched_module_time_drives_totp_and_live_property() -> None:
    with mock.patch("django_otp.oath.time", return_value=59) as fake:
        assert totp(RFC_KEY, digits=8) == 94287082
        calculator = TOTP(RFC_KEY, digits=8)
        assert calculator.time == 59
        assert calculator.t() == 1
        assert fake.called


def test_time_property_fix_and_delete() -> None:
    calculator = TOTP(RFC_KEY)
    with mock.patch("django_otp.oath.time", return_value=1000.9):
        assert calculator.time == 1000.9
        calculator.time = 59
        assert calculator.time == 59
        assert calculator.t() == 1
        del calculator.time
        assert calculator.time == 1000.9
        assert calculator.t() == 33


def test_attributes_are_plain_and_mutable() -> None:
    calculator = fixed_totp(RFC_KEY, 59)
    calculator.digits = 8
    assert calculator.token() == 94287082
    calculator.step, calculator.t0, calculator.drift = 60, 0, 1
    assert calculator.t() == 1
    assert calculator.key == RFC_KEY


def test_verify_failure_restores_drift_and_min_t_skips() -> None:
    calculator = fixed_totp(RFC_KEY, 300, drift=2)  # t = 12
    assert calculator.verify(hotp(RFC_KEY, 11), tolerance=1, min_t=12) is False
    assert calculator.drift == 2
    assert calculator.verify(hotp(RFC_KEY, 11), tolerance=1, min_t=11) is True
    assert calculator.drift == 1
    assert calculator.verify(hotp(RFC_KEY, 99), tolerance=3) is False
    assert calculator.drift == 1
    assert calculator.verify(hotp(RFC_KEY, 11), tolerance=-1) is False


def test_hotp_match_returns_first_matching_counter() -> None:
    assert hotp_match(RFC_KEY, RFC4226_HOTP[3], range(10)) == 3
    assert hotp_match(RFC_KEY, RFC4226_HOTP[3], [9, 8, 3, 3]) == 3
    assert hotp_match(RFC_KEY, RFC4226_HOTP[3], range(4, 10)) is None
    assert hotp_match(RFC_KEY, RFC4226_HOTP[0], []) is None
    assert hotp_match(RFC_KEY, 84755224, range(3), digits=8) == 0


# Properties


@settings(max_examples=200, deadline=None)
@given(key=keys, counter=counters)
def test_pad_trick_equals_hmac(key: bytes, counter: int) -> None:
    assert hotp(key, counter) == reference_hotp(key, counter)
    assert hotp(key, counter, digits=10) == reference_hotp(key, counter, 10)


@settings(max_examples=100, deadline=None)
@given(key=keys, counter=counters, digits=st.integers(min_value=1, max_value=10))
def test_token_range_and_zero_padding(key: bytes, counter: int, digits: int) -> None:
    code = hotp(key, counter, digits)
    assert 0 <= code < 10**digits
    text = str(code).zfill(digits)
    assert len(text) == digits
    assert int(text) == code


@settings(max_examples=100, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=64),
    at=st.integers(min_value=10 * 60, max_value=2**40),
    step=st.sampled_from([30, 60]),
    drift=st.integers(min_value=-3, max_value=3),
    k=st.integers(min_value=-3, max_value=3),
)
def test_drift_window_is_symmetric(key: bytes, at: int, step: int, drift: int, k: int) -> None:
    base = fixed_totp(key, at, step=step, drift=drift).t()
    window = [hotp(key, base + offset) for offset in range(-4, 5)]
    assume(len(set(window)) == len(window))  # another step with the same code would match first
    token = hotp(key, base + k)
    for tolerance in range(5):
        calculator = fixed_totp(key, at, step=step, drift=drift)
        accepted = calculator.verify(token, tolerance=tolerance)
        assert accepted is (tolerance >= abs(k))
        assert calculator.drift == (drift + k if accepted else drift)
        assert calculator.t() == (base + k if accepted else base)


# GNU oathtool as an independent implementation

needs_oathtool = pytest.mark.skipif(
    shutil.which("oathtool") is None,
    reason="GNU oathtool is not on PATH (Debian package oathtool)",
)


def oathtool(*args: str) -> int:
    done = subprocess.run(["oathtool", *args], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@needs_oathtool
@pytest.mark.parametrize("case", range(25))
def test_hotp_matches_oathtool(case: int) -> None:
    rng = random.Random(4226 + case)
    key = rng.randbytes(rng.choice([10, 20, 32, 64, 100]))
    counter = rng.choice([rng.randrange(1000), rng.randrange(2**32), rng.randrange(2**64)])
    digits = rng.choice([6, 7, 8])
    expected = oathtool("--hotp", "-d", str(digits), "-c", str(counter), key.hex())
    assert hotp(key, counter, digits) == expected


@needs_oathtool
@pytest.mark.parametrize("case", range(25))
def test_totp_matches_oathtool(case: int) -> None:
    rng = random.Random(6238 + case)
    key = rng.randbytes(rng.choice([10, 20, 32]))
    step = rng.choice([30, 60])
    t0 = rng.choice([0, rng.randrange(10**6)])
    at = rng.randrange(10**6, 2**33)
    args = ["--totp", "-d", "8", "-s", f"{step}s", "-S", f"@{t0}", "-N", f"@{at}", key.hex()]
    expected = oathtool(*args)
    assert fixed_totp(key, at, step=step, t0=t0, digits=8).token() == expected
    with mock.patch("django_otp.oath.time", return_value=at + 0.75):
        assert totp(key, step, t0, 8) == expected
