"""Forms that ask for a one-time token, alone or together with a username and password.

:class:`OTPAuthenticationFormMixin` holds the whole second-factor step; the forms only
declare fields. A form that validates leaves the verifying device in ``user.otp_device``,
so Django's ``login()`` marks the session as verified (see :mod:`django_otp`).
"""

from __future__ import annotations

import operator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.dispatch import Signal
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from django_otp import device_to_verify, devices_for_user, signals
from django_otp.models import Device, VerifyNotAllowed
from django_otp.signals import send_after_commit

#: Sent when a device was allowed to verify and rejected the token.
#: Arguments: ``sender`` (the form class) and ``user``.
otp_verification_failed = Signal()

_lazy_percent = lazy(operator.mod, str)


class OTPAuthenticationFormMixin:
    """The second-factor step of a form with ``otp_device``, ``otp_token``, ``otp_challenge``.

    Call :meth:`clean_otp` from ``clean()`` once the user is known. Every field is optional:
    a form may offer only ``otp_token`` and choose the device in :meth:`_chosen_device`.
    """

    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    otp_error_messages = {
        "token_required": _("Please enter your OTP token."),
        "challenge_exception": _("Error generating challenge: {0}"),
        "not_interactive": _("The selected OTP device is not interactive"),
        "challenge_message": _("OTP Challenge: {0}"),
        "invalid_token": _("Invalid token. Please make sure you have entered it correctly."),
        "n_failed_attempts": ngettext_lazy(
            "Verification temporarily disabled because of %(failure_count)d failed attempt, "
            "please try again soon.",
            "Verification temporarily disabled because of %(failure_count)d failed attempts, "
            "please try again soon.",
            "failure_count",
        ),
        "verification_not_allowed": _("Verification of the token is currently disabled"),
        "device_required": _("Please select a device."),
    }

    def clean_otp(self, user: Any) -> None:
        """Verify the submitted token (or send a challenge) for ``user``; no-op if ``None``.

        Throttling counters written while verifying are committed even when the form fails.
        """
        if user is None:
            return
        error = None
        with transaction.atomic():
            try:
                self._otp_step(user)
            except ValidationError as e:
                error = e
        if error is not None:
            raise error

    def _otp_step(self, user: Any) -> None:
        device = self._chosen_device(user)
        token = self.cleaned_data.get("otp_token")
        user.otp_device = None
        database_failed = False
        try:
            if self.cleaned_data.get("otp_challenge"):
                self._handle_challenge(device)
            elif token:
                user.otp_device = self._verify_token(user, token, device)
            else:
                raise self._otp_error("token_required")
        except DatabaseError:
            # Querying again inside a broken transaction would hide the real error.
            database_failed = True
            raise
        finally:
            if user.otp_device is None and not database_failed:
                self._update_form(user)

    def _otp_error(self, key: str, message: Any = None) -> ValidationError:
        return ValidationError(
            self.otp_error_messages[key] if message is None else message, code=key
        )

    def _chosen_device(self, user: Any) -> Device | None:
        """The selected device, locked for update; ``None`` unless it is confirmed and ours."""
        device_id = self.cleaned_data.get("otp_device")
        return device_to_verify(user, device_id) if device_id else None

    def _handle_challenge(self, device: Device | None) -> None:
        """Generate a challenge on ``device``; always raises, with the outcome as message."""
        challenge = None
        if device is not None:
            try:
                challenge = device.generate_challenge()
            except Exception as e:
                message = format_lazy(self.otp_error_messages["challenge_exception"], e)
                raise self._otp_error("challenge_exception", message) from e
        if challenge is None:
            raise self._otp_error("not_interactive")
        message = format_lazy(self.otp_error_messages["challenge_message"], challenge)
        raise self._otp_error("challenge_message", message)

    def _verify_token(self, user: Any, token: Any, device: Device | None = None) -> Device:
        """Return ``device`` if it accepts ``token``, else raise the matching error."""
        if device is None:
            raise self._otp_error("device_required")
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            extra = extra or {}
            send_after_commit(signals.verification_throttled, device, reason=extra)
            if extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                message = _lazy_percent(self.otp_error_messages["n_failed_attempts"], extra)
                raise ValidationError(message)
            if "error_message" in extra:
                raise ValidationError(extra["error_message"])
            raise ValidationError(self.otp_error_messages["verification_not_allowed"])
        if device.verify_token(token):
            return device
        otp_verification_failed.send(sender=self.__class__, user=user)
        raise self._otp_error("invalid_token")

    def _update_form(self, user: Any) -> None:
        """Prepare the form to be shown again: list the user's devices, keep the password."""
        if "otp_device" in self.fields:
            self.fields["otp_device"].widget.choices = self.device_choices(user)
        if "password" in self.fields:
            self.fields["password"].widget.render_value = True

    @staticmethod
    def device_choices(user: Any) -> list[tuple[str, str]]:
        """Choices for ``otp_device``: a blank entry, then the user's confirmed devices."""
        choices = [("", "---------")]
        choices.extend((device.persistent_id, device.name) for device in devices_for_user(user))
        return choices


class OTPAuthenticationForm(OTPAuthenticationFormMixin, AuthenticationForm):
    """Username, password and one-time token in one form."""

    otp_device = forms.CharField(required=False, widget=forms.Select)
    otp_token = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    otp_challenge = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        self.cleaned_data = super().clean()
        self.clean_otp(self.get_user())
        return self.cleaned_data


class OTPTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """A one-time token for a user who is already authenticated."""

    otp_device = forms.ChoiceField(choices=[])
    otp_token = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    otp_challenge = forms.CharField(required=False)

    def __init__(self, user: Any, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["otp_device"].choices = self.device_choices(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_otp(self.user)
        return self.cleaned_data

    def get_user(self) -> Any:
        """The user being verified."""
        return self.user
