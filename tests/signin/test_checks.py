"""System checks of the sign-in and enforcement: malformed values (E002) and what is missing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import registry
from django.test import modify_settings, override_settings

from django_otp.checks import check_settings
from django_otp.signin.checks import check_signin

WITHOUT_LIMITS = modify_settings(INSTALLED_APPS={"remove": "django_otp.contrib.limits"})
WITHOUT_MIDDLEWARE = modify_settings(MIDDLEWARE={"remove": "django_otp.middleware.OTPMiddleware"})
#: A URLconf that does not include django_otp.urls.
NO_OTP_URLS = override_settings(ROOT_URLCONF="tests.session_urls")


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def errors_about(name: str) -> list[str]:
    return [message.msg for message in check_settings() if message.msg.startswith(f"{name} ")]


def test_the_test_settings_pass() -> None:
    assert check_signin() == []
    with override_settings(OTP_ENFORCE_FOR="everyone", OTP_ENFORCE_GRACE_DAYS=7):
        assert check_signin() == []


def test_the_check_is_registered() -> None:
    assert check_signin in registry.registry.get_checks()


@WITHOUT_LIMITS
def test_the_sign_in_without_the_limits_app_is_an_error() -> None:
    messages = check_signin()
    assert ids(messages) == ["django_otp.E030"]
    assert "'django_otp.contrib.limits'" in messages[0].msg
    assert "migrate" in messages[0].hint
    with NO_OTP_URLS:
        assert check_signin() == []  # otp:login is not served: nothing to limit


@WITHOUT_LIMITS
@NO_OTP_URLS
def test_grace_days_without_the_limits_app_is_an_error() -> None:
    with override_settings(OTP_ENFORCE_GRACE_DAYS=7):
        messages = check_signin()
    assert ids(messages) == ["django_otp.E031"]
    assert messages[0].msg.startswith("OTP_ENFORCE_GRACE_DAYS needs")


@override_settings(OTP_ENFORCE_FOR="staff")
def test_enforcement_needs_the_middleware_and_the_sign_in_pages() -> None:
    with WITHOUT_MIDDLEWARE:
        messages = check_signin()
        assert ids(messages) == ["django_otp.E032"]
        assert "nothing is enforced" in messages[0].msg
    with NO_OTP_URLS:
        messages = check_signin()
        assert ids(messages) == ["django_otp.E033"]
        assert 'include("django_otp.urls")' in messages[0].hint


@override_settings(OTP_ENFORCE_FOR="everyone")
def test_a_setup_url_that_names_nothing_is_a_warning() -> None:
    with override_settings(OTP_ENFORCE_SETUP_URL="account-security"):
        messages = check_signin()
        assert ids(messages) == ["django_otp.W030"]
        assert "'account-security'" in messages[0].msg
    for value in ["otp:login", "/account/security/"]:
        with override_settings(OTP_ENFORCE_SETUP_URL=value):
            assert check_signin() == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OTP_ENFORCE_FOR", "admins", "not 'admins' (put a group name in a list: ['admins'])"),
        ("OTP_ENFORCE_FOR", 3, "a list of group names or a callable, not int"),
        ("OTP_ENFORCE_FOR", [], "a list must hold non-empty group names"),
        ("OTP_ENFORCE_FOR", ["ok", ""], "a list must hold non-empty group names"),
        ("OTP_ENFORCE_FOR", "nowhere.rule", "names 'nowhere.rule', which cannot be imported"),
        ("OTP_ENFORCE_FOR", "django.conf.settings", "which is not callable"),
        ("OTP_ENFORCE_GRACE_UNTIL", "next week", "an ISO 8601 string, not 'next week'"),
        ("OTP_ENFORCE_GRACE_UNTIL", 20300101, "an ISO 8601 string, not 20300101"),
        ("OTP_ENFORCE_GRACE_DAYS", -1, "must be a whole number, 0 or more"),
        ("OTP_ENFORCE_EXEMPT_PATHS", "^/help/", "must be a list of regular expressions"),
        ("OTP_ENFORCE_EXEMPT_PATHS", ["^/ok/", "("], "item 1 has an invalid regex '('"),
        ("OTP_ENFORCE_EXEMPT_PATHS", [3], "item 0 must be a string"),
        ("OTP_ENFORCE_SETUP_URL", None, "must be a string"),
        ("OTP_LOGIN_PENDING_TIMEOUT", 0, "must be a whole number greater than 0"),
        ("OTP_LIMITS_ACCOUNT_FAILURES", 500, "must be a whole number from 1 to 100"),
        ("OTP_LIMITS_ACCOUNT_DELAY", -1, "must be a number of seconds, 0 or more"),
        ("OTP_LIMITS_CLIENT_WINDOW", 0, "must be a whole number greater than 0"),
        ("OTP_LIMITS_TRUSTED_PROXIES", "1", "must be a whole number, 0 or more"),
        ("OTP_LIMITS_PROXY_HEADER", None, "must be a string"),
    ],
)
def test_a_malformed_value_names_the_setting(name: str, value: Any, expected: str) -> None:
    with override_settings(**{name: value}):
        found = errors_about(name)
        assert len(found) == 1 and expected in found[0], found
        assert check_signin() == []  # the other checks leave a malformed value to E002


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTP_ENFORCE_FOR", None),
        ("OTP_ENFORCE_FOR", "superusers"),
        ("OTP_ENFORCE_FOR", ("admins",)),
        ("OTP_ENFORCE_FOR", lambda user: True),
        ("OTP_ENFORCE_FOR", "tests.flows.test_enforce.needs_mfa"),
        ("OTP_ENFORCE_GRACE_UNTIL", "2030-09-01"),
        ("OTP_ENFORCE_GRACE_UNTIL", "2030-09-01T12:00:00+02:00"),
        ("OTP_ENFORCE_EXEMPT_PATHS", [r"^/api/", r"^/help/$"]),
        ("OTP_LIMITS_ACCOUNT_FAILURES", 100),
    ],
)
def test_a_valid_value_passes(name: str, value: Any) -> None:
    with override_settings(**{name: value}):
        assert errors_about(name) == []


def test_unknown_names_of_the_new_families_are_reported() -> None:
    with override_settings(OTP_ENFORCE_FRO="everyone", OTP_LIMITS_CLIENT_FAILURE=5):
        warned = [m.msg for m in check_settings() if m.id == "django_otp.W002"]
    assert any(msg.startswith("OTP_ENFORCE_FRO ") for msg in warned)
    assert any(msg.startswith("OTP_LIMITS_CLIENT_FAILURE ") for msg in warned)
