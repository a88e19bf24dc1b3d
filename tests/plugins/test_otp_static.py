"""Tests of the otp_static plugin: backup codes, their verification, lib and admin."""

import datetime
import math
import re
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

import django_otp
from django_otp import verification
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.lib import add_static_token, replace_backup_codes
from django_otp.plugins.otp_static.models import CODE_ALPHABET, StaticDevice, StaticToken
from django_otp.test_utils import TestCase as OTPTestCase
from django_otp.test_utils import ThrottlingTestMixin, TimestampTestMixin
from tests.upstream import UPSTREAM_MIGRATIONS, legacy_database, skip_without_upstream_db


def assert_legacy_schema_is_current(legacy, app_label, models):
    """The 1.7.5 database has every upstream migration of ``app_label``; only ours are new.

    After applying the new ones, its columns are exactly those of the models.
    """
    upstream = {
        tuple(line.split("|"))
        for line in UPSTREAM_MIGRATIONS.read_text().split()
        if line.startswith(f"{app_label}|")
    }
    executor = MigrationExecutor(legacy)
    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] == app_label]
    pending = {
        (migration.app_label, migration.name) for migration, _ in executor.migration_plan(leaves)
    }
    assert pending.isdisjoint(upstream)
    executor.migrate(leaves)
    with legacy.cursor() as cursor:
        for model in models:
            description = legacy.introspection.get_table_description(cursor, model._meta.db_table)
            columns = {column.name for column in description}
            assert columns == {field.column for field in model._meta.concrete_fields}


