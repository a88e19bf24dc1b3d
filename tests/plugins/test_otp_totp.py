"""Tests of the otp_totp plugin: the model, its verification, provisioning, admin, migrations."""

import datetime
import sys
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

import django_otp
from django_otp.models import VerifyNotAllowed
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
    default_key,
    drift_is_learnable,
    key_validator,
)
from tests.upstream import legacy_database, skip_without_upstream_db

RFC_KEY = b"12345678901234567890"
RFC_HEX_KEY = RFC_KEY.hex()
#: RFC 6238, appendix B (SHA-1, 8 digits): Unix time -> (time step, code).
RFC_CODES = {
    59: (1, 94287082),
    1111111109: (37037036, 7081804),
    1111111111: (37037037, 14050471),
    1234567890: (41152263, 89005924),
    2000000000: (66666666, 69279037),
}
#: A moment 5 seconds into time step T (step 30, t0 0).
T = 56666667
NOW = T * 30 + 5
#: The database made by django-otp 1.7.5, in the spec folder next to the checkout.


def code(step, digits=6):
    """The token of time step ``step`` for the RFC key."""
    return hotp(RFC_KEY, step, digits)


def at(unix_time):
    return freeze_time(datetime.datetime.fromtimestamp(unix_time, datetime.timezone.utc))


