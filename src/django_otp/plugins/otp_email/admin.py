"""Admin for email devices."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from django_otp.admin import user_model_search_fields
from django_otp.device_admin import DeviceAdmin
from django_otp.plugins.otp_email.models import EmailDevice


def _search_fields() -> tuple[list[str], str]:
    """Search by the user's username and email, and by the device's own email."""
    user_fields, help_text = user_model_search_fields([get_user_model().USERNAME_FIELD, "email"])
    return [*user_fields, "email"], help_text


class EmailDeviceAdmin(DeviceAdmin):
    """Email devices: who they belong to, when they were used and where tokens go."""

    search_fields, search_help_text = _search_fields()
    fieldsets = [
        ("Identity", {"fields": ["user", "name", "confirmed"]}),
        ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
        ("Configuration", {"fields": ["email"]}),
    ]


# A site that registered its own admin for EmailDevice keeps it.
if not admin.site.is_registered(EmailDevice):
    admin.site.register(EmailDevice, EmailDeviceAdmin)