class StaticDeviceTestCase(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice", password="password")
        self.device = self.user.staticdevice_set.create(name="backup")
        for token in ["a1b2c3d4", "e5f6g7h8", "jkmnpqrs"]:
            self.device.token_set.create(token=token)

    def remaining(self):
        return sorted(self.device.token_set.values_list("token", flat=True))


class VerifyTokenTests(StaticDeviceTestCase):
    def test_each_token_once_in_any_order(self):
        for token in ["jkmnpqrs", "a1b2c3d4", "e5f6g7h8"]:
            with self.subTest(token=token):
                assert self.device.verify_token(token) is True
                assert self.device.verify_token(token) is False
                # The failed replay throttles; let the delay pass before the next code.
                self.device.throttle_reset()
        assert self.remaining() == []

    def test_success_deletes_only_the_used_row(self):
        assert self.device.verify_token("e5f6g7h8") is True
        assert self.remaining() == ["a1b2c3d4", "jkmnpqrs"]

    def test_duplicates_are_consumed_one_per_use(self):
        self.device.token_set.create(token="a1b2c3d4")
        assert self.device.verify_token("a1b2c3d4") is True
        assert self.device.verify_token("a1b2c3d4") is True
        assert self.device.verify_token("a1b2c3d4") is False
        assert self.remaining() == ["e5f6g7h8", "jkmnpqrs"]

    def test_upper_case_and_whitespace_in_input(self):
        assert self.device.verify_token(" A1B2 C3D4\n") is True
        assert self.remaining() == ["e5f6g7h8", "jkmnpqrs"]

    def test_stored_upper_case_token_matches(self):
        self.device.token_set.create(token="XYZ-1234")
        assert self.device.verify_token("xyz-1234") is True
        assert "XYZ-1234" not in self.remaining()

    def test_malformed_input_fails_without_raising(self):
        self.device.token_set.create(token="a" * 16)
        for token in ["a" * 17, "a1b2_c3d4", "a1b2c3d4!", "a1b2c3d\u00e9", "", None, 12345678]:
            with self.subTest(token=token):
                assert self.device.verify_token(token) is False
                self.device.throttle_reset()
        assert len(self.remaining()) == 4

    def test_wrong_token_fails(self):
        assert self.device.verify_token("zzzzzzzz") is False
        assert len(self.remaining()) == 3

    def test_token_of_another_device_does_not_match(self):
        other_user = get_user_model().objects.create_user("bob", password="password")
        other = other_user.staticdevice_set.create(name="backup")
        other.token_set.create(token="bobtoken")
        assert self.device.verify_token("bobtoken") is False
        assert other.token_set.count() == 1

    def test_last_used_at_set_on_success_only(self):
        assert self.device.verify_token("zzzzzzzz") is False
        self.device.refresh_from_db()
        assert self.device.last_used_at is None
        self.device.throttle_reset()
        assert self.device.verify_token("a1b2c3d4") is True
        self.device.refresh_from_db()
        assert self.device.last_used_at is not None

    def test_claim_of_an_already_deleted_row_loses(self):
        match = self.device.find_token_match("a1b2c3d4")
        assert match is not None
        StaticToken.objects.filter(token="a1b2c3d4").delete()
        assert match.claim() is False

    def test_parallel_attempts_accept_a_code_once(self):
        twin = StaticDevice.objects.get(pk=self.device.pk)
        first = verification.Attempt(self.device, "a1b2c3d4", throttle=False)
        second = verification.Attempt(twin, "a1b2c3d4", throttle=False)
        assert first.evaluate() is not None
        assert second.evaluate() is not None
        assert first.consume() is True
        assert second.consume() is False
        assert self.remaining() == ["e5f6g7h8", "jkmnpqrs"]

    def test_find_token_match_does_not_write(self):
        with CaptureQueriesContext(connection) as queries:
            assert self.device.find_token_match("a1b2c3d4") is not None
        assert [query["sql"].split()[0] for query in queries] == ["SELECT"]
        assert len(self.remaining()) == 3

    def test_not_interactive(self):
        assert self.device.is_interactive() is False
        assert self.device.generate_challenge() is None

    def test_root_verify_token(self):
        persistent_id = self.device.persistent_id
        assert django_otp.verify_token(self.user, persistent_id, "a1b2c3d4") == self.device
        assert django_otp.verify_token(self.user, persistent_id, "a1b2c3d4") is None
        assert self.remaining() == ["e5f6g7h8", "jkmnpqrs"]


class ThrottlingTests(StaticDeviceTestCase):
    def test_wrong_code_throttles_only_the_static_device(self):
        email_device = self.user.emaildevice_set.create(name="email")
        assert self.device.verify_token("zzzzzzzz") is False
        self.device.refresh_from_db()
        email_device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert email_device.throttling_failure_count == 0

    def test_delay_imposed_after_failure(self):
        assert self.device.verify_token("zzzzzzzz") is False
        assert self.device.verify_token("a1b2c3d4") is False
        assert len(self.remaining()) == 3

    def test_delay_expires(self):
        with freeze_time() as frozen:
            assert self.device.verify_token("zzzzzzzz") is False
            frozen.tick(1.1)
            assert self.device.verify_token("a1b2c3d4") is True
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0
        assert self.device.throttling_failure_timestamp is None

    def test_locked_attempts_are_not_counted(self):
        for _ in range(5):
            self.device.verify_token("zzzzzzzz")
            self.device.refresh_from_db()
            assert self.device.throttling_failure_count == 1

    def test_verify_is_allowed(self):
        assert self.device.verify_is_allowed() == (True, None)
        with freeze_time() as frozen:
            self.device.verify_token("zzzzzzzz")
            now = timezone.now()
            assert self.device.verify_is_allowed() == (
                False,
                {
                    "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                    "failure_count": 1,
                    "locked_until": now + datetime.timedelta(seconds=1),
                },
            )
            frozen.tick(1.1)
            assert self.device.verify_token("a1b2c3d4") is True
            assert self.device.verify_is_allowed() == (True, None)

    @override_settings(OTP_STATIC_THROTTLE_FACTOR=0)
    def test_factor_zero_disables_throttling(self):
        assert self.device.verify_token("zzzzzzzz") is False
        assert self.device.verify_token("a1b2c3d4") is True

    @override_settings(OTP_STATIC_THROTTLE_FACTOR=5)
    def test_factor_read_at_call_time(self):
        assert self.device.get_throttle_factor() == 5


class StaticTokenTests(TestCase):
    def test_random_token_format(self):
        tokens = {StaticToken.random_token() for _ in range(20)}
        assert all(re.fullmatch(r"[a-z2-7]{8}", token) for token in tokens)
        assert len(tokens) > 1

    def test_token_set_reverse_accessors(self):
        user = get_user_model().objects.create_user("alice", password="password")
        device, _ = user.staticdevice_set.get_or_create(defaults={"name": "backup"})
        device.token_set.create(token=StaticToken.random_token())
        assert device.token_set.count() == 1
        device.token_set.all().delete()
        assert device.token_set.count() == 0


class AddStaticTokenTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice", password="password")

    def test_creates_backup_code_device_when_none(self):
        token = add_static_token("alice")
        device = StaticDevice.objects.get(user=self.user)
        assert device.name == "Backup Code"
        assert token.device == device
        assert re.fullmatch(r"[a-z2-7]{8}", token.token)

    def test_uses_the_lowest_pk_device(self):
        first = self.user.staticdevice_set.create(name="first", confirmed=False)
        self.user.staticdevice_set.create(name="second")
        token = add_static_token("alice", "given")
        assert token.device == first
        assert token.token == "given"
        assert StaticDevice.objects.count() == 2

    def test_added_token_verifies(self):
        token = add_static_token("alice")
        assert token.device.verify_token(token.token) is True

    def test_unknown_user_raises_does_not_exist(self):
        with self.assertRaises(get_user_model().DoesNotExist):
            add_static_token("nobody")
        assert StaticToken.objects.count() == 0


@override_settings(ROOT_URLCONF="tests.plugins.urls_static_email")
class StaticDeviceAdminTests(StaticDeviceTestCase):
    def setUp(self):
        super().setUp()
        admin_user = get_user_model().objects.create_superuser(
            "admin", email="admin@example.com", password="password"
        )
        self.client.force_login(admin_user)

    def test_changelist_loads(self):
        response = self.client.get(reverse("admin:otp_static_staticdevice_changelist"))
        assert response.status_code == 200
        assert "backup" in response.content.decode()

    def test_search(self):
        url = reverse("admin:otp_static_staticdevice_changelist")
        assert len(self.client.get(url, {"q": "alice"}).context["cl"].result_list) == 1
        assert len(self.client.get(url, {"q": "bob"}).context["cl"].result_list) == 0

    def test_change_page_shows_tokens(self):
        url = reverse("admin:otp_static_staticdevice_change", args=[self.device.pk])
        response = self.client.get(url)
        assert response.status_code == 200
        assert len(response.context["inline_admin_formsets"]) == 1
        assert "a1b2c3d4" in response.content.decode()

    @override_settings(OTP_STATIC_HASH_TOKENS=True)
    def test_change_page_saves_with_hashed_codes(self):
        self.device.token_set.create(token="hash2345")
        hashed = self.device.token_set.get(token="")
        url = reverse("admin:otp_static_staticdevice_change", args=[self.device.pk])
        form = self.client.get(url).context["adminform"].form
        rows = list(self.device.token_set.order_by("pk"))
        data = {
            "user": self.user.pk,
            "name": "backup",
            "confirmed": "on",
            "token_set-TOTAL_FORMS": str(len(rows)),
            "token_set-INITIAL_FORMS": str(len(rows)),
            "token_set-MIN_NUM_FORMS": "0",
            "token_set-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data[f"token_set-{index}-id"] = str(row.pk)
            data[f"token_set-{index}-device"] = str(self.device.pk)
            data[f"token_set-{index}-token"] = row.token
        assert form.instance == self.device
        response = self.client.post(url, data)
        assert response.status_code == 302, response.context["inline_admin_formsets"]
        hashed.refresh_from_db()
        assert hashed.token == "" and hashed.token_hash.startswith("hmac256$")
        assert self.device.verify_token("hash2345") is True

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_hide_sensitive_data_hides_tokens_of_existing_device(self):
        url = reverse("admin:otp_static_staticdevice_change", args=[self.device.pk])
        response = self.client.get(url)
        assert response.status_code == 200
        assert response.context["inline_admin_formsets"] == []
        assert "a1b2c3d4" not in response.content.decode()

    @override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=True)
    def test_hide_sensitive_data_keeps_inline_on_add_form(self):
        response = self.client.get(reverse("admin:otp_static_staticdevice_add"))
        assert response.status_code == 200
        assert len(response.context["inline_admin_formsets"]) == 1


class MigrationTests(TestCase):
    def test_models_match_migrations(self):
        call_command("makemigrations", "otp_static", "otp_email", check=True, dry_run=True)

    @skip_without_upstream_db
    def test_database_made_by_django_otp(self):
        with legacy_database() as legacy:
            assert_legacy_schema_is_current(legacy, "otp_static", [StaticDevice, StaticToken])
            device = StaticDevice.objects.using("legacy").get(name="backup")
            assert device.user.username == "alice"
            for token in ["e5f6g7h8", "A1B2C3D4", "jkmnpqrs"]:
                with self.subTest(token=token):
                    assert device.verify_token(token) is True
                    assert device.verify_token(token) is False
                    device.throttle_reset()
            assert not StaticToken.objects.using("legacy").exists()


def test_email_device_is_interactive_static_is_not():
    assert EmailDevice().is_interactive() is True
    assert StaticDevice().is_interactive() is False


class StaticDeviceContractTests(TimestampTestMixin, ThrottlingTestMixin, OTPTestCase):
    """The public device test mixins of django_otp.test_utils, run on StaticDevice."""

    def setUp(self):
        super().setUp()
        user = self.create_user("alice", "password")
        self.device = user.staticdevice_set.create(name="backup")
        self.device.token_set.create(token="validtok")

    def valid_token(self):
        return "validtok"

    def invalid_token(self):
        return "wrongtok"


@override_settings(OTP_STATIC_HASH_TOKENS=True)
class HashedTokenTests(StaticDeviceTestCase):
    """With ``OTP_STATIC_HASH_TOKENS`` on, codes are stored as keyed hashes."""

    def raw_rows(self):
        table = StaticToken._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token, token_hash FROM {table}")  # noqa: S608
            return cursor.fetchall()

    def test_database_holds_no_plain_code(self):
        rows = self.raw_rows()
        assert len(rows) == 3
        for token, token_hash in rows:
            assert token == ""
            assert token_hash.startswith("hmac256$")
            for code in ["a1b2c3d4", "e5f6g7h8", "jkmnpqrs"]:
                assert code not in token_hash

    def test_each_code_verifies_once(self):
        for code in ["jkmnpqrs", "A1B2 C3D4", "e5f6-g7h8"]:
            assert self.device.verify_token(code) is True
            assert self.device.verify_token(code) is False
            self.device.throttle_reset()
        assert self.device.token_set.count() == 0

    def test_bulk_create_hashes(self):
        StaticToken.objects.bulk_create([StaticToken(device=self.device, token="bulk2345")])
        assert ("", None) not in self.raw_rows()
        assert all(token == "" for token, _ in self.raw_rows())
        assert self.device.verify_token("bulk2345") is True

    def test_created_instance_keeps_the_code_in_memory(self):
        token = self.device.token_set.create(token="zzzz2222")
        assert token.token == "zzzz2222"
        token.refresh_from_db()
        assert token.token == ""

    def test_plain_and_hashed_rows_both_verify_and_plain_ones_get_hashed_on_use(self):
        with override_settings(OTP_STATIC_HASH_TOKENS=False):
            self.device.token_set.create(token="plain234")
        assert ("plain234", None) in self.raw_rows()
        assert self.device.verify_token("jkmnpqrs") is True
        assert all(token == "" for token, _ in self.raw_rows())
        assert self.device.verify_token("plain234") is True

    def test_plain_legacy_row_verifies_before_hashing(self):
        with override_settings(OTP_STATIC_HASH_TOKENS=False):
            self.device.token_set.create(token="legacy23")
        assert self.device.verify_token("legacy23") is True

    def test_protect_secrets_command_hashes_plain_rows(self):
        with override_settings(OTP_STATIC_HASH_TOKENS=False):
            self.device.token_set.create(token="plain234")
        out = StringIO()
        call_command("otp_protect_secrets", stdout=out)
        assert "otp_static.StaticToken: 1 hashed, 3 unchanged" in out.getvalue()
        assert all(token == "" for token, _ in self.raw_rows())
        assert self.device.verify_token("plain234") is True

    def test_protect_secrets_with_hashing_off_counts_only_plain_rows(self):
        with override_settings(OTP_STATIC_HASH_TOKENS=False):
            self.device.token_set.create(token="plain234")
            out = StringIO()
            call_command("otp_protect_secrets", stdout=out)
        assert "1 left plain" in out.getvalue()

    def test_a_new_plain_code_replaces_the_hash(self):
        row = self.device.token_set.first()
        with override_settings(OTP_STATIC_HASH_TOKENS=False):
            row.token = "fresh234"
            row.save()
        assert ("fresh234", None) in self.raw_rows()
        assert self.device.verify_token("fresh234") is True

    def test_secret_key_rotation_keeps_codes(self):
        with override_settings(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
            assert self.device.verify_token("a1b2c3d4") is True

    def test_other_secret_key_rejects(self):
        with override_settings(SECRET_KEY="attacker-guess"):
            assert self.device.verify_token("a1b2c3d4") is False


class BackupCodeGenerationTests(StaticDeviceTestCase):
    def test_replace_backup_codes(self):
        codes = replace_backup_codes(self.device, count=5)
        assert len(codes) == 5
        assert len(set(codes)) == 5
        for code in codes:
            assert re.fullmatch(r"([0-9a-hjkmnp-tv-z]{4}-){3}[0-9a-hjkmnp-tv-z]{4}", code)
        assert self.device.token_set.count() == 5
        assert self.device.verify_token("a1b2c3d4") is False  # old codes are gone
        self.device.throttle_reset()
        assert self.device.verify_token(codes[0]) is True
        assert self.device.verify_token(codes[1].replace("-", "").upper()) is True

    @override_settings(OTP_STATIC_HASH_TOKENS=True)
    def test_replace_backup_codes_when_hashed(self):
        codes = replace_backup_codes(self.device, count=2)
        assert set(self.device.token_set.values_list("token", flat=True)) == {""}
        assert self.device.verify_token(codes[1]) is True

    def test_random_code_entropy(self):
        assert len(StaticToken.random_code()) * math.log2(len(CODE_ALPHABET)) >= 64
        assert len(set(CODE_ALPHABET)) == 32
        assert not set("ilou") & set(CODE_ALPHABET)
