"""Tests of the otp_email plugin: challenges, delivery, verification, settings and admin."""

import datetime
import re
import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connections
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from django_otp.models import GenerateNotAllowed, VerifyNotAllowed
from django_otp.plugins.otp_email.conf import OTPEmailSettings
from django_otp.plugins.otp_email.conf import settings as email_settings
from django_otp.plugins.otp_email.models import EmailDevice, default_key, key_validator
from django_otp.test_utils import CooldownTestMixin, ThrottlingTestMixin, TimestampTestMixin
from django_otp.test_utils import TestCase as OTPTestCase
from tests.models import TextMessageDevice
from tests.plugins.test_otp_static import (
    assert_legacy_schema_is_current,
)
from tests.upstream import legacy_database, skip_without_upstream_db

COOLDOWN_MESSAGE = (
    "Token generation cooldown period has not expired yet. Next generation allowed {}."
)
NO_ADDRESS_MESSAGE = "No email address is available to send a token to."

LOCMEM_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "custom/body.txt": "Your code is {{ token }}.",
                        "custom/body.html": "<p>{{ token }}</p>",
                    },
                ),
                "django.template.loaders.app_directories.Loader",
            ]
        },
    }
]


class EmailDeviceTestCase(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user(
            "alice", password="password", email="alice@example.com"
        )
        self.device = self.user.emaildevice_set.create(name="email")

    def challenge(self, **kwargs):
        message = self.device.generate_challenge(**kwargs)
        self.device.refresh_from_db()
        return message


class ChallengeTests(EmailDeviceTestCase):
    def test_default_email(self):
        assert self.challenge() == "sent by email"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.subject == "OTP token"
        assert re.fullmatch(r"\d{6}\n", message.body)
        assert message.body == f"{self.device.token}\n"
        assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
        assert message.to == ["alice@example.com"]
        assert getattr(message, "alternatives", []) == []

    def test_device_email_wins(self):
        self.device.email = "other@example.com"
        self.device.save()
        self.challenge()
        assert mail.outbox[0].to == ["other@example.com"]

    def test_token_stored_and_valid_for_token_validity(self):
        with freeze_time():
            self.challenge()
            now = timezone.now()
        assert re.fullmatch(r"\d{6}", self.device.token)
        assert self.device.valid_until == now + datetime.timedelta(seconds=300)
        assert self.device.last_generated_timestamp == now

    @override_settings(OTP_EMAIL_TOKEN_VALIDITY=30)
    def test_token_validity_setting(self):
        with freeze_time():
            self.challenge()
            assert self.device.valid_until == timezone.now() + datetime.timedelta(seconds=30)

    @override_settings(OTP_EMAIL_SENDER="otp@example.com")
    def test_sender_setting(self):
        self.challenge()
        assert mail.outbox[0].from_email == "otp@example.com"

    @override_settings(OTP_EMAIL_SUBJECT="Your code: {token}")
    def test_subject_with_token(self):
        self.challenge()
        assert mail.outbox[0].subject == f"Your code: {self.device.token}"

    def test_subject_with_literal_braces_is_used_as_is(self):
        for subject in ["Code {", "Code {0}", "Code {name}", "Code {token.nothing}"]:
            with self.subTest(subject=subject), override_settings(OTP_EMAIL_SUBJECT=subject):
                self.device.generate_token()
                assert self.device.get_subject() == subject

    @override_settings(OTP_EMAIL_BODY_TEMPLATE="Code {{ token }} for {{ site }}")
    def test_body_template_string_with_extra_context(self):
        self.challenge(extra_context={"site": "example.com"})
        assert mail.outbox[0].body == f"Code {self.device.token} for example.com"

    @override_settings(OTP_EMAIL_BODY_TEMPLATE="{{ token }}")
    def test_extra_context_may_override_token(self):
        self.challenge(extra_context={"token": "replaced"})
        assert mail.outbox[0].body == "replaced"

    @override_settings(TEMPLATES=LOCMEM_TEMPLATES, OTP_EMAIL_BODY_TEMPLATE_PATH="custom/body.txt")
    def test_body_template_path(self):
        self.challenge()
        assert mail.outbox[0].body == f"Your code is {self.device.token}."

    @override_settings(OTP_EMAIL_BODY_HTML_TEMPLATE="<b>{{ token }}</b>")
    def test_html_template_string(self):
        self.challenge()
        message = mail.outbox[0]
        assert message.body == f"{self.device.token}\n"
        assert [tuple(alt) for alt in message.alternatives] == [
            (f"<b>{self.device.token}</b>", "text/html")
        ]

    @override_settings(
        TEMPLATES=LOCMEM_TEMPLATES, OTP_EMAIL_BODY_HTML_TEMPLATE_PATH="custom/body.html"
    )
    def test_html_template_path(self):
        self.challenge()
        assert [tuple(alt) for alt in mail.outbox[0].alternatives] == [
            (f"<p>{self.device.token}</p>", "text/html")
        ]

    def test_unsaved_device_is_saved_by_the_challenge(self):
        device = EmailDevice(user=self.user, name="default", confirmed=False)
        assert device.generate_challenge() == "sent by email"
        assert device.pk is not None
        stored = EmailDevice.objects.get(pk=device.pk)
        assert stored.token == device.token
        assert mail.outbox[0].body == f"{device.token}\n"
        assert device.verify_token(device.token) is True

    def test_no_address_sends_nothing(self):
        user = get_user_model().objects.create_user("bob", password="password")
        device = user.emaildevice_set.create(name="email")
        assert device.generate_challenge() == NO_ADDRESS_MESSAGE
        device.refresh_from_db()
        assert mail.outbox == []
        assert device.token is None
        assert device.last_generated_timestamp is None

    def test_no_address_leaves_an_unsaved_device_unsaved(self):
        user = get_user_model().objects.create_user("bob", password="password")
        device = EmailDevice(user=user, name="default")
        assert device.generate_challenge() == NO_ADDRESS_MESSAGE
        assert device.pk is None

    def test_a_send_mail_override_needs_no_address(self):
        user = get_user_model().objects.create_user("bob", password="password")
        device = TextMessageDevice.objects.create(user=user, name="sms")
        TextMessageDevice.sent.clear()
        assert device.generate_challenge() == "sent by email"
        assert TextMessageDevice.sent == [f"{device.token}\n"]
        assert mail.outbox == []

    def test_a_failed_delivery_ends_the_cooldown(self):
        with (
            mock.patch.object(EmailDevice, "send_mail", side_effect=OSError("no mail server")),
            pytest.raises(OSError),
        ):
            self.device.generate_challenge()
        self.device.refresh_from_db()
        assert self.device.generate_is_allowed() == (True, None)
        assert self.device.generate_challenge() == "sent by email"

    def test_interactive(self):
        assert self.device.is_interactive() is True

    def test_messages_are_translated_at_call_time(self):
        with translation.override("de"):
            assert self.device.generate_challenge() == "per E-Mail gesendet"
        assert self.device.generate_challenge().startswith("Token generation cooldown")


class CooldownTests(EmailDeviceTestCase):
    def test_second_challenge_within_cooldown_sends_nothing(self):
        with freeze_time():
            self.challenge()
            token = self.device.token
            message = self.challenge()
        assert message == COOLDOWN_MESSAGE.format("10\xa0seconds from now")
        assert len(mail.outbox) == 1
        assert self.device.token == token

    def test_generate_is_allowed_after_challenge(self):
        assert self.device.generate_is_allowed() == (True, None)
        with freeze_time():
            self.challenge()
            assert self.device.generate_is_allowed() == (
                False,
                {
                    "reason": GenerateNotAllowed.COOLDOWN_DURATION_PENDING,
                    "next_generation_at": timezone.now() + datetime.timedelta(seconds=10),
                },
            )

    def test_allowed_again_after_cooldown(self):
        with freeze_time() as frozen:
            self.challenge()
            frozen.tick(11)
            assert self.challenge() == "sent by email"
        assert len(mail.outbox) == 2
        assert mail.outbox[1].body == f"{self.device.token}\n"

    @override_settings(OTP_EMAIL_COOLDOWN_DURATION=60)
    def test_cooldown_setting(self):
        with freeze_time() as frozen:
            self.challenge()
            frozen.tick(30)
            assert self.challenge() == COOLDOWN_MESSAGE.format("30\xa0seconds from now")
        assert len(mail.outbox) == 1

    @override_settings(OTP_EMAIL_COOLDOWN_DURATION=0)
    def test_zero_disables_cooldown(self):
        self.challenge()
        assert self.challenge() == "sent by email"
        assert len(mail.outbox) == 2

    def test_successful_verification_resets_cooldown(self):
        self.challenge()
        assert self.device.verify_token(self.device.token) is True
        self.device.refresh_from_db()
        assert self.device.last_generated_timestamp is None
        assert self.challenge() == "sent by email"
        assert len(mail.outbox) == 2

    def test_failed_verification_keeps_cooldown(self):
        self.challenge()
        wrong = "000000" if self.device.token != "000000" else "111111"
        assert self.device.verify_token(wrong) is False
        self.device.refresh_from_db()
        assert self.device.generate_is_allowed()[0] is False

    def test_stale_instance_loses_the_cooldown_claim(self):
        stale = EmailDevice.objects.get(pk=self.device.pk)
        assert self.challenge() == "sent by email"
        with freeze_time(self.device.last_generated_timestamp):
            assert stale.generate_challenge() == COOLDOWN_MESSAGE.format("10\xa0seconds from now")
        assert len(mail.outbox) == 1
        assert stale.token is None
        self.device.refresh_from_db()
        assert mail.outbox[0].body == f"{self.device.token}\n"

    def test_refusal_for_another_reason(self):
        refusal = (False, {"reason": "maintenance"})
        with mock.patch.object(EmailDevice, "generate_is_allowed", return_value=refusal):
            assert self.device.generate_challenge() == (
                "Token generation is not allowed at this time"
            )
        assert mail.outbox == []


class VerifyTokenTests(EmailDeviceTestCase):
    def setUp(self):
        super().setUp()
        self.challenge()
        self.token = self.device.token

    def wrong_token(self):
        return "000000" if self.token != "000000" else "111111"

    def test_token_verifies_once(self):
        assert self.device.verify_token(self.token) is True
        self.device.refresh_from_db()
        assert self.device.token is None
        assert self.device.last_used_at is not None
        assert self.device.verify_token(self.token) is False

    def test_token_with_whitespace(self):
        assert self.device.verify_token(f" {self.token[:3]} {self.token[3:]} ") is True

    def test_int_token_never_matches(self):
        assert self.device.verify_token(int(self.token)) is False
        self.device.refresh_from_db()
        assert self.device.token == self.token

    def test_wrong_token_counts_a_failure(self):
        assert self.device.verify_token(self.wrong_token()) is False
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 1
        assert self.device.token == self.token
        assert self.device.last_used_at is None

    def test_throttling_delay(self):
        with freeze_time() as frozen:
            assert self.device.verify_token(self.wrong_token()) is False
            assert self.device.verify_token(self.token) is False
            allowed, data = self.device.verify_is_allowed()
            assert allowed is False
            assert data == {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": 1,
                "locked_until": timezone.now() + datetime.timedelta(seconds=1),
            }
            frozen.tick(1.1)
            assert self.device.verify_token(self.token) is True
        self.device.refresh_from_db()
        assert self.device.throttling_failure_count == 0

    def test_valid_until_just_before_expiry(self):
        with freeze_time(self.device.valid_until - datetime.timedelta(microseconds=1)):
            assert self.device.verify_token(self.token) is True

    def test_expired_at_valid_until(self):
        with freeze_time(self.device.valid_until):
            assert self.device.verify_token(self.token) is False

    def test_expired_token_is_replaced_by_the_next_challenge(self):
        with freeze_time(self.device.valid_until + datetime.timedelta(seconds=1)):
            assert self.challenge() == "sent by email"
        assert len(mail.outbox) == 2
        assert mail.outbox[1].body == f"{self.device.token}\n"

    @override_settings(OTP_EMAIL_THROTTLE_FACTOR=0)
    def test_factor_zero_disables_throttling(self):
        assert self.device.verify_token(self.wrong_token()) is False
        assert self.device.verify_token(self.token) is True


class DevicesForUserTests(EmailDeviceTestCase):
    def test_includes_unconfirmed_devices(self):
        unconfirmed = self.user.emaildevice_set.create(name="default", confirmed=False)
        devices = EmailDevice.objects.devices_for_user(self.user)
        assert set(devices) == {self.device, unconfirmed}
        assert list(EmailDevice.objects.devices_for_user(self.user, confirmed=False)) == [
            unconfirmed
        ]


class LegacyDatabaseTests(TestCase):
    @skip_without_upstream_db
    def test_database_made_by_django_otp(self):
        with legacy_database() as legacy:
            assert_legacy_schema_is_current(legacy, "otp_email", [EmailDevice])
            device = EmailDevice.objects.using("legacy").get(name="email")
            assert device.generate_challenge() == "sent by email"
            assert mail.outbox[0].to == ["alice@example.com"]
            token = EmailDevice.objects.using("legacy").get(pk=device.pk).token
            assert mail.outbox[0].body == f"{token}\n"
            assert device.verify_token(token) is True
            assert EmailDevice.objects.using("legacy").get(pk=device.pk).token is None


class SettingsTests(TestCase):
    def test_defaults(self):
        assert OTPEmailSettings.defaults == {
            "OTP_EMAIL_SENDER": None,
            "OTP_EMAIL_SUBJECT": "OTP token",
            "OTP_EMAIL_BODY_TEMPLATE": None,
            "OTP_EMAIL_BODY_TEMPLATE_PATH": "otp/email/token.txt",
            "OTP_EMAIL_BODY_HTML_TEMPLATE": None,
            "OTP_EMAIL_BODY_HTML_TEMPLATE_PATH": None,
            "OTP_EMAIL_TOKEN_VALIDITY": 300,
            "OTP_EMAIL_THROTTLE_FACTOR": 1,
            "OTP_EMAIL_COOLDOWN_DURATION": 60,
        }
        assert email_settings.OTP_EMAIL_SUBJECT == "OTP token"

    def test_django_setting_wins_and_is_read_live(self):
        assert email_settings.OTP_EMAIL_COOLDOWN_DURATION == 10
        with override_settings(OTP_EMAIL_COOLDOWN_DURATION=3):
            assert email_settings.OTP_EMAIL_COOLDOWN_DURATION == 3

    def test_other_names(self):
        assert email_settings.TIME_ZONE == "UTC"
        with pytest.raises(AttributeError):
            email_settings.OTP_EMAIL_NO_SUCH_SETTING

    def test_migration_helpers(self):
        assert re.fullmatch(r"[0-9a-f]{40}", default_key())
        key_validator("abcd")
        with pytest.raises(Exception, match="not valid hex"):
            key_validator("xyz")


@override_settings(ROOT_URLCONF="tests.plugins.urls_static_email")
class EmailDeviceAdminTests(EmailDeviceTestCase):
    def setUp(self):
        super().setUp()
        admin_user = get_user_model().objects.create_superuser(
            "admin", email="admin@example.com", password="password"
        )
        self.client.force_login(admin_user)

    def test_changelist_loads(self):
        response = self.client.get(reverse("admin:otp_email_emaildevice_changelist"))
        assert response.status_code == 200
        assert "alice" in response.content.decode()

    def test_search_by_device_email(self):
        self.device.email = "elsewhere@example.org"
        self.device.save()
        url = reverse("admin:otp_email_emaildevice_changelist")
        assert len(self.client.get(url, {"q": "elsewhere"}).context["cl"].result_list) == 1
        assert len(self.client.get(url, {"q": "nobody"}).context["cl"].result_list) == 0

    def test_change_page_loads(self):
        url = reverse("admin:otp_email_emaildevice_change", args=[self.device.pk])
        response = self.client.get(url)
        assert response.status_code == 200
        titles = [fieldset.name for fieldset in response.context["adminform"]]
        assert titles == ["Identity", "Timestamps", "Configuration"]


@pytest.mark.concurrency
class ParallelChallengeTests(TransactionTestCase):
    def test_parallel_challenges_send_one_email(self):
        user = get_user_model().objects.create_user(
            "alice", password="password", email="alice@example.com"
        )
        device = user.emaildevice_set.create(name="email")
        barrier = threading.Barrier(4)
        results = []

        def challenge():
            try:
                twin = EmailDevice.objects.get(pk=device.pk)
                barrier.wait()
                results.append(twin.generate_challenge())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=challenge) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count("sent by email") == 1
        assert len(mail.outbox) == 1
        device.refresh_from_db()
        assert mail.outbox[0].body == f"{device.token}\n"


class EmailDeviceContractTests(
    TimestampTestMixin, ThrottlingTestMixin, CooldownTestMixin, OTPTestCase
):
    """The public device test mixins of django_otp.test_utils, run on EmailDevice."""

    def setUp(self):
        super().setUp()
        user = self.create_user("alice", "password", email="alice@example.com")
        self.device = user.emaildevice_set.create(name="email")
        self.device.generate_token()

    def valid_token(self):
        return self.device.token

    def invalid_token(self):
        return "000000" if self.device.token != "000000" else "111111"
