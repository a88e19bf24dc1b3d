"""Tests of django_otp.provisioning: the otpauth:// URLs shared by the HOTP and TOTP plugins."""

import base64
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from django_otp.provisioning import base32_secret, otpauth_url, setting_str

KEY = bytes(range(1, 21))


def test_minimal_url():
    assert otpauth_url("totp", "alice", b"\x01\x02\x03\x04\x05", [("digits", 6)]) == (
        "otpauth://totp/alice?secret=AEBAGBAF&algorithm=SHA1&digits=6"
    )


def test_parameters_keep_their_order():
    url = otpauth_url("hotp", "alice", KEY, [("digits", 8), ("counter", 12)], issuer="X")
    query = urlsplit(url).query
    assert [name for name, _ in parse_qsl(query)] == [
        "secret",
        "algorithm",
        "digits",
        "counter",
        "issuer",
    ]


def test_secret_is_base32_of_the_key():
    url = otpauth_url("totp", "alice", KEY, [])
    secret = dict(parse_qsl(urlsplit(url).query))["secret"]
    assert base64.b32decode(secret) == KEY


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        (b"\x01", "AE%3D%3D%3D%3D%3D%3D"),
        (b"\x01\x02", "AEBA%3D%3D%3D%3D"),
        (b"\x01\x02\x03", "AEBAG%3D%3D%3D"),
        (b"\x01\x02\x03\x04", "AEBAGBA%3D"),
        (b"\x01\x02\x03\x04\x05", "AEBAGBAF"),
    ],
)
def test_padding_is_kept_and_percent_encoded(key, secret):
    assert f"?secret={secret}&" in otpauth_url("totp", "alice", key, [("digits", 6)])


def test_label_is_percent_encoded_keeping_slashes():
    url = otpauth_url("hotp", "al ice/x@y:z+é", KEY, [])
    assert url.startswith("otpauth://hotp/al%20ice/x%40y%3Az%2B%C3%A9?")


def test_issuer_loses_colons_and_prefixes_the_label():
    url = otpauth_url("totp", "al ice/x@y", b"\x01\x02\x03\x04\x05", [], issuer="Ex: Corp/1")
    assert url == (
        "otpauth://totp/Ex%20Corp/1%3Aal%20ice/x%40y?secret=AEBAGBAF&algorithm=SHA1"
        "&issuer=Ex%20Corp/1"
    )
    label = unquote(urlsplit(url).path.lstrip("/"))
    assert label == "Ex Corp/1:al ice/x@y"


def test_issuer_uses_rfc_3986_quoting_not_form_encoding():
    url = otpauth_url("totp", "a", KEY, [], issuer="A&B C+D")
    assert url.endswith("&issuer=A%26B%20C%2BD")


def test_image_keeps_colon_and_slash():
    url = otpauth_url("totp", "a", KEY, [], issuer="I", image="https://x.test/a b.png?q=1&r")
    assert url.endswith("&issuer=I&image=https://x.test/a%20b.png%3Fq%3D1%26r")


def test_image_without_issuer():
    url = otpauth_url("totp", "a", KEY, [("period", 30)], image="https://x.test/i.png")
    assert url.endswith("&period=30&image=https://x.test/i.png")


def test_empty_issuer_and_image_are_left_out():
    assert otpauth_url("totp", "a", KEY, [], issuer="", image="") == otpauth_url(
        "totp", "a", KEY, []
    )


def test_username_is_coerced_to_str():
    assert otpauth_url("hotp", 42, KEY, []).startswith("otpauth://hotp/42?")


class Device:
    name = "phone"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Example", "Example"),
        (lambda device: f"Example {device.name}", "Example phone"),
        ("", None),
        (None, None),
        (42, None),
        (b"bytes", None),
        (lambda device: None, None),
        (lambda device: "", None),
        (lambda device: 7, None),
    ],
)
def test_setting_str(value, expected):
    assert setting_str(value, Device()) == expected


def test_base32_secret_is_grouped_for_typing_without_padding():
    key = bytes(range(20))
    grouped = base32_secret(key)
    assert grouped == "AAAQ EAYE AUDA OCAJ BIFQ YDIO B4IB CEQT"
    assert base64.b32decode(grouped.replace(" ", "")) == key
    assert base32_secret(b"\x01" * 11, group=8) == "AEAQCAIB AEAQCAIB AE"
