"""Admin for static devices, with their backup codes edited inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from django_otp.admin import user_model_search_fields
from django_otp.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken


class StaticTokenInline(admin.TabularInline):
    """The backup codes of one static device."""

    model = StaticToken
    extra = 0


class StaticDeviceAdmin(admin.ModelAdmin):
    """Static devices with their codes inline (hidden by OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

    User = get_user_model()
    candidate_search_field = [User.USERNAME_FIELD, "email"]
    search_fields, search_help_text = user_model_search_fields(candidate_search_field)
    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    list_filter = ["created_at", "last_used_at", "confirmed"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "last_used_at"]
    fieldsets = [
        ("Identity", {"fields": ["user", "name", "confirmed"]}),
        ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
    ]
    inlines = [StaticTokenInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Load each device's user with it, for the changelist's user column."""
        return super().get_queryset(request).select_related("user")

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[InlineModelAdmin]:
        """No token inline for an existing device while sensitive data is hidden."""
        if settings.OTP_ADMIN_HIDE_SENSITIVE_DATA and obj is not None:
            return []
        return super().get_inline_instances(request, obj)


# A site that registered its own admin for StaticDevice keeps it.
if not admin.site.is_registered(StaticDevice):
    admin.site.register(StaticDevice, StaticDeviceAdmin)
