"""Tests of django_otp.conf.settings defaults and live reads."""

import pytest
from django.test import override_settings

from django_otp.conf import settings


def test_defaults():
    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is False
    assert settings.OTP_LOGIN_URL == "/login/"


def test_login_url_follows_login_url_live():
    with override_settings(LOGIN_URL="/elsewhere/"):
        assert settings.OTP_LOGIN_URL == "/elsewhere/"


def test_explicit_setting_wins():
    with override_settings(OTP_LOGIN_URL="/otp/", OTP_ADMIN_HIDE_SENSITIVE_DATA=True):
        assert settings.OTP_LOGIN_URL == "/otp/"
        assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


def test_other_names_read_django_settings():
    assert settings.TIME_ZONE == "UTC"
    with pytest.raises(AttributeError):
        settings.OTP_NO_SUCH_SETTING


def test_defaults_mapping():
    assert set(settings.defaults) == {"OTP_LOGIN_URL", "OTP_ADMIN_HIDE_SENSITIVE_DATA"}
