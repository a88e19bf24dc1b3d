"""Tests of the one input rule shared by every device type."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_otp.tokens import MAX_INPUT_LENGTH, normalize_digits, normalize_static


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        (" 123456 ", "123456"),
        ("123 456", "123456"),
        ("12\t34\n56", "123456"),
        ("\uff11\uff12\uff13\uff14\uff15\uff16", "123456"),  # full-width
        ("\u0661\u0662\u0663\u0664\u0665\u0666", "123456"),  # Arabic-Indic
        ("\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6", "123456"),  # Extended Arabic-Indic
        ("012345", "012345"),
        ("12345", "12345"),
        (123456, "123456"),
        (12345, "12345"),
        (0, "0"),
    ],
)
def test_digits_accepted(raw, expected):
    assert normalize_digits(raw, 6) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "+123456",
        "-123456",
        "123_456",
        "1234567",
        "12345a",
        "½23456",
        "1" * 5000,
        None,
        ["123456"],
        b"123456",
        True,
        -1,
        1234567,
        12.0,
    ],
)
def test_digits_rejected(raw):
    assert normalize_digits(raw, 6) is None


def test_digits_bound_before_work():
    assert normalize_digits(" " * (MAX_INPUT_LENGTH + 1) + "1", 6) is None


@given(st.text())
def test_digits_never_raises_and_returns_ascii_digits(text):
    result = normalize_digits(text, 8)
    assert result is None or (result.isascii() and result.isdigit() and 0 < len(result) <= 8)


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_digits_round_trip_of_codes(code):
    padded = str(code).zfill(8)
    assert normalize_digits(padded, 8) == padded
    assert int(normalize_digits(code, 8)) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abcd2345", "abcd2345"),
        ("ABCD 2345", "abcd2345"),
        ("ab-cd", "abcd"),
        ("abcd-efgh-jkmn-pqrs", "abcdefghjkmnpqrs"),
    ],
)
def test_static_accepted(raw, expected):
    assert normalize_static(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "-", "a" * 17, "abc_def", "abc$", None, 12345678, "ünï", "x" * 5000]
)
def test_static_rejected(raw):
    assert normalize_static(raw) is None


@given(st.text())
def test_static_never_raises(text):
    result = normalize_static(text)
    assert result is None or (result == result.lower() and len(result) <= 16)
