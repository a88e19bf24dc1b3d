"""Tests of the start-up system checks."""

from django.test import override_settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy

from django_otp.checks import check_middleware, check_settings
from django_otp.crypto import generate_key

AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OTP = "django_otp.middleware.OTPMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"


def ids(messages):
    return [message.id for message in messages]


def test_default_test_settings_pass():
    assert check_middleware() == []
    assert check_settings() == []


@override_settings(MIDDLEWARE=[SESSION, AUTH])
def test_missing_middleware_warns():
    messages = check_middleware()
    assert ids(messages) == ["django_otp.W001"]
    assert OTP in messages[0].msg


@override_settings(MIDDLEWARE=[SESSION, OTP, AUTH])
def test_middleware_before_authentication_is_an_error():
    assert ids(check_middleware()) == ["django_otp.E001"]


@override_settings(
    OTP_TOTP_THROTTLE_FACTOR=-1,
    OTP_EMAIL_TOKEN_VALIDITY="300",
    OTP_TOTP_SYNC="yes",
    OTP_HOTP_ISSUER=12,
    OTP_KEY_ENCRYPTION_KEYS="not-a-list",
)
def test_bad_values_are_errors_naming_the_setting():
    messages = check_settings()
    assert set(ids(messages)) == {"django_otp.E002"}
    named = {message.msg.split()[0] for message in messages}
    assert named == {
        "OTP_TOTP_THROTTLE_FACTOR",
        "OTP_EMAIL_TOKEN_VALIDITY",
        "OTP_TOTP_SYNC",
        "OTP_HOTP_ISSUER",
        "OTP_KEY_ENCRYPTION_KEYS",
    }


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[generate_key()], OTP_TOTP_ISSUER=lambda d: "x")
def test_good_values_pass():
    assert check_settings() == []


@override_settings(
    OTP_LOGIN_URL=reverse_lazy("login"),
    OTP_EMAIL_SUBJECT=gettext_lazy("Your code"),
    OTP_TOTP_ISSUER=gettext_lazy("Example"),
)
def test_lazy_strings_are_accepted():
    assert check_settings() == []


@override_settings(OTP_TOTP_THROTLE_FACTOR=1)
def test_misspelt_plugin_setting_warns():
    messages = check_settings()
    assert ids(messages) == ["django_otp.W002"]
    assert "OTP_TOTP_THROTLE_FACTOR" in messages[0].msg


@override_settings(OTP_YUBIKEY_WHATEVER=1)
def test_third_party_settings_are_left_alone():
    assert check_settings() == []
