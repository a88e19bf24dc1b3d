"""Tests of the authenticated encryption used for device keys at rest."""

import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_otp import crypto

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()


def test_generated_key_is_valid():
    assert crypto.key_list_problem([KEY_A, KEY_B]) is None
    assert KEY_A != KEY_B


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
def test_round_trip_hides_plaintext():
    secret = "3132333435363738393031323334353637383930"
    sealed = crypto.encrypt(secret, "ctx")
    assert secret not in sealed
    assert sealed.startswith(crypto.PREFIX)
    assert crypto.ciphertext_key_id(sealed) == crypto.current_key_id()
    assert crypto.decrypt(sealed, "ctx") == secret
    assert crypto.encrypt(secret, "ctx") != sealed  # fresh nonce each time


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
def test_context_is_bound():
    sealed = crypto.encrypt("00ff", "otp_totp.totpdevice.key")
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(sealed, "otp_hotp.hotpdevice.key")


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
def test_tampering_is_detected():
    sealed = crypto.encrypt("00ff", "ctx")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(tampered, "ctx")


def test_rotation_old_key_still_decrypts():
    with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A]):
        sealed = crypto.encrypt("abcd", "ctx")
    with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        assert crypto.decrypt(sealed, "ctx") == "abcd"
        assert crypto.ciphertext_key_id(crypto.encrypt("abcd", "ctx")) != crypto.ciphertext_key_id(
            sealed
        )
    with (
        override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_B]),
        pytest.raises(ImproperlyConfigured, match="no longer"),
    ):
        crypto.decrypt(sealed, "ctx")


def test_disabled_without_keys():
    assert not crypto.enabled()
    assert crypto.current_key_id() is None
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("00", "ctx")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("single-string", "must be a list"),
        (["not base64!"], "item 0"),
        ([KEY_A, "c2hvcnQ="], "item 1"),
        ([KEY_A, KEY_A], "same key twice"),
        (42, "must be a list"),
    ],
)
def test_key_list_problems(value, fragment):
    assert fragment in crypto.key_list_problem(value)


@override_settings(OTP_KEY_ENCRYPTION_KEYS=["bad"])
def test_malformed_keys_fail_loudly_on_use():
    with pytest.raises(ImproperlyConfigured, match="OTP_KEY_ENCRYPTION_KEYS item 0"):
        crypto.encrypt("00", "ctx")


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
def test_missing_cryptography_is_a_clear_error(monkeypatch):
    sealed = crypto.encrypt("00", "ctx")
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(ImproperlyConfigured, match=r"django-otp-ng\[crypto\]"):
        crypto.decrypt(sealed, "ctx")
    assert "cryptography" in crypto.key_list_problem([KEY_A])
