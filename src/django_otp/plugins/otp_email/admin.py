"""Admin for email devices."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from django_otp.admin import user_model_search_fields
from django_otp.plugins.otp_email.models import EmailDevice


def _search_fields() -> tuple[list[str], str]:
    """Search by the user's username and email, and by the device's own email."""
    user_fields, help_text = user_model_search_fields([get_user_model().USERNAME_FIELD, "email"])
    return [*user_fields, "email"], help_text


class EmailDeviceAdmin(admin.ModelAdmin):
    """Email devices: who they belong to, when they were used and where tokens go."""

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    list_filter = ["created_at", "last_used_at", "confirmed"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "last_used_at"]
    search_fields, search_help_text = _search_fields()
    fieldsets = [
        ("Identity", {"fields": ["user", "name", "confirmed"]}),
        ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
        ("Configuration", {"fields": ["email"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Load each device's user with it, for the changelist's user column."""
        return super().get_queryset(request).select_related("user")


# A site that registered its own admin for EmailDevice keeps it.
if not admin.site.is_registered(EmailDevice):
    admin.site.register(EmailDevice, EmailDeviceAdmin)
