"""django_otp.app_settings: the one registry of settings, its defaults and its cache."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from django_otp.app_settings import AppSettings, Setting, app_settings
from django_otp.checks import check_settings
from django_otp.conf import settings as conf_settings
from django_otp.plugins.otp_email.conf import settings as email_settings

# compat.md section 10.2, plus the settings django-otp-ng adds.
DEFAULTS = {
    "OTP_ADMIN_HIDE_SENSITIVE_DATA": False,
    "OTP_HOTP_ISSUER": None,
    "OTP_HOTP_THROTTLE_FACTOR": 1,
    "OTP_TOTP_ISSUER": None,
    "OTP_TOTP_IMAGE": None,
    "OTP_TOTP_SYNC": True,
    "OTP_TOTP_THROTTLE_FACTOR": 1,
    "OTP_STATIC_THROTTLE_FACTOR": 1,
    "OTP_EMAIL_SENDER": None,
    "OTP_EMAIL_SUBJECT": "OTP token",
    "OTP_EMAIL_BODY_TEMPLATE": None,
    "OTP_EMAIL_BODY_TEMPLATE_PATH": "otp/email/token.txt",
    "OTP_EMAIL_BODY_HTML_TEMPLATE": None,
    "OTP_EMAIL_BODY_HTML_TEMPLATE_PATH": None,
    "OTP_EMAIL_TOKEN_VALIDITY": 300,
    "OTP_EMAIL_THROTTLE_FACTOR": 1,
    "OTP_EMAIL_COOLDOWN_DURATION": 60,
    "OTP_LOCKOUT_FAILURES": 10,
    "OTP_STATIC_HASH_TOKENS": False,
}


@pytest.mark.parametrize(("name", "default"), DEFAULTS.items())
def test_each_setting_has_one_default(name, default):
    assert AppSettings.spec(name).default_value() == default
    with override_settings():
        if hasattr(settings, name):
            delattr(settings, name)
        app_settings.forget()
        assert getattr(app_settings, name) == default
    app_settings.forget()


def test_login_url_defaults_to_login_url_live():
    with override_settings(LOGIN_URL="/a/"):
        assert app_settings.OTP_LOGIN_URL == "/a/"
    with override_settings(LOGIN_URL="/b/"):
        assert app_settings.OTP_LOGIN_URL == "/b/"
        assert conf_settings.OTP_LOGIN_URL == "/b/"


def test_encryption_keys_read_as_a_list():
    assert app_settings.OTP_KEY_ENCRYPTION_KEYS == []
    with override_settings(OTP_KEY_ENCRYPTION_KEYS=("k",)):
        assert app_settings.OTP_KEY_ENCRYPTION_KEYS == ["k"]


def test_a_changed_setting_is_seen_at_once():
    assert app_settings.OTP_TOTP_SYNC is True
    with override_settings(OTP_TOTP_SYNC=False):
        assert app_settings.OTP_TOTP_SYNC is False
    assert app_settings.OTP_TOTP_SYNC is True


def test_the_registry_lists_every_setting_once():
    names = [spec.name for spec in AppSettings.specs()]
    assert len(names) == len(set(names))
    assert set(DEFAULTS) | {"OTP_LOGIN_URL", "OTP_KEY_ENCRYPTION_KEYS"} <= set(names)
    assert isinstance(AppSettings.OTP_TOTP_SYNC, Setting)
    with pytest.raises(KeyError):
        AppSettings.spec("OTP_NO_SUCH_SETTING")


def test_the_compatible_views_read_the_registry():
    with override_settings(OTP_EMAIL_SUBJECT="Code", OTP_ADMIN_HIDE_SENSITIVE_DATA=True):
        assert email_settings.OTP_EMAIL_SUBJECT == "Code"
        assert conf_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


def test_check_hints_state_the_real_defaults():
    with override_settings(OTP_LOGIN_URL=3, OTP_EMAIL_TOKEN_VALIDITY=0):
        hints = {message.msg.split()[0]: message.hint for message in check_settings()}
    assert hints["OTP_LOGIN_URL"] == "The default is the value of LOGIN_URL."
    assert hints["OTP_EMAIL_TOKEN_VALIDITY"] == "The default is 300."
