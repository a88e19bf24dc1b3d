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
from django_otp.oath import TOTP, hotp, hotp_match, totp, totp_match

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


def reference_match(key: bytes, token: object, counters: list[int], digits: int = 6) -> int | None:
    """The first counter whose reference HOTP value equals ``token``."""
    return next((c for c in counters if reference_hotp(key, c, digits) == token), None)


def reference_verify(
    calculator: TOTP, at: float, token: object, tolerance: int, min_t: int | None
) -> tuple[bool, int]:
    """Spec 2.4 literally, over the reference HOTP: (accepted, drift afterwards)."""
    d0 = calculator.drift
    for offset in range(-tolerance, tolerance + 1):
        drift = d0 + offset
        t = (int(at) - calculator.t0) // calculator.step + drift
        if min_t is not None and t < min_t:
            continue
        if reference_hotp(calculator.key, t, calculator.digits) == token:
            return True, drift
    return False, d0


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


class Index:
    """An integer-like counter that is not an int (as numpy integers are)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_counters_that_are_not_ints_behave_as_with_struct() -> None:
    assert hotp(RFC_KEY, Index(3)) == RFC4226_HOTP[3]  # type: ignore[arg-type]
    assert hotp(RFC_KEY, True) == RFC4226_HOTP[1]
    three = Index(3)
    assert hotp_match(RFC_KEY, RFC4226_HOTP[3], [Index(2), three]) is three  # type: ignore[list-item]
    with pytest.raises(struct.error):
        hotp(RFC_KEY, 3.0)  # type: ignore[arg-type]
    with pytest.raises(struct.error):
        totp_match(RFC_KEY, RFC4226_HOTP[3], 3.0)  # type: ignore[arg-type]
    with pytest.raises(struct.error):
        fixed_totp(RFC_KEY, 90, step=30.0).verify(RFC4226_HOTP[3])  # type: ignore[arg-type]


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


@pytest.mark.parametrize(("at", "t", "sha1", "sha256", "sha512"), RFC6238_TOTP)
def test_totp_match_rfc6238(at: int, t: int, sha1: int, sha256: int, sha512: int) -> None:
    assert totp_match(RFC_KEY, sha1, t, digits=8) == t
    assert totp_match(RFC_KEY, sha1, t - 1, 1, min_t=0, digits=8) == t  # row 1 has t - 2 < 0
    assert totp_match(RFC_KEY, sha1, t + 1, 1, None, 8) == t
    assert totp_match(RFC_KEY, sha1, t + 2, 1, digits=8) is None
    assert totp_match(RFC_KEY, sha1, t - 1, 1, min_t=t + 1, digits=8) is None


def test_totp_match_spec_example_and_min_t() -> None:
    assert totp_match(RFC_KEY, 359152, 1) is None
    assert totp_match(RFC_KEY, 359152, 1, 1) == 2
    assert totp_match(RFC_KEY, 359152, 1, 1, min_t=2) == 2
    assert totp_match(RFC_KEY, 359152, 1, 1, min_t=3) is None
    assert totp_match(RFC_KEY, 287082, 1, 5, min_t=1) == 1
    assert totp_match(RFC_KEY, 287082, 1, -1) is None


def test_totp_match_counter_domain() -> None:
    with pytest.raises(struct.error):
        totp_match(RFC_KEY, 755224, 0, 1)  # step -1 comes first
    assert totp_match(RFC_KEY, 755224, 0, 1, min_t=0) == 0
    below_top = hotp(RFC_KEY, U64_MAX - 1)
    assert totp_match(RFC_KEY, below_top, U64_MAX, 1) == U64_MAX - 1  # found before 2**64
    with pytest.raises(struct.error):
        totp_match(RFC_KEY, (below_top + 1) % 10**6, U64_MAX, 1)


def test_window_tokens_compare_as_numbers() -> None:
    """Only an int token gets the low-byte rejection; others are compared with == as before."""
    assert totp_match(RFC_KEY, 359152.0, 1, 1) == 2  # type: ignore[arg-type]
    assert hotp_match(RFC_KEY, 359152.0, range(5)) == 2  # type: ignore[arg-type]
    assert fixed_totp(RFC_KEY, 30).verify(359152.0, 1) is True  # type: ignore[arg-type]
    assert totp_match(RFC_KEY, "359152", 1, 1) is None  # type: ignore[arg-type]
    assert hotp_match(RFC_KEY, "359152", range(5)) is None  # type: ignore[arg-type]
    assert fixed_totp(RFC_KEY, 30).verify("359152", 1) is False  # type: ignore[arg-type]


def test_window_digits_outside_the_table() -> None:
    twelve = reference_hotp(RFC_KEY, 5, 12)
    assert totp_match(RFC_KEY, twelve, 5, 1, digits=12) == 5
    assert hotp_match(RFC_KEY, twelve, range(10), digits=12) == 5
    assert totp_match(RFC_KEY, 0, 5, 1, digits=0) == 4
    assert hotp_match(RFC_KEY, 0, range(3, 9), digits=0) == 3


def test_window_functions_fill_the_pad_cache_for_new_keys() -> None:
    key = b"a key no other test uses"
    assert key not in oath._pads_cache
    assert totp_match(key, reference_hotp(key, 7), 7) == 7
    assert key in oath._pads_cache
    assert totp_match(bytearray(key), reference_hotp(key, 7), 8, 1) == 7


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


@settings(max_examples=100, deadline=None)
@given(
    word=st.integers(min_value=0, max_value=2**32 - 1),
    digits=st.integers(min_value=1, max_value=10),
)
def test_low_byte_rejection_is_sound(word: int, digits: int) -> None:
    """A value shares the low ``min(digits, 8)`` bits of its word, so the rejection is exact."""
    mask = oath._LOW_MASKS[digits]
    assert mask == 2 ** min(digits, 8) - 1
    assert ((word & 0x7FFFFFFF) % 10**digits) & mask == (word & 0xFF) & mask
    mac = bytes(16) + word.to_bytes(4, "big")  # last byte 0..15 picks offset 0..15
    offset = mac[19] & 0x0F
    assert oath._LOW_BYTE[mac[19]] == offset + 3


@settings(max_examples=200, deadline=None)
@given(
    key=keys,
    t=st.integers(min_value=5, max_value=2**40),
    tolerance=st.integers(min_value=-1, max_value=4),
    min_t=st.none() | st.integers(min_value=0, max_value=2**40),
    digits=st.integers(min_value=1, max_value=10),
    k=st.integers(min_value=-5, max_value=5),
    data=st.data(),
)
def test_totp_match_equals_reference(
    key: bytes,
    t: int,
    tolerance: int,
    min_t: int | None,
    digits: int,
    k: int,
    data: st.DataObject,
) -> None:
    if data.draw(st.booleans()):
        token = reference_hotp(key, t + k, digits)
    else:
        token = data.draw(st.integers(min_value=0, max_value=10**digits - 1))
    first = t - tolerance if min_t is None else max(t - tolerance, min_t)
    steps = list(range(first, t + tolerance + 1))
    assert totp_match(key, token, t, tolerance, min_t, digits) == reference_match(
        key, token, steps, digits
    )
    assert hotp_match(key, token, steps, digits) == reference_match(key, token, steps, digits)


@settings(max_examples=100, deadline=None)
@given(
    key=keys,
    counters_=st.lists(counters, max_size=8),
    digits=st.integers(min_value=1, max_value=3),  # short codes: matches and repeats are common
    token=st.integers(min_value=0, max_value=999),
)
def test_hotp_match_equals_reference(
    key: bytes, counters_: list[int], digits: int, token: int
) -> None:
    expected = reference_match(key, token, counters_, digits)
    assert hotp_match(key, token, counters_, digits) == expected
    assert hotp_match(key, token, iter(counters_), digits) == expected


@settings(max_examples=150, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=64),
    at=st.floats(min_value=10**4, max_value=2**36, allow_nan=False),
    step=st.sampled_from([30, 60]),
    t0=st.integers(min_value=0, max_value=10**3),
    digits=st.sampled_from([1, 2, 6, 8]),
    drift=st.integers(min_value=-3, max_value=3),
    tolerance=st.integers(min_value=-1, max_value=3),
    min_offset=st.none() | st.integers(min_value=-4, max_value=4),
    k=st.integers(min_value=-4, max_value=4),
)
def test_verify_follows_the_spec_loop(
    key: bytes,
    at: float,
    step: int,
    t0: int,
    digits: int,
    drift: int,
    tolerance: int,
    min_offset: int | None,
    k: int,
) -> None:
    calculator = fixed_totp(key, at, step=step, t0=t0, digits=digits, drift=drift)
    base = calculator.t()
    min_t = None if min_offset is None else base + min_offset
    token = reference_hotp(key, base + k, digits)
    accepted, expected_drift = reference_verify(calculator, at, token, tolerance, min_t)
    assert calculator.verify(token, tolerance, min_t=min_t) is accepted
    assert calculator.drift == expected_drift


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


@needs_oathtool
@pytest.mark.parametrize("case", range(20))
def test_windows_match_oathtool(case: int) -> None:
    """oathtool validates a code in a window too; it prints the distance of the matching step."""
    rng = random.Random(2024 + case)
    key = rng.randbytes(rng.choice([10, 20, 32]))
    step = rng.choice([30, 60])
    t0 = rng.choice([0, rng.randrange(10**6)])
    at = rng.randrange(10**6, 2**33)
    window = rng.randrange(4)
    clock = ["--totp", "-d", "8", "-s", f"{step}s", "-S", f"@{t0}"]
    code = oathtool(*clock, "-N", f"@{at + rng.randrange(-4, 5) * step}", key.hex())
    t = (at - t0) // step
    nearby_codes = {reference_hotp(key, t + offset, 8) for offset in range(-4, 5)}
    assert len(nearby_codes) == 9  # eight digits: a repeat would make the order matter
    done = subprocess.run(
        ["oathtool", *clock, "-N", f"@{at}", "-w", str(window), key.hex(), f"{code:08d}"],
        capture_output=True,
        text=True,
        check=False,
    )
    matched = totp_match(key, code, t, window, digits=8)
    if done.returncode == 0:
        assert matched is not None
        assert abs(matched - t) == int(done.stdout)
    else:
        assert done.returncode == 2  # "not found in range"
        assert matched is None
    calculator = fixed_totp(key, at, step=step, t0=t0, digits=8)
    assert calculator.verify(code, window) is (matched is not None)

    counter = rng.randrange(2**32)
    hotp_code = oathtool("--hotp", "-d", "8", "-c", str(counter + rng.randrange(6)), key.hex())
    done = subprocess.run(
        [
            "oathtool",
            "-d",
            "8",
            "-c",
            str(counter),
            "-w",
            str(window),
            key.hex(),
            f"{hotp_code:08d}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    matched = hotp_match(key, hotp_code, range(counter, counter + window + 1), 8)
    if done.returncode == 0:
        assert matched == counter + int(done.stdout)
    else:
        assert done.returncode == 2
        assert matched is None
