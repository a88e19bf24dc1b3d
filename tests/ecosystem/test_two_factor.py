"""django-two-factor-auth 1.18.1 on top of this package, driven end to end with the test client.

two-factor is installed without its dependencies (it asks for the ``django_otp`` distribution):
``pip install --no-deps django-two-factor-auth==1.18.1`` plus django-formtools and qrcode,
and django-phonenumber-field with phonenumberslite for its phone plugin. Its apps are added
to ``INSTALLED_APPS`` only for these tests. The names the ecosystem imports from
``django_otp`` (spec section 19) are checked whether or not two-factor is installed.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import inspect
import os
import re
from base64 import b32decode
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.checks.registry import registry as check_registry
from django.core.management import call_command
from django.db import models
from django.test import TestCase, modify_settings, override_settings
from django.urls import reverse
from freezegun import freeze_time

import django_otp
from django_otp import DEVICE_ID_SESSION_KEY, oath
from django_otp.oath import totp

try:
    import two_factor
except ImportError:  # pragma: no cover - the Makefile installs it
    two_factor = None

MISSING = (
    "django-two-factor-auth is not installed: "
    "pip install --no-deps django-two-factor-auth==1.18.1 django-formtools qrcode"
)
requires_two_factor = pytest.mark.skipif(two_factor is None, reason=MISSING)
PHONE_MISSING = (
    "django-phonenumber-field is not installed: "
    "pip install django-phonenumber-field==8.5.0 phonenumberslite==8.13.55"
)
requires_phonenumber_field = pytest.mark.skipif(
    importlib.util.find_spec("phonenumber_field") is None, reason=PHONE_MISSING
)

TWO_FACTOR_APPS = ["formtools", "two_factor", "two_factor.plugins.email"]
#: Enabled before the apps are added, so that two-factor's ``ready()`` sees them: it must not
#: patch ``AdminSite.login`` for the rest of the test run.
TWO_FACTOR_SETTINGS = {
    "TWO_FACTOR_PATCH_ADMIN": False,
    "ROOT_URLCONF": "tests.ecosystem.urls",
    "LOGIN_URL": "two_factor:login",
    "LOGIN_REDIRECT_URL": "/state/",
}
#: A moment at the start of a 30-second TOTP step.
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
INVALID_TOKEN = "Invalid token. Please make sure you have entered it correctly."
QR_SECRET_SESSION_KEY = "django_two_factor-qr_secret_key"


@pytest.mark.parametrize(
    ("module", "missing"), [("two_factor", MISSING), ("phonenumber_field", PHONE_MISSING)]
)
def test_ecosystem_packages_are_installed_in_ci(module, missing):
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert importlib.import_module(module).__name__ == module


def enable_for_class(cls: type[TestCase], change: override_settings) -> None:
    """Apply a settings change until the test class is done (like unittest's
    ``enterClassContext``, which needs Python 3.11)."""
    change.enable()
    cls.addClassCleanup(change.disable)


def code(key: bytes) -> str:
    """The TOTP code of ``key`` for the current (frozen) time, as an authenticator shows it."""
    return f"{totp(key):06d}"


def wrong_code(key: bytes) -> str:
    """A six-digit code that no step within a tolerance of one accepts now."""
    near = {f"{oath.hotp(key, (int(oath.time()) // 30) + d):06d}" for d in (-1, 0, 1)}
    return next(digit * 6 for digit in "0123456789" if digit * 6 not in near)


def current_step(response: Any) -> str:
    """The wizard step a two-factor response shows."""
    assert response.status_code == 200, response
    return response.context["wizard"]["steps"].current


def form_errors(response: Any) -> list[str]:
    """The non-field errors of the form a wizard response shows."""
    return list(response.context["wizard"]["form"].non_field_errors())


@requires_two_factor
class TwoFactorTestCase(TestCase):
    """Runs with two-factor's apps installed and its URLs as the root URLconf."""

    @classmethod
    def setUpClass(cls) -> None:
        from two_factor.checks import check_installed_app_order

        registered = check_installed_app_order in check_registry.registered_checks
        enable_for_class(cls, override_settings(**TWO_FACTOR_SETTINGS))
        enable_for_class(cls, modify_settings(INSTALLED_APPS={"append": TWO_FACTOR_APPS}))
        if not registered:
            cls.addClassCleanup(check_registry.registered_checks.discard, check_installed_app_order)
        super().setUpClass()

    def setUp(self) -> None:
        self.frozen = freeze_time(START)
        self.clock = self.frozen.start()
        self.addCleanup(self.frozen.stop)
        self.user = get_user_model().objects.create_user(
            "alice", "alice@example.com", "alice-password"
        )

    def setup_step(self, step: str, **data: str) -> Any:
        """Post ``data`` to step ``step`` of two-factor's setup wizard."""
        fields = {f"{step}-{name}": value for name, value in data.items()}
        return self.client.post(
            reverse("two_factor:setup"), {"setup_view-current_step": step, **fields}
        )

    def login_step(self, step: str, **data: str) -> Any:
        """Post ``data`` to step ``step`` of two-factor's login wizard."""
        fields = {f"{step}-{name}": value for name, value in data.items()}
        return self.client.post(
            reverse("two_factor:login"), {"login_view-current_step": step, **fields}
        )

    def log_in_with_password(self) -> Any:
        """Open the login wizard and pass its password step; return the response."""
        assert current_step(self.client.get(reverse("two_factor:login"))) == "auth"
        return self.login_step("auth", username="alice", password="alice-password")

    def state(self) -> dict[str, Any]:
        """What the site knows about the visitor: user, verified, device."""
        return self.client.get("/state/").json()

    def totp_device(self, key: bytes) -> Any:
        """Give alice the TOTP device two-factor would create for ``key``."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return TOTPDevice.objects.create(user=self.user, name="default", key=key.hex())


class TestSetupWizard(TwoFactorTestCase):
    def test_generator_setup_creates_a_confirmed_device_and_verifies_the_session(self):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        self.client.force_login(self.user)
        assert current_step(self.client.get(reverse("two_factor:setup"))) == "welcome"
        assert current_step(self.setup_step("welcome")) == "method"
        assert current_step(self.setup_step("method", method="generator")) == "generator"
        key = b32decode(self.client.session[QR_SECRET_SESSION_KEY])

        response = self.setup_step("generator", token=code(key))

        self.assertRedirects(
            response, reverse("two_factor:setup_complete"), fetch_redirect_response=False
        )
        device = TOTPDevice.objects.get(user=self.user)
        assert (device.name, device.confirmed, device.bin_key) == ("default", True, key)
        assert self.state() == {
            "username": "alice",
            "verified": True,
            "device": device.persistent_id,
        }
        assert self.client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert self.client.get(reverse("two_factor:setup_complete")).status_code == 200
        assert self.client.get("/protected/").status_code == 200

    def test_generator_setup_refuses_a_wrong_code(self):
        self.client.force_login(self.user)
        self.setup_step("welcome")
        self.setup_step("method", method="generator")
        key = b32decode(self.client.session[QR_SECRET_SESSION_KEY])

        response = self.setup_step("generator", token=wrong_code(key))

        assert current_step(response) == "generator"
        assert response.context["wizard"]["form"].errors == {
            "token": ["Entered token is not valid."]
        }
        assert not self.user.totpdevice_set.exists()
        assert self.state()["verified"] is False

    def test_email_setup_challenges_an_unsaved_device_and_confirms_it(self):
        from django_otp.plugins.otp_email.models import EmailDevice

        self.client.force_login(self.user)
        self.setup_step("welcome")
        response = self.setup_step("method", method="email")

        assert current_step(response) == "validation"
        assert response.context["challenge_succeeded"] is True
        assert [message.to for message in mail.outbox] == [["alice@example.com"]]
        token = mail.outbox[0].body.strip()
        device = EmailDevice.objects.get(user=self.user)
        assert (device.name, device.confirmed) == ("default", False)

        response = self.setup_step("validation", token=token)

        self.assertRedirects(
            response, reverse("two_factor:setup_complete"), fetch_redirect_response=False
        )
        device.refresh_from_db()
        assert device.confirmed
        assert self.state()["device"] == device.persistent_id
        assert device.token is None
        assert not device.verify_token(token)


class TestLoginWizard(TwoFactorTestCase):
    def test_setup_then_log_out_then_log_in_with_the_next_code(self):
        self.client.force_login(self.user)
        self.setup_step("welcome")
        self.setup_step("method", method="generator")
        key = b32decode(self.client.session[QR_SECRET_SESSION_KEY])
        self.setup_step("generator", token=code(key))
        device = self.user.totpdevice_set.get()
        self.client.logout()
        assert self.client.get("/protected/").status_code == 302
        self.clock.tick(30)

        assert current_step(self.log_in_with_password()) == "token"
        response = self.login_step("token", otp_token=code(key))

        self.assertRedirects(response, "/state/", fetch_redirect_response=False)
        assert self.state() == {
            "username": "alice",
            "verified": True,
            "device": device.persistent_id,
        }
        assert self.client.get("/protected/").status_code == 200
        device.refresh_from_db()
        assert device.last_t == int(START.timestamp()) // 30 + 1

    def test_a_code_is_accepted_once(self):
        key = b"12345678901234567890"
        self.totp_device(key)
        self.log_in_with_password()
        self.login_step("token", otp_token=code(key))
        assert self.state()["verified"] is True
        self.client.logout()

        self.log_in_with_password()
        response = self.login_step("token", otp_token=code(key))

        assert current_step(response) == "token"
        assert form_errors(response) == [INVALID_TOKEN]
        assert self.state()["verified"] is False

    def test_wrong_code_shows_the_invalid_token_message_and_a_right_one_then_works(self):
        key = b"12345678901234567890"
        device = self.totp_device(key)
        self.log_in_with_password()

        response = self.login_step("token", otp_token=wrong_code(key))

        assert current_step(response) == "token"
        assert form_errors(response) == [INVALID_TOKEN]
        assert INVALID_TOKEN in response.content.decode()
        device.refresh_from_db()
        assert device.throttling_failure_count == 1
        self.clock.tick(2)
        response = self.login_step("token", otp_token=code(key))
        self.assertRedirects(response, "/state/", fetch_redirect_response=False)
        assert self.state()["device"] == device.persistent_id

    def test_throttled_device_shows_the_failed_attempts_message(self):
        key = b"12345678901234567890"
        self.totp_device(key)
        self.log_in_with_password()
        self.login_step("token", otp_token=wrong_code(key))

        response = self.login_step("token", otp_token=code(key))

        assert form_errors(response) == [
            "Verification temporarily disabled because of 1 failed attempt, please try again soon."
        ]
        assert self.state()["verified"] is False


class TestBackupTokens(TwoFactorTestCase):
    def log_in_with_totp(self, key: bytes) -> None:
        self.log_in_with_password()
        self.login_step("token", otp_token=code(key))
        assert self.state()["verified"] is True

    def use_backup_token(self, token: str) -> Any:
        """Log in with the password, then go to the backup step and enter ``token``."""
        assert current_step(self.log_in_with_password()) == "token"
        response = self.client.post(
            reverse("two_factor:login"),
            {"login_view-current_step": "token", "wizard_goto_step": "backup"},
        )
        assert current_step(response) == "backup"
        return self.login_step("backup", otp_token=token)

    def test_generated_backup_tokens_each_log_in_once(self):
        from django_otp.plugins.otp_static.models import StaticDevice

        key = b"12345678901234567890"
        self.totp_device(key)
        self.log_in_with_totp(key)
        response = self.client.post(reverse("two_factor:backup_tokens"))
        self.assertRedirects(
            response, reverse("two_factor:backup_tokens"), fetch_redirect_response=False
        )
        backup = StaticDevice.objects.get(user=self.user)
        tokens = [token.token for token in backup.token_set.all()]
        assert backup.name == "backup"
        assert len(tokens) == len(set(tokens)) == 10
        page = self.client.get(reverse("two_factor:backup_tokens")).content.decode()
        assert all(re.fullmatch(r"[a-z2-7]{8}", token) and token in page for token in tokens)
        self.client.logout()

        response = self.use_backup_token(tokens[0])

        self.assertRedirects(response, "/state/", fetch_redirect_response=False)
        assert self.state()["device"] == backup.persistent_id
        assert backup.token_set.count() == 9
        self.client.logout()
        response = self.use_backup_token(tokens[0])
        assert form_errors(response) == [INVALID_TOKEN]
        assert self.state()["verified"] is False
        self.client.logout()
        self.clock.tick(2)
        response = self.use_backup_token(tokens[1])
        self.assertRedirects(response, "/state/", fetch_redirect_response=False)

    def test_a_wrong_backup_code_throttles_only_the_backup_device(self):
        key = b"12345678901234567890"
        totp_device = self.totp_device(key)
        backup = self.user.staticdevice_set.create(name="backup")
        backup.token_set.create(token="a1b2c3d4")

        response = self.use_backup_token("zzzzzzzz")

        assert form_errors(response) == [INVALID_TOKEN]
        backup.refresh_from_db()
        totp_device.refresh_from_db()
        assert backup.throttling_failure_count == 1
        assert totp_device.throttling_failure_count == 0


class TestTwoFactorModules(TwoFactorTestCase):
    def test_modules_that_import_django_otp_import_cleanly(self):
        for name in [
            "two_factor.forms",
            "two_factor.views.core",
            "two_factor.views.profile",
            "two_factor.utils",
            "two_factor.plugins.email.method",
            "two_factor.management.commands.two_factor_disable",
        ]:
            assert importlib.import_module(name).__name__ == name

    def test_default_device_finds_the_device_named_default(self):
        from two_factor.utils import default_device

        device = self.totp_device(b"12345678901234567890")
        assert default_device(self.user) == device


@requires_two_factor
@requires_phonenumber_field
class TestPhonePluginMigrations(TestCase):
    """two-factor's PhoneDevice subclasses ``ThrottlingMixin`` and ``Device``; its migration
    encodes the fields they contribute, so any drift in them would show up as a change."""

    @classmethod
    def setUpClass(cls) -> None:
        enable_for_class(cls, override_settings(TWO_FACTOR_PATCH_ADMIN=False))
        enable_for_class(
            cls,
            modify_settings(
                INSTALLED_APPS={"append": ["two_factor", "two_factor.plugins.phonenumber"]}
            ),
        )
        from two_factor.plugins.phonenumber.models import PhoneDevice

        # Installing the app ran the admin's autodiscovery, which registered PhoneDevice.
        if admin.site.is_registered(PhoneDevice):
            cls.addClassCleanup(admin.site.unregister, PhoneDevice)
        super().setUpClass()

    def test_phone_plugin_models_agree_with_its_migrations(self):
        call_command("makemigrations", "phonenumber", check=True, dry_run=True, verbosity=0)


def _parameters(function: Any) -> list[tuple[str, Any]]:
    """``function``'s parameters as (name, default) pairs, ``self``/``cls`` left out."""
    return [
        (name, parameter.default)
        for name, parameter in inspect.signature(function).parameters.items()
        if name not in {"self", "cls"}
    ]


