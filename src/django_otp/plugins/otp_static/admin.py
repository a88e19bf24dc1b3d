"""Admin for static devices, with their backup codes edited inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_otp.app_settings import app_settings
from django_otp.device_admin import DeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken


class StaticTokenForm(forms.ModelForm):
    """A backup code row; a hashed code cannot be shown, so its field may stay empty."""

    class Meta:
        model = StaticToken
        fields = ["token"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.token_hash:
            field = self.fields["token"]
            field.required = False
            field.widget.attrs["placeholder"] = _("stored as a hash")
            field.help_text = _("Leave empty to keep the code; type a new one to replace it.")


class StaticTokenInline(admin.TabularInline):
    """The backup codes of one static device."""

    model = StaticToken
    form = StaticTokenForm
    extra = 0


class StaticDeviceAdmin(DeviceAdmin):
    """Static devices with their codes inline (hidden by OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

    fieldsets = [
        ("Identity", {"fields": ["user", "name", "confirmed"]}),
        ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
    ]
    inlines = [StaticTokenInline]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[InlineModelAdmin]:
        """No token inline for an existing device while sensitive data is hidden."""
        if app_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA and obj is not None:
            return []
        return super().get_inline_instances(request, obj)


# A site that registered its own admin for StaticDevice keeps it.
if not admin.site.is_registered(StaticDevice):
    admin.site.register(StaticDevice, StaticDeviceAdmin)
