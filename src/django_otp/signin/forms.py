"""Forms of the two-step sign-in: each runs a flow in ``clean()`` and puts what it says next
to the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_otp.flows import signin
from django_otp.flows.limits import wait_text
from django_otp.flows.verify import PAGE_MESSAGES, Verification, describe
from django_otp.forms import offer_remember


class PasswordForm(AuthenticationForm):
    """The first step: username and password, within the per-client limit of the request.

    With ``passwordless`` (a passkey can sign in on the same page) the username field lets
    the browser offer passkeys in its autofill (``autocomplete="username webauthn"``).
    """

    def __init__(
        self, request: HttpRequest, *args: Any, passwordless: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(request, *args, **kwargs)
        self.client_request = request
        if passwordless:
            self.fields["username"].widget.attrs["autocomplete"] = "username webauthn"

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        result = signin.check_password(self.client_request, username, password)
        if result.error == "throttled":
            message = PAGE_MESSAGES["client_throttled"] % {"wait": wait_text(result.retry_at)}
            raise ValidationError(message, code="throttled")
        if result.error == "inactive":
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not result.ok:
            raise self.get_invalid_login_error()
        self.user_cache = result.user
        return self.cleaned_data


class CodeForm(forms.Form):
    """The second step: a code from the chosen factor; a valid form has signed the user in.

    When browsers can be remembered it has the "Trust this browser for N days" checkbox
    (``otp_remember``), which the passkey's ceremony reads too.
    """

    factor = forms.CharField(widget=forms.HiddenInput, required=False)
    otp_token = forms.CharField(label=_("Code"), required=False, max_length=64, strip=True)

    def __init__(
        self, request: HttpRequest, subject: signin.Subject, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.subject = subject
        self.result: Verification | None = None
        offer_remember(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        factor, token = data.get("factor"), data.get("otp_token")
        self.result = signin.verify(self.request, self.subject, factor, token)
        if not self.result.ok:
            error = ValidationError(describe(self.result, PAGE_MESSAGES), code=self.result.error)
            field = None if self.result.error == "device_required" else "otp_token"
            self.add_error(field, error)
        return data