EMPTY = inspect.Parameter.empty


class TestNamesTheEcosystemUses:
    """Spec section 19: every name two-factor, django-otp-webauthn and other plugins import."""

    def test_package_root(self):
        from django_otp import login as otp_login

        assert DEVICE_ID_SESSION_KEY == "otp_device_id"
        assert _parameters(otp_login) == [("request", EMPTY), ("device", EMPTY)]
        assert _parameters(django_otp.devices_for_user) == [
            ("user", EMPTY),
            ("confirmed", True),
            ("for_verify", False),
        ]

    def test_decorators_and_forms(self):
        from django_otp.decorators import otp_required
        from django_otp.forms import OTPAuthenticationFormMixin

        assert _parameters(otp_required) == [
            ("view", None),
            ("redirect_field_name", "next"),
            ("login_url", None),
            ("if_configured", False),
            ("policy", None),  # added by django-otp-ng, after django-otp's parameters
        ]
        mixin = OTPAuthenticationFormMixin
        assert _parameters(mixin.clean_otp) == [("user", EMPTY)]
        assert _parameters(mixin._chosen_device) == [("user", EMPTY)]
        assert _parameters(mixin._verify_token) == [
            ("user", EMPTY),
            ("token", EMPTY),
            ("device", None),
        ]
        assert "invalid_token" in mixin.otp_error_messages

    def test_oath(self):
        assert _parameters(oath.totp) == [
            ("key", EMPTY),
            ("step", 30),
            ("t0", 0),
            ("digits", 6),
            ("drift", 0),
        ]
        assert callable(oath.time)
        key = b"12345678901234567890"
        assert oath.totp(key, 30, 0, 6, 0) == oath.hotp(key, int(oath.time()) // 30)

    def test_models(self):
        from django_otp.models import (
            Device,
            DeviceManager,
            SideChannelDevice,
            ThrottlingMixin,
            TimestampMixin,
        )

        for base in [Device, SideChannelDevice]:
            assert base._meta.abstract
            assert inspect.isclass(base.Meta)  # subclasses declare class Meta(Device.Meta)
        assert _parameters(Device.from_persistent_id) == [
            ("persistent_id", EMPTY),
            ("for_verify", False),
        ]
        assert isinstance(Device.persistent_id, property)
        assert _parameters(DeviceManager.devices_for_user) == [
            ("user", EMPTY),
            ("confirmed", None),
        ]
        manager = DeviceManager.from_queryset(models.QuerySet)()
        assert isinstance(manager, DeviceManager)
        for method in ["throttle_reset", "throttle_increment"]:
            assert _parameters(getattr(ThrottlingMixin, method)) == [("commit", True)]
        assert _parameters(ThrottlingMixin.verify_is_allowed) == []
        assert _parameters(ThrottlingMixin.get_throttle_factor) == []
        assert _parameters(TimestampMixin.set_last_used_timestamp) == [("commit", True)]
        assert _parameters(SideChannelDevice.generate_token) == [
            ("length", 6),
            ("valid_secs", 300),
            ("commit", True),
        ]

    def test_plugin_models(self):
        from django_otp.plugins.otp_email.models import EmailDevice
        from django_otp.plugins.otp_static.models import StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        assert isinstance(inspect.getattr_static(StaticToken, "random_token"), staticmethod)
        assert re.fullmatch(r"[a-z2-7]{8}", StaticToken.random_token())
        assert isinstance(TOTPDevice.bin_key, property)
        totp_fields = {field.name for field in TOTPDevice._meta.get_fields()}
        assert {"user", "key", "tolerance", "t0", "step", "drift", "digits", "name"} <= totp_fields
        assert "email" in {field.name for field in EmailDevice._meta.get_fields()}

    def test_util(self):
        from django_otp.util import hex_validator, random_hex

        assert _parameters(hex_validator) == [("length", 0)]
        assert _parameters(random_hex) == [("length", 20)]
        assert len(random_hex(20)) == 40
        with pytest.raises(Exception, match=r"b'xyz' is not valid hex-encoded data\."):
            hex_validator()(b"xyz")

    def test_test_utils(self):
        from django_otp import test_utils

        for name in [
            "OTPTestCaseMixin",
            "TestCase",
            "TransactionTestCase",
            "TimestampTestMixin",
            "ThrottlingTestMixin",
            "CooldownTestMixin",
        ]:
            assert inspect.isclass(getattr(test_utils, name)), name
        assert _parameters(test_utils.OTPTestCaseMixin.create_user) == [
            ("username", EMPTY),
            ("password", EMPTY),
            ("kwargs", EMPTY),
        ]
