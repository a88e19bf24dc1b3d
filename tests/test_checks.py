"""Tests of the start-up system checks."""

import os
import subprocess
import sys
import types

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.core.checks import Error, Tags
from django.core.checks.registry import registry
from django.test import override_settings
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy

from django_otp.admin import OTPAdminSite
from django_otp.checks import check_middleware, check_otp_admin_site_app, check_settings
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


# django_otp.E003: an OTPAdminSite served while the core app is not installed.

WITHOUT_CORE_APP = [app for app in settings.INSTALLED_APPS if app != "django_otp"]


class SubclassedOTPAdminSite(OTPAdminSite):
    """A site's own admin class built on OTPAdminSite."""


class OTPAdminSiteLookalike(AdminSite):
    """Same class name idea, other module: not an OTPAdminSite."""


OTPAdminSiteLookalike.__qualname__ = "OTPAdminSite"


def urlconf(*patterns):
    """A URLconf module object holding ``patterns``."""
    module = types.ModuleType("check_urls")
    module.urlpatterns = list(patterns)
    return module


def check_admin_sites(root):
    with override_settings(ROOT_URLCONF=root):
        return check_otp_admin_site_app()


def test_served_otp_admin_site_without_the_core_app_is_an_error():
    with override_settings(INSTALLED_APPS=WITHOUT_CORE_APP):
        messages = check_admin_sites("tests.urls")
    assert ids(messages) == ["django_otp.E003"]
    message = messages[0]
    assert isinstance(message, Error)
    assert message.msg == (
        "An OTPAdminSite is served at '/otpadmin/', but INSTALLED_APPS does not contain "
        "'django_otp'."
    )
    assert "Add 'django_otp' to INSTALLED_APPS" in message.hint
    assert "otp/admin111/login.html" in message.hint
    assert message.obj.name == OTPAdminSite.name


def test_subclasses_in_nested_includes_are_found_once_each():
    first, second = SubclassedOTPAdminSite("first"), OTPAdminSite("second")
    root = urlconf(
        path(
            "staff/", include([path("a/", first.urls), path("b/", include([path("", first.urls)]))])
        ),
        path("ops/", second.urls),
        path("plain/", admin.site.urls),
    )
    with override_settings(INSTALLED_APPS=WITHOUT_CORE_APP):
        messages = check_admin_sites(root)
    assert ids(messages) == ["django_otp.E003", "django_otp.E003"]
    assert [message.obj for message in messages] == [first, second]
    assert "'/staff/a/'" in messages[0].msg
    assert "'/ops/'" in messages[1].msg


def test_other_admin_sites_and_lookalikes_pass():
    root = urlconf(path("admin/", admin.site.urls), path("x/", OTPAdminSiteLookalike("x").urls))
    with override_settings(INSTALLED_APPS=WITHOUT_CORE_APP):
        assert check_admin_sites(root) == []


def test_served_otp_admin_site_with_the_core_app_passes():
    assert check_admin_sites("tests.urls") == []


def test_the_check_is_registered_with_the_admin_tag():
    assert check_otp_admin_site_app in registry.get_checks()
    assert Tags.admin in check_otp_admin_site_app.tags


PROJECT_URLS = """
from django.urls import path
from django_otp.admin import OTPAdminSite

urlpatterns = [path("admin/", OTPAdminSite(OTPAdminSite.name).urls)]
"""

PROJECT_SETTINGS = """
SECRET_KEY = "check-test"
INSTALLED_APPS = {apps!r}
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "project_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        }},
    }}
]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]


@pytest.mark.parametrize(
    ("otp_apps", "expected"),
    [
        (["django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"], True),
        (["django_otp", "django_otp.plugins.otp_totp"], False),
    ],
    ids=["plugins-without-core", "core-and-plugin"],
)
def test_manage_py_check_names_the_missing_core_app(tmp_path, otp_apps, expected):
    # A fresh process: the check must be registered although django_otp's ready() never runs
    # (the plugins load it), and the URLconf is only imported while the checks run.
    (tmp_path / "project_urls.py").write_text(PROJECT_URLS)
    (tmp_path / "project_settings.py").write_text(
        PROJECT_SETTINGS.format(apps=DJANGO_APPS + otp_apps)
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = result.stdout + result.stderr
    if expected:
        assert result.returncode == 1, output
        assert "(django_otp.E003) An OTPAdminSite is served at '/admin/'" in output
        assert "Add 'django_otp' to INSTALLED_APPS" in output
    else:
        assert result.returncode == 0, output
        assert "E003" not in output


@override_settings(OTP_PATH_POLICIES=[("^/a/", "recent"), ("^/b/", "nope")])
def test_a_path_rule_naming_an_unknown_policy_is_an_error():
    from django_otp.checks import check_policies

    messages = check_policies()
    assert ids(messages) == ["django_otp.E010"]
    assert "item 1 names the policy 'nope'" in messages[0].msg


@override_settings(
    OTP_POLICIES={"staff": {"max_age": 60}}, OTP_PATH_POLICIES=[("^/staff/", "staff")]
)
def test_path_rules_may_name_policies_of_the_setting():
    from django_otp.checks import check_policies

    assert check_policies() == []
