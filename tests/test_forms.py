"""Tests for django_otp.forms: the second-factor step shared by every OTP form."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from django import forms
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.utils import translation
from django.utils.functional import Promise
from freezegun import freeze_time

from django_otp.forms import (
    OTPAuthenticationForm,
    OTPAuthenticationFormMixin,
    OTPTokenForm,
    otp_verification_failed,
)
from tests.models import ChallengeDevice, SimpleDevice

INVALID_TOKEN = "Invalid token. Please make sure you have entered it correctly."
THROTTLED_ONCE = (
    "Verification temporarily disabled because of 1 failed attempt, please try again soon."
)
THROTTLED_TWICE = (
    "Verification temporarily disabled because of 2 failed attempts, please try again soon."
)


class FormTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password="alice-password")
        cls.bob = User.objects.create_user("bob", password="bob-password")
        cls.device = SimpleDevice.objects.create(user=cls.alice, name="phone", code="123456")
        cls.challenge_device = ChallengeDevice.objects.create(
            user=cls.alice, name="mail", code="654321"
        )
        cls.unconfirmed = SimpleDevice.objects.create(
            user=cls.alice, name="new phone", code="111111", confirmed=False
        )
        cls.bobs_device = SimpleDevice.objects.create(user=cls.bob, name="bob", code="222222")

    def setUp(self) -> None:
        self.failures: list[dict[str, Any]] = []

        def receiver(**kwargs: Any) -> None:
            self.failures.append(kwargs)

        otp_verification_failed.connect(receiver, weak=False, dispatch_uid="test-forms")
        self.addCleanup(otp_verification_failed.disconnect, dispatch_uid="test-forms")

    def login_form(self, **data: Any) -> OTPAuthenticationForm:
        values = {"username": "alice", "password": "alice-password"}
        values.update(data)
        return OTPAuthenticationForm(None, values)

    def assert_error(self, form: forms.Form, message: str, code: str | None) -> None:
        self.assertFalse(form.is_valid())
        errors = form.errors.as_data()["__all__"]
        self.assertEqual([str(e.message) for e in errors], [message])
        self.assertEqual(errors[0].code, code)

    def stored(self, device: Any) -> Any:
        return type(device).objects.get(pk=device.pk)


class AuthenticationFormTests(FormTestCase):
    def test_valid_password_and_token(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
        self.assertTrue(form.is_valid(), form.errors)
        user = form.get_user()
        self.assertEqual(user.pk, self.alice.pk)
        self.assertEqual(user.otp_device, self.device)
        self.assertEqual(self.failures, [])

    def test_token_is_passed_as_cleaned_and_normalised_by_the_device(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_token=" 123 456 ")
        self.assertTrue(form.is_valid(), form.errors)

    def test_invalid_token(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_token="000000")
        self.assert_error(form, INVALID_TOKEN, "invalid_token")
        self.assertIsNone(form.get_user().otp_device)
        self.assertEqual(len(self.failures), 1)
        self.assertIs(self.failures[0]["sender"], OTPAuthenticationForm)
        self.assertEqual(self.failures[0]["user"], self.alice)

    def test_failed_attempt_is_committed_although_the_form_fails(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_token="000000")
        self.assertFalse(form.is_valid())
        self.assertEqual(self.stored(self.device).throttling_failure_count, 1)

    def test_throttled_device(self) -> None:
        with freeze_time() as frozen:
            self.assertFalse(
                self.login_form(otp_device=self.device.persistent_id, otp_token="000000").is_valid()
            )
            form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
            self.assert_error(form, THROTTLED_ONCE, None)
            self.assertEqual(len(self.failures), 1)
            frozen.tick(datetime.timedelta(seconds=1.5))
            self.assertFalse(
                self.login_form(otp_device=self.device.persistent_id, otp_token="000000").is_valid()
            )
            form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
            self.assert_error(form, THROTTLED_TWICE, None)
            self.assertEqual(len(self.failures), 2)

    def test_refusal_with_an_error_message(self) -> None:
        refusal = (False, {"error_message": "Come back tomorrow."})
        with mock.patch.object(SimpleDevice, "verify_is_allowed", return_value=refusal):
            form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
            self.assert_error(form, "Come back tomorrow.", None)

    def test_refusal_without_a_known_reason(self) -> None:
        with mock.patch.object(SimpleDevice, "verify_is_allowed", return_value=(False, {})):
            form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
            self.assert_error(form, "Verification of the token is currently disabled", None)
        self.assertEqual(self.failures, [])

    def test_token_required(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id)
        self.assert_error(form, "Please enter your OTP token.", "token_required")
        form = self.login_form()
        self.assert_error(form, "Please enter your OTP token.", "token_required")
        self.assertEqual(self.failures, [])

    def test_device_required(self) -> None:
        form = self.login_form(otp_token="123456")
        self.assert_error(form, "Please select a device.", "device_required")
        self.assertEqual(self.failures, [])

    def test_unconfirmed_device_is_not_used(self) -> None:
        form = self.login_form(otp_device=self.unconfirmed.persistent_id, otp_token="111111")
        self.assert_error(form, "Please select a device.", "device_required")
        self.assertIsNone(self.stored(self.unconfirmed).last_used_at)

    def test_foreign_device_is_not_used(self) -> None:
        form = self.login_form(otp_device=self.bobs_device.persistent_id, otp_token="222222")
        self.assert_error(form, "Please select a device.", "device_required")
        self.assertIsNone(self.stored(self.bobs_device).last_used_at)

    def test_malformed_device_ids_are_form_errors(self) -> None:
        for device_id in [
            "garbage",
            "tests.simpledevice",
            "tests.simpledevice/x",
            "tests.simpledevice/-1",
            "tests.simpledevice/99999999999999999999999",
            "a.b.c/1",
            "nosuchapp.device/1",
            f"auth.user/{self.alice.pk}",
            f"tests.simpledevice/{self.device.pk}/1",
        ]:
            with self.subTest(device_id=device_id):
                form = self.login_form(otp_device=device_id, otp_token="123456")
                self.assert_error(form, "Please select a device.", "device_required")

    def test_device_choices_list_only_confirmed_devices_of_the_user(self) -> None:
        form = self.login_form(otp_token="123456")
        self.assertFalse(form.is_valid())
        self.assertEqual(
            list(form.fields["otp_device"].widget.choices),
            [
                ("", "---------"),
                (self.device.persistent_id, "phone"),
                (self.challenge_device.persistent_id, "mail"),
            ],
        )

    def test_password_is_rendered_again_after_an_otp_error(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_token="000000")
        self.assertFalse(form.is_valid())
        self.assertIn('value="alice-password"', str(form["password"]))

    def test_wrong_password_skips_the_otp_step(self) -> None:
        form = self.login_form(password="wrong", otp_token="123456")
        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors.as_data()["__all__"][0].code, "invalid_login")
        self.assertNotIn("wrong", str(form["password"]))
        self.assertEqual(self.failures, [])

    def test_fields_in_order(self) -> None:
        form = OTPAuthenticationForm()
        self.assertEqual(
            list(form.fields),
            ["username", "password", "otp_device", "otp_token", "otp_challenge"],
        )
        self.assertIsInstance(form.fields["otp_device"].widget, forms.Select)
        self.assertEqual(form.fields["otp_token"].widget.attrs, {"autocomplete": "off"})
        self.assertFalse(
            any(field.required for name, field in form.fields.items() if name.startswith("otp_"))
        )


class ChallengeTests(FormTestCase):
    def test_interactive_device(self) -> None:
        form = self.login_form(otp_device=self.challenge_device.persistent_id, otp_challenge="1")
        self.assert_error(form, "OTP Challenge: sent", "challenge_message")
        self.assertIsNotNone(self.stored(self.challenge_device).last_generated_timestamp)
        self.assertEqual(self.failures, [])

    def test_challenge_wins_over_a_token(self) -> None:
        form = self.login_form(
            otp_device=self.challenge_device.persistent_id, otp_challenge="1", otp_token="654321"
        )
        self.assert_error(form, "OTP Challenge: sent", "challenge_message")
        self.assertIsNone(form.get_user().otp_device)

    def test_non_interactive_device(self) -> None:
        form = self.login_form(otp_device=self.device.persistent_id, otp_challenge="1")
        self.assert_error(form, "The selected OTP device is not interactive", "not_interactive")

    def test_challenge_without_device(self) -> None:
        form = self.login_form(otp_challenge="1")
        self.assert_error(form, "The selected OTP device is not interactive", "not_interactive")

    def test_challenge_exception(self) -> None:
        with mock.patch.object(
            ChallengeDevice, "generate_challenge", side_effect=RuntimeError("boom")
        ):
            form = self.login_form(
                otp_device=self.challenge_device.persistent_id, otp_challenge="1"
            )
            self.assert_error(form, "Error generating challenge: boom", "challenge_exception")


class TransactionAndMessageTests(FormTestCase):
    def test_other_exceptions_roll_back_and_propagate(self) -> None:
        class ExplodingForm(OTPAuthenticationForm):
            def _verify_token(self, user: Any, token: Any, device: Any = None) -> Any:
                type(device).objects.filter(pk=device.pk).update(name="renamed")
                raise RuntimeError("boom")

        form = ExplodingForm(
            None,
            {
                "username": "alice",
                "password": "alice-password",
                "otp_device": self.device.persistent_id,
                "otp_token": "123456",
            },
        )
        with self.assertRaises(RuntimeError):
            form.is_valid()
        self.assertEqual(self.stored(self.device).name, "phone")

    def test_errors_are_translated_when_rendered(self) -> None:
        with freeze_time():
            self.login_form(otp_device=self.device.persistent_id, otp_token="000000").is_valid()
            form = self.login_form(otp_device=self.device.persistent_id, otp_token="123456")
            self.assertFalse(form.is_valid())
        error = form.errors.as_data()["__all__"][0].message
        self.assertEqual(str(error), THROTTLED_ONCE)
        with translation.override("de"):
            self.assertNotEqual(str(error), THROTTLED_ONCE)
            self.assertIn("1", str(error))

    def test_messages_are_lazy(self) -> None:
        for key, message in OTPAuthenticationFormMixin.otp_error_messages.items():
            with self.subTest(key=key):
                self.assertIsInstance(message, Promise)


class TokenFormTests(FormTestCase):
    def test_valid(self) -> None:
        form = OTPTokenForm(
            self.alice, None, {"otp_device": self.device.persistent_id, "otp_token": "123456"}
        )
        self.assertTrue(form.is_valid(), form.errors)
        self.assertIs(form.get_user(), self.alice)
        self.assertEqual(self.alice.otp_device, self.device)

    def test_choices_at_construction(self) -> None:
        form = OTPTokenForm(self.alice)
        self.assertEqual(
            form.fields["otp_device"].choices,
            [
                ("", "---------"),
                (self.device.persistent_id, "phone"),
                (self.challenge_device.persistent_id, "mail"),
            ],
        )
        self.assertEqual(list(form.fields), ["otp_device", "otp_token", "otp_challenge"])

    def test_device_is_required(self) -> None:
        form = OTPTokenForm(self.alice, None, {"otp_token": "123456"})
        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors.as_data()["otp_device"][0].code, "required")

    def test_device_outside_the_choices_is_a_field_error(self) -> None:
        for device in [self.unconfirmed, self.bobs_device]:
            with self.subTest(device=device.name):
                form = OTPTokenForm(
                    self.alice, None, {"otp_device": device.persistent_id, "otp_token": "1"}
                )
                self.assertFalse(form.is_valid())
                self.assertEqual(form.errors.as_data()["otp_device"][0].code, "invalid_choice")

    def test_invalid_token(self) -> None:
        form = OTPTokenForm(
            self.alice, None, {"otp_device": self.device.persistent_id, "otp_token": "1"}
        )
        self.assert_error(form, INVALID_TOKEN, "invalid_token")
        self.assertIs(self.failures[0]["sender"], OTPTokenForm)

    def test_request_keyword_is_accepted(self) -> None:
        form = OTPTokenForm(
            self.alice,
            request=None,
            data={"otp_device": self.device.persistent_id, "otp_token": "123456"},
        )
        self.assertTrue(form.is_valid(), form.errors)


class TokenOnlyForm(OTPAuthenticationFormMixin, forms.Form):
    """Shaped like two-factor's AuthenticationTokenForm: only a token, a preset device."""

    otp_token = forms.CharField()

    def __init__(self, user: Any, initial_device: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.initial_device = initial_device

    def _chosen_device(self, user: Any) -> Any:
        return super()._chosen_device(user) or self.initial_device

    def clean(self) -> dict[str, Any]:
        self.clean_otp(self.user)
        return self.cleaned_data


class MixinOnPlainFormTests(FormTestCase):
    def test_valid(self) -> None:
        form = TokenOnlyForm(self.alice, self.device, data={"otp_token": "123456"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(self.alice.otp_device, self.device)

    def test_invalid(self) -> None:
        form = TokenOnlyForm(self.alice, self.device, data={"otp_token": "999999"})
        self.assert_error(form, INVALID_TOKEN, "invalid_token")
        self.assertIsNone(self.alice.otp_device)

    def test_user_none_is_left_to_the_first_factor(self) -> None:
        form = TokenOnlyForm(None, self.device, data={"otp_token": "999999"})
        self.assertTrue(form.is_valid())

    def test_overridden_verify_token_may_raise_its_own_error(self) -> None:
        class WebAuthnLikeForm(TokenOnlyForm):
            def _verify_token(self, user: Any, token: Any, device: Any = None) -> Any:
                raise forms.ValidationError("nope", code="invalid_token")

        form = WebAuthnLikeForm(self.alice, self.device, data={"otp_token": "123456"})
        self.assert_error(form, "nope", "invalid_token")

    def test_device_chosen_by_an_override_is_verified_as_is(self) -> None:
        # Overrides (two-factor's setup flows) decide themselves which device counts;
        # django_otp.login() still refuses to mark a session verified by an unconfirmed one.
        form = TokenOnlyForm(self.alice, self.unconfirmed, data={"otp_token": "111111"})
        self.assertTrue(form.is_valid())
        self.assertEqual(self.alice.otp_device, self.unconfirmed)
