"""Forms that ask for a one-time token, alone or together with a username and password.

:class:`OTPAuthenticationFormMixin` holds the whole second-factor step; the forms only
declare fields. A form that validates leaves the verifying device in ``user.otp_device``,
so Django's ``login()`` marks the session as verified (see :mod:`django_otp`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from django_otp import device_to_verify, devices_for_user
from django_otp.app_settings import app_settings
from django_otp.assurance.proofs import device_proof
from django_otp.flows import remember
from django_otp.flows import verify as flows
from django_otp.flows.verify import Challenge, Verification
from django_otp.models import Device

#: Sent when a device was allowed to verify and rejected the token.
#: Arguments: ``sender`` (the form class) and ``user``.
otp_verification_failed = Signal()

#: Flow errors that the form contract raises without a ``ValidationError`` code.
_UNCODED = frozenset({"throttled", "verification_not_allowed"})


class OTPAuthenticationFormMixin:
    """The second-factor step of a form with ``otp_device``, ``otp_token``, ``otp_challenge``.

    Call :meth:`clean_otp` from ``clean()`` once the user is known. Every field is optional:
    a form may offer only ``otp_token`` and choose the device in :meth:`_chosen_device`.
    The work is done by :mod:`django_otp.flows`; this mixin turns its results into form
    errors with the messages of :attr:`otp_error_messages`.
    """

    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    otp_error_messages = dict(flows.MESSAGES)

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

    def _flow_error(self, result: Verification | Challenge) -> ValidationError:
        """The form error for a flow result, with this form's messages and the spec's codes."""
        message = flows.describe(result, self.otp_error_messages)
        if isinstance(result, Challenge) and result.ok:
            return ValidationError(message, code="challenge_message")
        code = None if result.error in _UNCODED else result.error
        return ValidationError(message, code=code)

    def _chosen_device(self, user: Any) -> Device | None:
        """The selected device, locked for update; ``None`` unless it is confirmed and ours."""
        device_id = self.cleaned_data.get("otp_device")
        return device_to_verify(user, device_id) if device_id else None

    def _handle_challenge(self, device: Device | None) -> None:
        """Generate a challenge on ``device``; always raises, with the outcome as message."""
        result = flows.challenge_device(device)
        raise self._flow_error(result) from result.exception

    def _verify_token(self, user: Any, token: Any, device: Device | None = None) -> Device:
        """Return ``device`` if it accepts ``token``, else raise the matching error."""
        result = flows.verify_device(device, token)
        if result.ok and device is not None:
            return device
        if result.error == "invalid_token":
            otp_verification_failed.send(sender=self.__class__, user=user)
        raise self._flow_error(result)

    def _update_form(self, user: Any) -> None:
        """Prepare the form to be shown again: list the user's devices, keep the password."""
        if "otp_device" in self.fields:
            self.fields["otp_device"].widget.choices = self.device_choices(user)
        if "password" in self.fields:
            self.fields["password"].widget.render_value = True

    @staticmethod
    def device_choices(user: Any) -> list[tuple[str, str]]:
        """Choices for ``otp_device``: a blank entry, then the user's confirmed devices that
        take a typed code (a passkey is proved by its own ceremony, not in this form)."""
        choices = [("", "---------")]
        choices.extend(
            (device.persistent_id, device.name)
            for device in devices_for_user(user)
            if device.otp_ceremony_template is None
        )
        return choices


def otp_login_fields() -> tuple[forms.Field, forms.Field, forms.Field]:
    """New ``otp_device``, ``otp_token`` and ``otp_challenge`` fields for a login form.

    The device is a plain ``CharField`` shown as a ``Select`` whose choices are filled in
    once the password was accepted; the challenge field only detects its submit button.
    """
    return (
        forms.CharField(required=False, widget=forms.Select),
        forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})),
        forms.CharField(required=False),
    )


#: The name of the "trust this browser" checkbox.
REMEMBER_FIELD = "otp_remember"


def offer_remember(form: forms.BaseForm) -> None:
    """Add the "Trust this browser for N days" checkbox to ``form`` when browsers can be
    remembered (see :mod:`django_otp.flows.remember`); otherwise leave ``form`` as it is."""
    if not remember.enabled():
        return
    label = ngettext_lazy(
        "Trust this browser for %(days)d day", "Trust this browser for %(days)d days", "days"
    ) % {"days": app_settings.OTP_REMEMBER_DAYS}
    form.fields[REMEMBER_FIELD] = forms.BooleanField(
        required=False,
        label=label,
        help_text=_(
            "Signing in on this browser will not need a code. Leave it unticked on a shared "
            "computer."
        ),
    )


class OTPAuthenticationForm(OTPAuthenticationFormMixin, AuthenticationForm):
    """Username, password and one-time token in one form."""

    otp_device, otp_token, otp_challenge = otp_login_fields()

    def clean(self) -> dict[str, Any]:
        self.cleaned_data = super().clean()
        self.clean_otp(self.get_user())
        return self.cleaned_data


class OTPTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """A one-time token for a user who is already authenticated."""

    otp_device = forms.ChoiceField(choices=[])
    otp_token, otp_challenge = otp_login_fields()[1:]

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


class StepUpForm(OTPTokenForm):
    """``OTPTokenForm`` that offers only the user's devices that can help to meet ``policy``,
    and "trust this browser" when browsers can be remembered."""

    def __init__(self, user: Any, policy: Any, *args: Any, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(user, None, *args, **kwargs)
        offer_remember(self)

    def device_choices(self, user: Any) -> list[tuple[str, str]]:  # type: ignore[override]
        """A blank entry, then the confirmed devices that take a code and that the policy
        accepts (devices proved by a browser ceremony are offered by :meth:`ceremonies`)."""
        choices = [("", "---------")]
        for device in devices_for_user(user):
            if device.otp_ceremony_template is None and self.policy.accepts(
                device_proof(device, 0)
            ):
                choices.append((device.persistent_id, device.name))
        return choices

    def ceremonies(self) -> list[str]:
        """The templates of the device types proved in the browser (passkeys) that the user
        has and the policy accepts, once per type."""
        templates: list[str] = []
        for device in devices_for_user(self.user):
            template = device.otp_ceremony_template
            if template is None or template in templates:
                continue
            if self.policy.accepts(device_proof(device, 0)):
                templates.append(template)
        return templates
