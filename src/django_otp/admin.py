"""An admin site that requires a verified session, its login form, and admin helpers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest

from django_otp import checks  # noqa: F401  (registers django_otp.E003 if the core app is missing)
from django_otp.forms import OTPAuthenticationFormMixin, otp_login_fields
from django_otp.middleware import request_is_verified


def user_model_search_fields(field_names: list[str]) -> tuple[list[str], str]:
    """Return admin ``search_fields`` on the device's user and a help text naming them.

    Names that the active user model lacks are skipped, so plugin admins work with any
    custom user model.
    """
    user_model = get_user_model()
    search_fields = []
    labels = []
    for name in field_names:
        try:
            field = user_model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        verbose_name = getattr(field, "verbose_name", None)
        if verbose_name is None:
            continue
        search_fields.append(f"user__{name}")
        labels.append(str(verbose_name))
    if not labels:
        return search_fields, ""
    if len(labels) == 1:
        return search_fields, f"Search by user's {labels[0]}"
    return search_fields, f"Search by user's {', '.join(labels[:-1])} or {labels[-1]}"


class OTPAdminAuthenticationForm(AdminAuthenticationForm, OTPAuthenticationFormMixin):
    """The admin login form (active staff only) with a one-time token."""

    otp_device, otp_token, otp_challenge = otp_login_fields()

    def clean(self) -> dict[str, Any]:
        self.cleaned_data = super().clean()
        self.clean_otp(self.get_user())
        return self.cleaned_data


def _admin_template_for_django_version() -> str:
    """The login template of :class:`OTPAdminSite` (one template serves every Django)."""
    return "otp/admin111/login.html"


class OTPAdminSite(admin.AdminSite):
    """An admin site that only lets in active staff whose session is verified by a device."""

    #: Default instance name and URL namespace.
    name = "otpadmin"

    login_form = OTPAdminAuthenticationForm
    login_template = _admin_template_for_django_version()

    def __init__(self, name: str = "otpadmin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        """Django's check (active staff) and a session verified by a device."""
        return super().has_permission(request) and request_is_verified(request)