class TOTPTestCase(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice", password="password")
        self.device = self.user.totpdevice_set.create(name="phone", key=RFC_HEX_KEY)

    def reload(self):
        return TOTPDevice.objects.get(pk=self.device.pk)


class ModuleFunctionTests(TestCase):
    def test_default_key_is_20_random_bytes_in_hex(self):
        keys = {default_key() for _ in range(20)}
        assert len(keys) == 20
        assert all(len(bytes.fromhex(key)) == 20 for key in keys)

    def test_key_validator(self):
        for value in ["", "00", RFC_HEX_KEY]:
            key_validator(value)
        with self.assertRaisesMessage(ValidationError, "b'0' is not valid hex-encoded data."):
            key_validator("0")

    def test_drift_rule(self):
        # Within the tolerance around zero: learned.
        assert drift_is_learnable(1, 0, 1)
        assert drift_is_learnable(-2, -1, 2)
        # Beyond it: not learned.
        assert not drift_is_learnable(2, 1, 1)
        assert not drift_is_learnable(-2, -1, 1)
        # A larger stored drift may shrink towards zero but never grow.
        assert drift_is_learnable(4, 5, 1)
        assert drift_is_learnable(-4, -5, 1)
        assert not drift_is_learnable(6, 5, 1)
        assert not drift_is_learnable(-6, -5, 1)


class FieldTests(TestCase):
    def test_fields_match_django_otp(self):
        expected = {
            "key": (
                "CharField",
                {
                    "max_length": 80,
                    "default": default_key,
                    "validators": [key_validator],
                    "help_text": "A hex-encoded secret key of up to 40 bytes.",
                },
            ),
            "step": (
                "PositiveSmallIntegerField",
                {"default": 30, "help_text": "The time step in seconds."},
            ),
            "t0": (
                "BigIntegerField",
                {"default": 0, "help_text": "The Unix time at which to begin counting steps."},
            ),
            "digits": (
                "PositiveSmallIntegerField",
                {
                    "choices": [(6, 6), (8, 8)],
                    "default": 6,
                    "help_text": "The number of digits to expect in a token.",
                },
            ),
            "tolerance": (
                "PositiveSmallIntegerField",
                {
                    "default": 1,
                    "help_text": "The number of time steps in the past or future to allow.",
                },
            ),
            "drift": (
                "SmallIntegerField",
                {
                    "default": 0,
                    "help_text": "The number of time steps the prover is known to deviate "
                    "from our clock.",
                },
            ),
            "last_t": (
                "BigIntegerField",
                {
                    "default": -1,
                    "help_text": "The t value of the latest verified token. The next token "
                    "must be at a higher time step.",
                },
            ),
        }
        for name, (field_class, kwargs) in expected.items():
            with self.subTest(field=name):
                _, path, _, actual = TOTPDevice._meta.get_field(name).deconstruct()
                assert path == f"django.db.models.{field_class}"
                assert actual == kwargs

    def test_meta_and_bases(self):
        assert TOTPDevice._meta.verbose_name == "TOTP device"
        assert TOTPDevice._meta.db_table == "otp_totp_totpdevice"
        # The spec's bases, in its order (so cooperative super() calls run as in django-otp),
        # after the mixin that keeps the key encrypted at rest.
        assert [base.__name__ for base in TOTPDevice.__bases__] == [
            "SecretKeyMixin",
            "TimestampMixin",
            "ThrottlingMixin",
            "Device",
        ]

    def test_bin_key(self):
        assert TOTPDevice(key=RFC_HEX_KEY).bin_key == RFC_KEY

    def test_throttle_factor_is_read_from_settings_at_call_time(self):
        device = TOTPDevice()
        with override_settings(OTP_TOTP_THROTTLE_FACTOR=10):
            assert device.get_throttle_factor() == 10
        with override_settings():
            del settings.OTP_TOTP_THROTTLE_FACTOR
            assert device.get_throttle_factor() == 1

    def test_read_str_from_settings(self):
        device = TOTPDevice(name="phone")
        with override_settings(OTP_TOTP_ISSUER="Example"):
            assert device._read_str_from_settings("OTP_TOTP_ISSUER") == "Example"
        with override_settings(OTP_TOTP_ISSUER=lambda d: d.name.upper()):
            assert device._read_str_from_settings("OTP_TOTP_ISSUER") == "PHONE"
        for value in ["", None, 3, lambda d: ""]:
            with override_settings(OTP_TOTP_ISSUER=value):
                assert device._read_str_from_settings("OTP_TOTP_ISSUER") is None
        assert device._read_str_from_settings("OTP_NOT_A_SETTING") is None


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
class VerifyTokenTests(TOTPTestCase):
    def test_rfc_codes(self):
        for unix_time, (step, token) in RFC_CODES.items():
            with self.subTest(time=unix_time), at(unix_time):
                device = self.user.totpdevice_set.create(
                    name=str(unix_time), key=RFC_HEX_KEY, digits=8, tolerance=0
                )
                assert device.verify_token(token) is True
                assert TOTPDevice.objects.get(pk=device.pk).last_t == step

    def test_six_and_eight_digits(self):
        for digits in [6, 8]:
            with self.subTest(digits=digits), at(NOW):
                device = self.user.totpdevice_set.create(key=RFC_HEX_KEY, digits=digits)
                other = 8 if digits == 6 else 6
                assert device.verify_token(code(T, other)) is False
                assert device.verify_token(code(T, digits)) is True

    def test_same_code_twice_fails(self):
        with at(NOW):
            assert self.device.verify_token(code(T)) is True
            assert self.device.verify_token(code(T)) is False
        with at(NOW + 20):  # still in step T
            assert self.device.verify_token(code(T)) is False
        assert self.reload().last_t == T

    def test_earlier_step_fails_after_a_later_one(self):
        with at(NOW):
            assert self.device.verify_token(code(T)) is True
            assert self.device.verify_token(code(T - 1)) is False
            assert self.device.verify_token(code(T + 1)) is True
            assert self.device.verify_token(code(T)) is False
        assert self.reload().last_t == T + 1

    def test_stale_instance_cannot_reuse_a_code(self):
        stale = self.reload()
        with at(NOW):
            assert self.device.verify_token(code(T)) is True
            assert stale.verify_token(code(T)) is False
            assert stale.verify_token(code(T - 1)) is False
        assert self.reload().last_t == T

    def test_upper_edge_of_the_window_learns_drift(self):
        with at(NOW):
            assert self.device.verify_token(code(T + 2)) is False
            assert self.device.verify_token(code(T + 1)) is True
        device = self.reload()
        assert (device.drift, device.last_t) == (1, T + 1)
        # The window now follows the prover's clock: T .. T + 2 in the same step.
        with at(NOW + 30):
            assert device.verify_token(code(T + 3)) is True

    def test_lower_edge_of_the_window_learns_drift(self):
        with at(NOW):
            assert self.device.verify_token(code(T - 2)) is False
            assert self.device.verify_token(code(T - 1)) is True
        device = self.reload()
        assert (device.drift, device.last_t) == (-1, T - 1)
        with at(NOW + 30):
            assert device.verify_token(code(T - 1)) is False
            assert device.verify_token(code(T)) is True

    def test_no_sync(self):
        with override_settings(OTP_TOTP_SYNC=False), at(NOW):
            assert self.device.verify_token(code(T + 1)) is True
        device = self.reload()
        assert (device.drift, device.last_t) == (0, T + 1)

    def test_drift_is_bounded_by_the_tolerance(self):
        # Each step, the prover runs one more step ahead: django-otp let the drift follow it
        # for ever; here it stops at the tolerance, so the prover falls out of the window.
        for n in range(4):
            with self.subTest(step=n), at(NOW + 30 * n):
                device = self.reload()
                accepted = device.verify_token(code(T + n + n + 1))
                assert accepted is (n < 2)
                assert self.reload().drift == min(n + 1, 1)

    def test_repeated_edge_matches_stay_within_twice_the_tolerance(self):
        for n in range(5):
            with self.subTest(step=n), at(NOW + 30 * n):
                device = self.reload()
                assert device.verify_token(code(T + n + 3)) is False
                assert device.verify_token(code(T + n + device.drift + 1)) is True
                assert self.reload().drift == 1

    def test_stored_drift_beyond_tolerance_shrinks_but_never_grows(self):
        self.device.drift = 5
        self.device.save()
        with at(NOW):
            assert self.device.verify_token(code(T + 6)) is True
            assert self.reload().drift == 5
        with at(NOW + 90):
            assert self.device.verify_token(code(T + 3 + 4)) is True
            assert self.reload().drift == 4

    def test_zero_tolerance(self):
        self.device.tolerance = 0
        self.device.save()
        with at(NOW):
            assert self.device.verify_token(code(T + 1)) is False
            assert self.device.verify_token(code(T - 1)) is False
            assert self.device.verify_token(code(T)) is True

    def test_larger_tolerance(self):
        self.device.tolerance = 3
        self.device.save()
        with at(NOW):
            assert self.device.verify_token(code(T - 4)) is False
            assert self.device.verify_token(code(T - 3)) is True
            assert self.reload().drift == -3

    def test_custom_step_and_t0(self):
        self.device.step, self.device.t0 = 60, 1000
        self.device.save()
        step = (NOW - 1000) // 60
        with at(NOW):
            assert self.device.verify_token(code(step)) is True
        assert self.reload().last_t == step

    def test_t0_in_the_future(self):
        self.device.t0 = NOW + 10
        self.device.save()
        with at(NOW):
            # The current step is -1; steps below zero do not exist, so only step 0 (within
            # the tolerance) can match.
            assert self.device.verify_token(code(0)) is True
        assert self.reload().last_t == 0

    def test_t0_far_in_the_future_never_verifies(self):
        self.device.t0 = NOW + 86400
        self.device.save()
        with at(NOW):
            for step in [0, 1, 2**32]:
                assert self.device.verify_token(code(step)) is False
        assert self.reload().last_t == -1

    def test_time_is_read_at_call_time(self):
        with at(NOW):
            token = code(T)
        with at(NOW + 3600):
            assert self.device.verify_token(token) is False
        with at(NOW):
            assert self.device.verify_token(token) is True

    def test_accepted_input_forms(self):
        forms = [int, str, lambda c: f" {str(c)[:3]} {str(c)[3:]}\n", self.full_width]
        for n, form in enumerate(forms):
            with self.subTest(form=n), at(NOW + 30 * n):
                assert self.device.verify_token(form(code(T + n))) is True

    @staticmethod
    def full_width(number):
        return "".join(chr(0xFF10 + int(digit)) for digit in str(number).zfill(6))

    def test_leading_zero_may_be_omitted(self):
        unix_time = 1111111109
        for token in ["07081804", "7081804", 7081804]:
            with self.subTest(token=token), at(unix_time):
                device = self.user.totpdevice_set.create(key=RFC_HEX_KEY, digits=8)
                assert device.verify_token(token) is True

    def test_malformed_input_fails_without_raising(self):
        token = str(code(T))
        with at(NOW):
            for bad in [
                "+" + token,
                token[:3] + "_" + token[3:],
                "-" + token,
                token + "0",
                token * 1000,
                "",
                None,
                [token],
                {"token": token},
                1.5,
            ]:
                with self.subTest(token=repr(bad)[:20]):
                    assert self.device.verify_token(bad) is False
        assert self.reload().last_t == -1

    def test_success_sets_last_used_at_and_failure_does_not(self):
        with at(NOW):
            assert self.device.verify_token(code(T + 5)) is False
            assert self.reload().last_used_at is None
            assert self.device.verify_token(code(T)) is True
            assert self.reload().last_used_at == timezone.now()

    def test_empty_key_never_verifies(self):
        self.device.key = ""
        self.device.save()
        with at(NOW):
            assert self.device.verify_token(hotp(b"", T)) is False

    def test_invalid_stored_key_never_verifies(self):
        TOTPDevice.objects.filter(pk=self.device.pk).update(key="zz")
        with at(NOW):
            assert self.reload().verify_token(code(T)) is False

    def test_zero_step_never_verifies(self):
        self.device.step = 0
        self.device.save()
        with at(NOW):
            assert self.device.verify_token(code(T)) is False

    def test_digits_outside_the_usable_range_never_verify(self):
        for digits in [0, 1, 5]:
            with self.subTest(digits=digits):
                self.device.digits = digits
                self.device.save()
                with at(NOW):
                    assert self.device.verify_token(code(T, digits)) is False

    def test_root_verify_token(self):
        with at(NOW):
            pid = self.device.persistent_id
            assert django_otp.verify_token(self.user, pid, code(T)) == self.device
            assert django_otp.verify_token(self.user, pid, code(T)) is None


class ThrottlingTests(TOTPTestCase):
    """Throttling through the shared path, with ``OTP_TOTP_THROTTLE_FACTOR = 1``."""

    def test_malformed_input_counts_as_a_failure(self):
        with at(NOW):
            for token in ["+123456", "123_456", "1" * 5000, None, ["123456"]]:
                with self.subTest(token=repr(token)[:20]):
                    self.device.throttle_reset()
                    assert self.device.verify_token(token) is False
                    assert self.reload().throttling_failure_count == 1

    def test_replay_counts_as_a_failure(self):
        with at(NOW) as clock:
            assert self.device.verify_token(code(T)) is True
            assert self.device.verify_token(code(T)) is False
            assert self.reload().throttling_failure_count == 1
            clock.tick(1.1)
            assert self.device.verify_token(code(T + 1)) is True

    def test_delay_imposed_after_failure(self):
        with at(NOW) as clock:
            assert self.device.verify_token(code(T + 5)) is False
            assert self.device.verify_token(code(T)) is False
            clock.tick(0.9)
            assert self.device.verify_token(code(T)) is False
        assert self.reload().last_t == -1

    def test_failure_count_stays_at_one_while_locked(self):
        with at(NOW):
            for _ in range(5):
                assert self.device.verify_token(code(T + 5)) is False
                assert self.reload().throttling_failure_count == 1

    def test_delay_expires(self):
        with at(NOW) as clock:
            assert self.device.verify_token(code(T + 5)) is False
            clock.tick(1.1)
            assert self.device.verify_token(code(T)) is True
        assert self.reload().throttling_failure_count == 0

    def test_verify_is_allowed(self):
        with at(NOW) as clock:
            assert self.device.verify_is_allowed() == (True, None)
            self.device.verify_token(code(T + 5))
            device = self.reload()
            assert device.verify_is_allowed() == (
                False,
                {
                    "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                    "failure_count": 1,
                    "locked_until": timezone.now() + datetime.timedelta(seconds=1),
                },
            )
            clock.tick(1.1)
            assert device.verify_token(code(T)) is True
            assert device.verify_is_allowed() == (True, None)

    @override_settings(OTP_TOTP_THROTTLE_FACTOR=10)
    def test_factor_ten_accepts_again_exactly_ten_seconds_later(self):
        with at(NOW) as clock:
            assert self.device.verify_token(code(T + 5)) is False
            clock.tick(9.9)
            assert self.device.verify_token(code(T)) is False
            clock.tick(0.1)
            assert self.device.verify_token(code(T)) is True


class ConfigUrlTests(TOTPTestCase):
    def test_without_issuer(self):
        assert self.device.config_url == (
            "otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&algorithm=SHA1&digits=6&period=30"
        )

    @override_settings(OTP_TOTP_ISSUER="Ex: Corp/1", OTP_TOTP_IMAGE="https://x.test/a b.png?q=1")
    def test_spec_example(self):
        user = get_user_model().objects.create_user("al ice/x@y")
        device = user.totpdevice_set.create(name="phone", key="0102030405")
        assert device.config_url == (
            "otpauth://totp/Ex%20Corp/1%3Aal%20ice/x%40y?secret=AEBAGBAF&algorithm=SHA1"
            "&digits=6&period=30&issuer=Ex%20Corp/1&image=https://x.test/a%20b.png%3Fq%3D1"
        )

    @override_settings(
        OTP_TOTP_ISSUER=lambda device: f"Site {device.user.username}",
        OTP_TOTP_IMAGE=lambda device: f"https://x.test/{device.name}.png",
    )
    def test_callable_issuer_and_image(self):
        self.device.step, self.device.digits = 60, 8
        assert self.device.config_url == (
            "otpauth://totp/Site%20alice%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&algorithm=SHA1&digits=8&period=60&issuer=Site%20alice"
            "&image=https://x.test/phone.png"
        )

    @override_settings(OTP_TOTP_IMAGE="https://x.test/i.png")
    def test_image_without_issuer(self):
        assert self.device.config_url.endswith("&period=30&image=https://x.test/i.png")

    def test_short_key_keeps_padding(self):
        self.device.key = "01020304050607"
        assert "?secret=AEBAGBAFAYDQ%3D%3D%3D%3D&algorithm" in self.device.config_url


@override_settings(ROOT_URLCONF="tests.plugins.urls")
class AdminTests(TOTPTestCase):
    def setUp(self):
        super().setUp()
        self.admin = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
        self.client.force_login(self.admin)

    def url(self, name, *args):
        return reverse(f"admin:otp_totp_totpdevice_{name}", args=args)

    def test_changelist_shows_qrcode_link(self):
        response = self.client.get(self.url("changelist"))
        assert response.status_code == 200
        self.assertContains(response, f'<a href="{self.url("config", self.device.pk)}">qrcode</a>')

    def test_search_by_username(self):
        bob = get_user_model().objects.create_user("bob")
        bob.totpdevice_set.create(name="bobs-phone")
        response = self.client.get(self.url("changelist"), {"q": "bob"})
        self.assertContains(response, "bobs-phone")
        self.assertNotContains(response, "phone (alice)")

    def test_user_is_picked_with_autocomplete_where_users_are_searchable(self):
        response = self.client.get(self.url("change", self.device.pk))
        widget = response.context["adminform"].form.fields["user"].widget
        assert type(widget).__name__ == "AutocompleteSelect"
        self.assertContains(response, "admin-autocomplete")

    def test_user_is_a_raw_id_where_the_site_cannot_search_users(self):
        url = reverse("otheradmin:otp_totp_totpdevice_change", args=[self.device.pk])
        response = self.client.get(url)
        widget = response.context["adminform"].form.fields["user"].widget
        assert type(widget).__name__ == "ForeignKeyRawIdWidget"

    def test_change_form_fieldsets(self):
        response = self.client.get(self.url("change", self.device.pk))
        assert response.status_code == 200
        self.assertContains(response, RFC_HEX_KEY)
        fieldsets = response.context["adminform"].model_admin.get_fieldsets(
            response.wsgi_request, self.device
        )
        assert [fields["fields"] for _, fields in fieldsets] == [
            ["user", "name", "confirmed"],
            ["created_at", "last_used_at"],
            ["key", "step", "t0", "digits", "tolerance"],
            ["drift"],
            ["throttling_failure_timestamp", "throttling_failure_count"],
            ["qrcode_link"],
        ]

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_change_form_hides_key(self):
        response = self.client.get(self.url("change", self.device.pk))
        assert response.status_code == 200
        self.assertNotContains(response, RFC_HEX_KEY)
        fieldsets = response.context["adminform"].model_admin.get_fieldsets(
            response.wsgi_request, self.device
        )
        assert fieldsets[2][1]["fields"] == ["step", "t0", "digits", "tolerance"]
        assert len(fieldsets) == 5

    def test_config_page(self):
        response = self.client.get(self.url("config", self.device.pk))
        assert response.status_code == 200
        self.assertTemplateUsed(response, "otp_totp/admin/config.html")
        self.assertContains(response, self.url("qrcode", self.device.pk))
        self.assertContains(response, "otpauth://totp/alice?secret=")
        self.assertContains(response, "otp_totp/js/qrcode.js")

    def test_qrcode_is_svg(self):
        response = self.client.get(self.url("qrcode", self.device.pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"<svg" in response.content

    def test_qrcode_without_a_qr_library_is_503(self):
        with mock.patch.dict(sys.modules, {"qrcode": None, "segno": None}):
            response = self.client.get(self.url("qrcode", self.device.pk))
        assert response.status_code == 503

    def test_another_admin_site_links_within_itself(self):
        config = reverse("otheradmin:otp_totp_totpdevice_config", args=[self.device.pk])
        qrcode = reverse("otheradmin:otp_totp_totpdevice_qrcode", args=[self.device.pk])
        assert config.startswith("/other/")
        response = self.client.get(reverse("otheradmin:otp_totp_totpdevice_changelist"))
        self.assertContains(response, f'<a href="{config}">qrcode</a>')
        response = self.client.get(config)
        self.assertContains(response, f'src="{qrcode}"')
        assert self.client.get(qrcode).status_code == 200

    def test_unknown_pk_is_404(self):
        for name in ["config", "qrcode"]:
            with self.subTest(name):
                assert self.client.get(self.url(name, self.device.pk + 1000)).status_code == 404

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_hidden_sensitive_data_is_403(self):
        for name in ["config", "qrcode"]:
            with self.subTest(name):
                assert self.client.get(self.url(name, self.device.pk)).status_code == 403

    def test_staff_with_view_permission_may_see_the_qrcode(self):
        from django.contrib.auth.models import Permission

        staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_totpdevice"))
        self.client.force_login(staff)
        assert self.client.get(self.url("qrcode", self.device.pk)).status_code == 200


class MigrationTests(TestCase):
    def test_models_and_migrations_agree(self):
        call_command(
            "makemigrations", "otp_hotp", "otp_totp", check=True, dry_run=True, verbosity=0
        )

    @skip_without_upstream_db
    def test_database_made_by_django_otp_is_already_migrated(self):
        with legacy_database() as legacy:
            executor = MigrationExecutor(legacy)
            applied = {
                name for app, name in executor.loader.applied_migrations if app == "otp_totp"
            }
            assert applied == {"0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"}
            assert executor.migration_plan([("otp_totp", "0003_add_timestamps")]) == []
            executor.migrate(
                [node for node in executor.loader.graph.leaf_nodes() if node[0] == "otp_totp"]
            )
            with legacy.cursor() as cursor:
                columns = {
                    column.name
                    for column in legacy.introspection.get_table_description(
                        cursor, "otp_totp_totpdevice"
                    )
                }
                cursor.execute(
                    "SELECT name, confirmed, key, step, t0, digits, tolerance, drift, last_t"
                    " FROM otp_totp_totpdevice ORDER BY id"
                )
                rows = cursor.fetchall()
        assert columns == {field.column for field in TOTPDevice._meta.concrete_fields}
        assert [row[0] for row in rows] == ["phone", "authenticator"]
        user = get_user_model().objects.create_user("alice")
        names = ["name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t"]
        device = TOTPDevice.objects.create(user=user, **dict(zip(names, rows[0], strict=True)))
        assert device.key == RFC_HEX_KEY
        with at(NOW):
            assert device.verify_token(code(T)) is True
