"""Tests of keys encrypted at rest and the otp_protect_secrets command."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test import TestCase, override_settings
from freezegun import freeze_time

from django_otp.crypto import generate_key
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

RFC_HEX = "3132333435363738393031323334353637383930"
RFC_KEY = bytes.fromhex(RFC_HEX)
KEY_A = generate_key()
KEY_B = generate_key()
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def raw_key_columns(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {connection.ops.quote_name('key')}, encrypted_key FROM {table}")  # noqa: S608
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


class EncryptedKeyTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice")

    @override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
    def test_rows_hold_no_plain_key_and_still_verify(self):
        totp_device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        hotp_device = HOTPDevice.objects.create(user=self.user, name="h", key=RFC_HEX)
        for model, device in [(TOTPDevice, totp_device), (HOTPDevice, hotp_device)]:
            column, ciphertext = raw_key_columns(model)[device.pk]
            assert column == ""
            assert ciphertext.startswith("aesgcm1$")
            assert RFC_HEX not in ciphertext
            assert device.key == RFC_HEX  # the in-memory instance keeps the plain value
            loaded = model.objects.get(pk=device.pk)
            assert loaded.key == RFC_HEX
            assert loaded.bin_key == RFC_KEY
            assert "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in loaded.config_url
        with freeze_time(NOW):
            assert TOTPDevice.objects.get().verify_token(totp(RFC_KEY)) is True
        assert HOTPDevice.objects.get().verify_token(hotp(RFC_KEY, 0)) is True

    @override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
    def test_saving_only_other_fields_keeps_the_ciphertext(self):
        device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        before = raw_key_columns(TOTPDevice)[device.pk]
        device.name = "renamed"
        device.save(update_fields=["name"])
        assert raw_key_columns(TOTPDevice)[device.pk] == before
        device.throttle_increment()
        assert TOTPDevice.objects.get().key == RFC_HEX

    def test_plain_rows_work_before_and_after_the_command(self):
        device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        assert raw_key_columns(TOTPDevice)[device.pk] == (RFC_HEX, None)
        with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A]):
            with freeze_time(NOW):
                assert TOTPDevice.objects.get().verify_token(totp(RFC_KEY)) is True
            out = StringIO()
            call_command("otp_protect_secrets", stdout=out)
            assert "otp_totp.TOTPDevice: 1 encrypted, 0 re-encrypted, 0 unchanged" in out.getvalue()
            column, ciphertext = raw_key_columns(TOTPDevice)[device.pk]
            assert (column, ciphertext[:8]) == ("", "aesgcm1$")
            with freeze_time(NOW + datetime.timedelta(seconds=30)):
                assert TOTPDevice.objects.get().verify_token(totp(RFC_KEY)) is True

    def test_rotation_round_trip(self):
        with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A]):
            device = HOTPDevice.objects.create(user=self.user, name="h", key=RFC_HEX)
            first = raw_key_columns(HOTPDevice)[device.pk][1]
        with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
            assert HOTPDevice.objects.get().key == RFC_HEX  # the old key still decrypts
            out = StringIO()
            call_command("otp_protect_secrets", stdout=out)
            assert "otp_hotp.HOTPDevice: 0 encrypted, 1 re-encrypted, 0 unchanged" in out.getvalue()
            second = raw_key_columns(HOTPDevice)[device.pk][1]
            assert second != first
            out = StringIO()
            call_command("otp_protect_secrets", stdout=out)
            assert "otp_hotp.HOTPDevice: 0 encrypted, 0 re-encrypted, 1 unchanged" in out.getvalue()
        with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_B]):
            device = HOTPDevice.objects.get()  # KEY_A is gone and no longer needed
            assert device.verify_token(hotp(RFC_KEY, 0)) is True

    def test_missing_key_fails_loudly(self):
        with override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A]):
            TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        with (
            override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_B]),
            pytest.raises(ImproperlyConfigured, match="OTP_KEY_ENCRYPTION_KEYS"),
        ):
            TOTPDevice.objects.get()

    def test_command_without_keys_reports_and_changes_nothing(self):
        device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        out = StringIO()
        call_command("otp_protect_secrets", stdout=out)
        assert "OTP_KEY_ENCRYPTION_KEYS is empty" in out.getvalue()
        assert raw_key_columns(TOTPDevice)[device.pk] == (RFC_HEX, None)

    @override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
    def test_key_is_bound_to_its_table(self):
        totp_device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        hotp_device = HOTPDevice.objects.create(user=self.user, name="h", key="00" * 20)
        stolen = raw_key_columns(TOTPDevice)[totp_device.pk][1]
        HOTPDevice.objects.filter(pk=hotp_device.pk).update(encrypted_key=stolen)
        with pytest.raises(ImproperlyConfigured):
            HOTPDevice.objects.get(pk=hotp_device.pk)


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
class DeferredKeyTests(TestCase):
    """Loading only some columns never loses or blanks an encrypted key."""

    def setUp(self):
        user = get_user_model().objects.create_user("alice")
        self.device = TOTPDevice.objects.create(user=user, name="t", key=RFC_HEX)
        self.sealed = raw_key_columns(TOTPDevice)[self.device.pk]

    def test_saving_a_device_loaded_without_its_key_keeps_the_key(self):
        partial = TOTPDevice.objects.only("id", "name").get(pk=self.device.pk)
        partial.name = "renamed"
        partial.save()
        assert raw_key_columns(TOTPDevice)[self.device.pk] == self.sealed
        assert TOTPDevice.objects.get(pk=self.device.pk).key == RFC_HEX

    def test_a_deferred_key_loads_decrypted(self):
        assert TOTPDevice.objects.defer("key").get(pk=self.device.pk).key == RFC_HEX
        assert TOTPDevice.objects.defer("encrypted_key").get(pk=self.device.pk).key == RFC_HEX
        assert TOTPDevice.objects.only("id", "key").get(pk=self.device.pk).key == RFC_HEX

    def test_refreshing_only_the_key_decrypts_it(self):
        self.device.key = "stale"
        self.device.refresh_from_db(fields=["key"])
        assert self.device.key == RFC_HEX

    def test_saving_after_a_partial_load_of_the_pair_keeps_the_key(self):
        partial = TOTPDevice.objects.only("id", "key").get(pk=self.device.pk)
        partial.save()
        assert TOTPDevice.objects.get(pk=self.device.pk).key == RFC_HEX

    def test_a_plain_key_written_later_wins(self):
        TOTPDevice.objects.filter(pk=self.device.pk).update(key="00" * 20)
        assert TOTPDevice.objects.get(pk=self.device.pk).key == "00" * 20

    def test_a_corrupt_ciphertext_is_a_clear_error(self):
        TOTPDevice.objects.filter(pk=self.device.pk).update(encrypted_key="aesgcm1$0000$!!")
        with pytest.raises(ImproperlyConfigured, match="OTP_KEY_ENCRYPTION_KEYS"):
            TOTPDevice.objects.get(pk=self.device.pk)


@override_settings(OTP_KEY_ENCRYPTION_KEYS=[KEY_A])
class WritePathTests(TestCase):
    """Every way of writing a device protects the key; code always sees the plain value."""

    def setUp(self):
        self.user = get_user_model().objects.create_user("alice")

    def test_post_save_receivers_see_the_plain_key(self):
        seen = []

        def receiver(sender, instance, **kwargs):
            seen.append(instance.key)

        post_save.connect(receiver, sender=TOTPDevice)
        self.addCleanup(post_save.disconnect, receiver, sender=TOTPDevice)
        TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        assert seen == [RFC_HEX]

    def test_bulk_create_encrypts(self):
        TOTPDevice.objects.bulk_create([TOTPDevice(user=self.user, name="t", key=RFC_HEX)])
        ((column, ciphertext),) = raw_key_columns(TOTPDevice).values()
        assert column == ""
        assert ciphertext.startswith("aesgcm1$")
        assert TOTPDevice.objects.get().key == RFC_HEX

    def test_update_fields_with_the_key_writes_both_columns(self):
        device = TOTPDevice.objects.create(user=self.user, name="t", key=RFC_HEX)
        device.key = "00" * 20
        device.save(update_fields=["key"])
        assert TOTPDevice.objects.get().key == "00" * 20
