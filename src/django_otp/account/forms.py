"""Forms of the account pages: they only read input; the flows decide what happens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from django_otp.flows.manage import MAX_NAME_LENGTH

__all__ = ["AppCodeForm", "CodeForm", "EmailForm", "RemoveForm", "RenameForm", "SecurityForm"]


class SecurityForm(forms.Form):
    """A form whose fields say when they are wrong: ``aria-invalid`` and the error's id."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            auto_id = self[field].auto_id
            described_by = [f"{auto_id}_errors"]
            if self.fields[field].help_text:
                described_by.append(f"{auto_id}_helptext")
            self.fields[field].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": " ".join(described_by)}
            )


def code_field(label: Any) -> forms.CharField:
    """A field for a one-time code: browsers offer codes they received, phones a keypad."""
    return forms.CharField(
        label=label,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


def name_field(required: bool = True) -> forms.CharField:
    """A device's name, as the person will recognise it in the list."""
    return forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME_LENGTH,
        required=required,
        help_text=_("So you can tell your sign-in methods apart, for example “Work phone”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CodeForm(SecurityForm):
    """The code a new device shows or received, which confirms it."""

    otp_token = code_field(_("Code"))


class AppCodeForm(CodeForm):
    """The code of a new authenticator app, and the name to give it."""

    name = name_field(required=False)

    field_order = ["otp_token", "name"]


class EmailForm(SecurityForm):
    """The address a new email device sends its codes to."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RenameForm(SecurityForm):
    """A new name for a device."""

    name = name_field()


class RemoveForm(SecurityForm):
    """Removing a device; removing the last one must be confirmed with the box."""

    confirm = forms.BooleanField(
        required=False,
        label=_("I understand that my account will then be protected by my password alone."),
    )

    def __init__(self, *args: Any, last: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not last:
            del self.fields["confirm"]
