"""Tests of django_otp.util, whose names migrations and plugins reference."""

import re

import pytest
from django.core.exceptions import ValidationError

from django_otp.util import hex_validator, random_hex, random_number_token


def test_hex_validator_accepts_hex():
    hex_validator()("0a1b")
    hex_validator()("")
    hex_validator(2)("0a1b")
    hex_validator()(b"ff")


def test_hex_validator_message_for_str_shows_bytes_literal():
    with pytest.raises(ValidationError) as info:
        hex_validator()("xyz")
    assert info.value.messages == ["b'xyz' is not valid hex-encoded data."]
    assert info.value.code is None


def test_hex_validator_message_for_non_str():
    with pytest.raises(ValidationError) as info:
        hex_validator()(123)
    assert info.value.messages == ["123 is not valid hex-encoded data."]


def test_hex_validator_length():
    with pytest.raises(ValidationError) as info:
        hex_validator(2)("0a")
    assert info.value.messages == ["b'0a' does not represent exactly 2 bytes."]


def test_random_hex():
    assert re.fullmatch("[0-9a-f]{40}", random_hex())
    assert re.fullmatch("[0-9a-f]{16}", random_hex(8))
    assert random_hex() != random_hex()


def test_random_number_token():
    assert re.fullmatch("[0-9]{6}", random_number_token())
    assert re.fullmatch("[0-9]{10}", random_number_token(10))
    seen = {random_number_token(1) for _ in range(500)}
    assert seen == set("0123456789")
