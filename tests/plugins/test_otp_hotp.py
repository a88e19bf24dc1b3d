"""Tests of the otp_hotp plugin: the model, its verification, provisioning, admin, migrations."""

import datetime
import sys
from unittest import mock

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
from django_otp.plugins.otp_hotp.models import HOTPDevice, default_key, key_validator
from tests.upstream import legacy_database, skip_without_upstream_db

RFC_KEY = b"12345678901234567890"
RFC_HEX_KEY = RFC_KEY.hex()
#: RFC 4226, appendix D: HOTP values of RFC_KEY for counters 0 to 9.
RFC_CODES = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489]
#: A counter whose 6-digit code has a leading zero ("026920").
LEADING_ZERO_COUNTER, LEADING_ZERO_CODE = 30, "026920"
#: The database made by django-otp 1.7.5, in the spec folder next to the checkout.


class HOTPTestCase(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice", password="password")
        self.device = self.user.hotpdevice_set.create(name="token", key=RFC_HEX_KEY)

    def reload(self):
        return HOTPDevice.objects.get(pk=self.device.pk)


class ModuleFunctionTests(TestCase):
    def test_default_key_is_20_random_bytes_in_hex(self):
        keys = {default_key() for _ in range(20)}
        assert len(keys) == 20
        for key in keys:
            assert len(key) == 40
            assert len(bytes.fromhex(key)) == 20

    def test_key_validator_accepts_even_length_hex_including_empty(self):
        for value in ["", "00", RFC_HEX_KEY, "ABCDEF"]:
            key_validator(value)

    def test_key_validator_rejects_non_hex(self):
        with self.assertRaisesMessage(ValidationError, "b'xyz' is not valid hex-encoded data."):
            key_validator("xyz")

    def test_new_device_gets_a_fresh_default_key(self):
        user = get_user_model().objects.create_user("bob")
        first, second = HOTPDevice(user=user), HOTPDevice(user=user)
        assert len(first.key) == 40
        assert first.key != second.key


class FieldTests(TestCase):
    def test_fields_match_django_otp(self):
        expected = {
            "key": {
                "max_length": 80,
                "default": default_key,
                "validators": [key_validator],
                "help_text": "A hex-encoded secret key of up to 40 bytes.",
            },
            "digits": {
                "choices": [(6, 6), (8, 8)],
                "default": 6,
                "help_text": "The number of digits to expect in a token.",
            },
            "tolerance": {"default": 5, "help_text": "The number of missed tokens to tolerate."},
            "counter": {"default": 0, "help_text": "The next counter value to expect."},
        }
        classes = {
            "key": "django.db.models.CharField",
            "digits": "django.db.models.PositiveSmallIntegerField",
            "tolerance": "django.db.models.PositiveSmallIntegerField",
            "counter": "django.db.models.BigIntegerField",
        }
        for name, kwargs in expected.items():
            with self.subTest(field=name):
                _, path, _, actual = HOTPDevice._meta.get_field(name).deconstruct()
                assert path == classes[name]
                assert actual == kwargs

    def test_meta_and_bases(self):
        assert HOTPDevice._meta.verbose_name == "HOTP device"
        assert HOTPDevice._meta.verbose_name_plural == "HOTP devices"
        assert HOTPDevice._meta.db_table == "otp_hotp_hotpdevice"
        # The spec's bases, in its order (so cooperative super() calls run as in django-otp),
        # after the mixin that keeps the key encrypted at rest.
        assert [base.__name__ for base in HOTPDevice.__bases__] == [
            "SecretKeyMixin",
            "TimestampMixin",
            "ThrottlingMixin",
            "Device",
        ]

    def test_bin_key(self):
        assert HOTPDevice(key=RFC_HEX_KEY).bin_key == RFC_KEY

    def test_not_interactive(self):
        assert HOTPDevice().is_interactive() is False

    @override_settings(OTP_HOTP_THROTTLE_FACTOR=7)
    def test_throttle_factor_is_read_from_settings_at_call_time(self):
        device = HOTPDevice()
        assert device.get_throttle_factor() == 7
        with override_settings(OTP_HOTP_THROTTLE_FACTOR=0):
            assert device.get_throttle_factor() == 0
            assert device.throttling_enabled is False

    def test_throttle_factor_default(self):
        with override_settings():
            from django.conf import settings

            del settings.OTP_HOTP_THROTTLE_FACTOR
            assert HOTPDevice().get_throttle_factor() == 1


@override_settings(OTP_HOTP_THROTTLE_FACTOR=0)
class VerifyTokenTests(HOTPTestCase):
    def test_rfc_codes_in_order(self):
        for counter, code in enumerate(RFC_CODES):
            with self.subTest(counter=counter):
                assert self.device.verify_token(code) is True
                assert self.reload().counter == counter + 1

    def test_eight_digit_code(self):
        self.device.digits = 8
        self.device.save()
        assert self.device.verify_token(755224) is False
        assert self.device.verify_token(84755224) is True
        assert self.reload().counter == 1

    def test_same_code_twice_fails(self):
        assert self.device.verify_token(RFC_CODES[0]) is True
        assert self.device.verify_token(RFC_CODES[0]) is False
        assert self.reload().counter == 1

    def test_resynchronises_within_tolerance(self):
        # Counter 0, tolerance 5: counters 0 to 5 are acceptable.
        assert self.device.verify_token(RFC_CODES[5]) is True
        device = self.reload()
        assert device.counter == 6
        # Codes that were skipped are gone for good.
        for code in RFC_CODES[:6]:
            assert device.verify_token(code) is False
        assert device.verify_token(RFC_CODES[6]) is True

    def test_code_past_tolerance_fails(self):
        assert self.device.verify_token(RFC_CODES[6]) is False
        assert self.reload().counter == 0

    def test_zero_tolerance_accepts_only_the_next_counter(self):
        self.device.tolerance = 0
        self.device.save()
        assert self.device.verify_token(RFC_CODES[1]) is False
        assert self.device.verify_token(RFC_CODES[0]) is True

    def test_stale_instance_cannot_reuse_a_code(self):
        stale = self.reload()
        assert self.device.verify_token(RFC_CODES[2]) is True
        # The stale copy still believes the counter is 0, but the database says 3.
        assert stale.verify_token(RFC_CODES[2]) is False
        assert stale.verify_token(RFC_CODES[1]) is False
        assert self.reload().counter == 3

    def test_stale_instance_may_use_a_later_code(self):
        stale = self.reload()
        assert self.device.verify_token(RFC_CODES[0]) is True
        assert stale.verify_token(RFC_CODES[1]) is True
        assert self.reload().counter == 2

    def test_accepted_input_forms(self):
        forms = {
            "int": RFC_CODES[0],
            "str": str(RFC_CODES[1]),
            "inner space": "359 152",
            "surrounding whitespace": " 969429\n",
            "full-width digits": "".join(chr(0xFF10 + int(digit)) for digit in "338314"),
        }
        for counter, (label, token) in enumerate(forms.items()):
            with self.subTest(label):
                assert self.device.verify_token(token) is True
                assert self.reload().counter == counter + 1

    def test_leading_zero_may_be_omitted(self):
        for token in [LEADING_ZERO_CODE, LEADING_ZERO_CODE.lstrip("0"), int(LEADING_ZERO_CODE)]:
            with self.subTest(token=token):
                self.device.counter = LEADING_ZERO_COUNTER
                self.device.save()
                assert self.device.verify_token(token) is True

    def test_malformed_input_fails_without_raising(self):
        code = str(RFC_CODES[0])
        for token in ["+" + code, "755_224", "-755224", "7552240", code * 1000, "", None, [code]]:
            with self.subTest(token=repr(token)[:20]):
                assert self.device.verify_token(token) is False
        assert self.reload().counter == 0

    def test_success_sets_last_used_at_and_failure_does_not(self):
        with freeze_time("2030-01-01 12:00:00"):
            assert self.device.verify_token(999999) is False
            assert self.reload().last_used_at is None
            assert self.device.verify_token(RFC_CODES[0]) is True
            assert self.reload().last_used_at == timezone.now()

    def test_empty_key_never_verifies(self):
        self.device.key = ""
        self.device.save()
        assert self.device.verify_token(hotp(b"", 0)) is False

    def test_invalid_stored_key_never_verifies(self):
        HOTPDevice.objects.filter(pk=self.device.pk).update(key="not hex")
        assert self.reload().verify_token(RFC_CODES[0]) is False

    def test_digits_outside_the_usable_range_never_verify(self):
        for digits in [0, 4, 5]:
            with self.subTest(digits=digits):
                self.device.digits = digits
                self.device.save()
                assert self.device.verify_token(hotp(RFC_KEY, 0, digits)) is False

    def test_negative_counter_starts_at_zero(self):
        self.device.counter = -3
        self.device.save()
        assert self.device.verify_token(RFC_CODES[0]) is True
        assert self.reload().counter == 1

    def test_counter_at_the_top_of_the_range(self):
        top = 2**63 - 2
        self.device.counter = top
        self.device.save()
        assert self.device.verify_token(hotp(RFC_KEY, top)) is True
        assert self.reload().counter == 2**63 - 1
        assert self.reload().verify_token(hotp(RFC_KEY, top)) is False

    def test_root_verify_token(self):
        assert django_otp.verify_token(self.user, self.device.persistent_id, RFC_CODES[0])
        assert django_otp.verify_token(self.user, self.device.persistent_id, RFC_CODES[0]) is None

    def test_match_token(self):
        assert django_otp.match_token(self.user, RFC_CODES[0]) == self.device


class ThrottlingTests(HOTPTestCase):
    """Throttling through the shared path, with ``OTP_HOTP_THROTTLE_FACTOR = 1``."""

    def test_malformed_input_counts_as_a_failure(self):
        for token in ["+755224", "755_224", "1" * 5000, None, ["755224"]]:
            with self.subTest(token=repr(token)[:20]):
                self.device.throttle_reset()
                assert self.device.verify_token(token) is False
                assert self.reload().throttling_failure_count == 1

    def test_delay_imposed_after_failure(self):
        with freeze_time() as clock:
            assert self.device.verify_token(999999) is False
            assert self.device.verify_token(RFC_CODES[0]) is False
            clock.tick(0.9)
            assert self.device.verify_token(RFC_CODES[0]) is False
        assert self.reload().counter == 0

    def test_failure_count_stays_at_one_while_locked(self):
        with freeze_time():
            for _ in range(5):
                assert self.device.verify_token(999999) is False
                assert self.reload().throttling_failure_count == 1

    def test_delay_expires(self):
        with freeze_time() as clock:
            assert self.device.verify_token(999999) is False
            clock.tick(1.1)
            assert self.device.verify_token(RFC_CODES[0]) is True
        device = self.reload()
        assert device.throttling_failure_count == 0
        assert device.throttling_failure_timestamp is None

    def test_delay_doubles(self):
        with freeze_time() as clock:
            assert self.device.verify_token(999999) is False
            clock.tick(1.1)
            assert self.device.verify_token(999999) is False
            assert self.reload().throttling_failure_count == 2
            clock.tick(1.9)
            assert self.device.verify_token(RFC_CODES[0]) is False
            clock.tick(0.2)
            assert self.device.verify_token(RFC_CODES[0]) is True

    def test_verify_is_allowed(self):
        with freeze_time() as clock:
            assert self.device.verify_is_allowed() == (True, None)
            self.device.verify_token(999999)
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
            assert device.verify_token(RFC_CODES[0]) is True
            assert device.verify_is_allowed() == (True, None)

    @override_settings(OTP_HOTP_THROTTLE_FACTOR=0)
    def test_factor_zero_disables_throttling(self):
        with freeze_time():
            assert self.device.verify_token(999999) is False
            assert self.device.verify_token(RFC_CODES[0]) is True


class ConfigUrlTests(HOTPTestCase):
    def test_without_issuer(self):
        assert self.device.config_url == (
            "otpauth://hotp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&algorithm=SHA1&digits=6&counter=0"
        )

    @override_settings(OTP_HOTP_ISSUER="Ex Corp")
    def test_spec_example(self):
        user = get_user_model().objects.create_user("al ice/x@y")
        device = user.hotpdevice_set.create(name="token")
        secret = device.config_url.split("secret=")[1].split("&")[0]
        assert len(secret) == 32
        assert device.config_url == (
            f"otpauth://hotp/Ex%20Corp%3Aal%20ice/x%40y?secret={secret}"
            "&algorithm=SHA1&digits=6&counter=0&issuer=Ex%20Corp"
        )

    @override_settings(OTP_HOTP_ISSUER=lambda device: f"Issuer: {device.name}")
    def test_callable_issuer_loses_its_colon(self):
        self.device.counter, self.device.digits = 7, 8
        assert self.device.config_url.endswith("&digits=8&counter=7&issuer=Issuer%20token")
        assert self.device.config_url.startswith("otpauth://hotp/Issuer%20token%3Aalice?")

    def test_issuer_that_is_not_a_non_empty_string_is_ignored(self):
        for issuer in ["", 42, lambda device: None, lambda device: b"bytes"]:
            with self.subTest(issuer=issuer), override_settings(OTP_HOTP_ISSUER=issuer):
                assert "issuer" not in self.device.config_url
                assert self.device.config_url.startswith("otpauth://hotp/alice?")

    def test_short_key_keeps_padding(self):
        self.device.key = "010203"
        assert "?secret=AEBAG%3D%3D%3D&algorithm" in self.device.config_url

    def test_username_is_coerced_to_str(self):
        with mock.patch.object(type(self.user), "get_username", return_value=42):
            assert self.device.config_url.startswith("otpauth://hotp/42?")


@override_settings(ROOT_URLCONF="tests.plugins.urls")
class AdminTests(HOTPTestCase):
    def setUp(self):
        super().setUp()
        self.admin = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
        self.client.force_login(self.admin)

    def url(self, name, *args):
        return reverse(f"admin:otp_hotp_hotpdevice_{name}", args=args)

    def test_changelist_shows_qrcode_link(self):
        response = self.client.get(self.url("changelist"))
        assert response.status_code == 200
        self.assertContains(response, f'<a href="{self.url("config", self.device.pk)}">qrcode</a>')

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_changelist_hides_qrcode_link(self):
        response = self.client.get(self.url("changelist"))
        assert response.status_code == 200
        self.assertNotContains(response, "qrcode")

    def test_search_by_username(self):
        bob = get_user_model().objects.create_user("bob", email="bob@example.com")
        bob.hotpdevice_set.create(name="bobs-token")
        response = self.client.get(self.url("changelist"), {"q": "bob@example"})
        self.assertContains(response, "bobs-token")
        self.assertNotContains(response, "token (alice)")

    def test_change_form_shows_key_and_qrcode_link(self):
        response = self.client.get(self.url("change", self.device.pk))
        assert response.status_code == 200
        self.assertContains(response, RFC_HEX_KEY)
        self.assertContains(response, self.url("config", self.device.pk))
        fieldsets = response.context["adminform"].model_admin.get_fieldsets(
            response.wsgi_request, self.device
        )
        assert [title for title, _ in fieldsets] == [
            "Identity",
            "Timestamps",
            "Configuration",
            "State",
            "Throttling",
            None,
        ]
        assert fieldsets[2][1]["fields"] == ["key", "digits", "tolerance"]
        assert fieldsets[3][1]["fields"] == ["counter"]

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_change_form_hides_key(self):
        response = self.client.get(self.url("change", self.device.pk))
        assert response.status_code == 200
        self.assertNotContains(response, RFC_HEX_KEY)
        self.assertNotContains(response, self.url("config", self.device.pk))

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_add_form_always_has_key(self):
        response = self.client.get(self.url("add"))
        assert response.status_code == 200
        assert "key" in response.context["adminform"].form.fields

    def test_add_device(self):
        response = self.client.post(
            self.url("add"),
            {
                "user": self.user.pk,
                "name": "second",
                "confirmed": "on",
                "key": "00ff",
                "digits": 8,
                "tolerance": 2,
                "counter": 4,
                "throttling_failure_count": 0,
            },
        )
        assert response.status_code == 302
        device = HOTPDevice.objects.get(name="second")
        assert (device.key, device.digits, device.tolerance, device.counter) == ("00ff", 8, 2, 4)

    def test_add_device_rejects_bad_key(self):
        response = self.client.post(
            self.url("add"),
            {
                "user": self.user.pk,
                "name": "bad",
                "key": "xyz",
                "digits": 6,
                "tolerance": 5,
                "counter": 0,
                "throttling_failure_count": 0,
            },
        )
        assert response.status_code == 200
        assert "key" in response.context["adminform"].form.errors

    def test_config_page(self):
        response = self.client.get(self.url("config", self.device.pk))
        assert response.status_code == 200
        self.assertTemplateUsed(response, "otp_hotp/admin/config.html")
        assert response.context["device"] == self.device
        self.assertContains(response, self.url("qrcode", self.device.pk))
        self.assertContains(response, self.device.config_url.replace("&", "&amp;"))
        self.assertContains(response, "otp_hotp/css/qrcode.css")
        self.assertContains(response, "otp_hotp/js/qrcode.js")
        content = response.content.decode()
        assert "style=" not in content.split("<body", 1)[1]
        assert "onerror" not in content

    def test_qrcode_is_svg(self):
        response = self.client.get(self.url("qrcode", self.device.pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"<svg" in response.content
        assert "no-store" in response["Cache-Control"]

    def test_qrcode_without_a_qr_library_is_503(self):
        with mock.patch.dict(sys.modules, {"qrcode": None, "segno": None}):
            response = self.client.get(self.url("qrcode", self.device.pk))
        assert response.status_code == 503
        assert response.content == b""

    def test_another_admin_site_links_within_itself(self):
        config = reverse("otheradmin:otp_hotp_hotpdevice_config", args=[self.device.pk])
        qrcode = reverse("otheradmin:otp_hotp_hotpdevice_qrcode", args=[self.device.pk])
        assert config.startswith("/other/")
        response = self.client.get(reverse("otheradmin:otp_hotp_hotpdevice_changelist"))
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

    def test_staff_without_permission_is_403_even_for_unknown_pk(self):
        staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
        self.client.force_login(staff)
        for pk in [self.device.pk, self.device.pk + 1000]:
            with self.subTest(pk=pk):
                assert self.client.get(self.url("config", pk)).status_code == 403

    def test_anonymous_is_sent_to_login(self):
        self.client.logout()
        response = self.client.get(self.url("qrcode", self.device.pk))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


class MigrationTests(TestCase):
    def test_models_and_migrations_agree(self):
        call_command("makemigrations", "otp_hotp", check=True, dry_run=True, verbosity=0)

    @skip_without_upstream_db
    def test_database_made_by_django_otp_is_already_migrated(self):
        with legacy_database() as legacy:
            executor = MigrationExecutor(legacy)
            applied = {
                name for app, name in executor.loader.applied_migrations if app == "otp_hotp"
            }
            assert applied == {"0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"}
            assert executor.migration_plan([("otp_hotp", "0003_add_timestamps")]) == []
            leaf = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "otp_hotp"]
            executor.migrate(leaf)
            with legacy.cursor() as cursor:
                columns = {
                    column.name
                    for column in legacy.introspection.get_table_description(
                        cursor, "otp_hotp_hotpdevice"
                    )
                }
                cursor.execute("SELECT * FROM otp_hotp_hotpdevice")
                names = [column[0] for column in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        assert columns == {field.column for field in HOTPDevice._meta.concrete_fields}
        assert len(rows) == 1
        row = rows[0]
        assert (row["name"], row["key"], row["counter"]) == ("token", RFC_HEX_KEY, 3)
        # The legacy row, loaded into this package's model, accepts the next RFC code.
        user = get_user_model().objects.create_user("alice")
        fields = ["name", "confirmed", "key", "digits", "tolerance", "counter"]
        device = HOTPDevice.objects.create(user=user, **{name: row[name] for name in fields})
        with override_settings(OTP_HOTP_THROTTLE_FACTOR=0):
            assert device.verify_token(RFC_CODES[2]) is False
            assert device.verify_token(RFC_CODES[3]) is True
