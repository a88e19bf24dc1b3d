"""Admin for static devices, with their backup codes edited inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.http import HttpRequest

from django_otp.conf import settings
from django_otp.device_admin import DeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken


class StaticTokenInline(admin.TabularInline):
    """The backup codes of one static device."""

    model = StaticToken
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
        if settings.OTP_ADMIN_HIDE_SENSITIVE_DATA and obj is not None:
            return []
        return super().get_inline_instances(request, obj)


# A site that registered its own admin for StaticDevice keeps it.
if not admin.site.is_registered(StaticDevice):
    admin.site.register(StaticDevice, StaticDeviceAdmin)
