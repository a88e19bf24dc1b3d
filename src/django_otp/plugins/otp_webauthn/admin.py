"""Admin for passkeys and security keys: list, rename, remove; never the key material.

Credentials are made by the registration ceremony only, so the admin cannot add one, and the
credential id and public key are not shown (nor searchable).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from django_otp.device_admin import DeviceAdmin
from django_otp.plugins.otp_webauthn.models import WebAuthnDevice

#: What the authenticator told about itself: shown, never edited.
AUTHENTICATOR_FIELDS = (
    "kind",
    "transports",
    "aaguid",
    "backup_eligible",
    "backup_state",
    "user_verified",
    "discoverable",
    "sign_count",
)


class WebAuthnDeviceAdmin(DeviceAdmin):
    """Passkeys and security keys: whose, which kind, when used; the name can be changed."""

    list_display = ["user", "name", "kind", "created_at", "last_used_at", "confirmed"]
    list_filter = ["backup_eligible", "created_at", "last_used_at", "confirmed"]
    fieldsets = [
        ("Identity", {"fields": ["user", "name", "confirmed"]}),
        ("Timestamps", {"fields": ["created_at", "last_used_at"]}),
        ("Authenticator", {"fields": AUTHENTICATOR_FIELDS}),
    ]
    readonly_fields = ["user", "created_at", "last_used_at", *AUTHENTICATOR_FIELDS]
    raw_id_fields = []

    @admin.display(description="kind")
    def kind(self, device: WebAuthnDevice) -> str:
        """Passkey (synced or on one device) or security key."""
        if device.backup_eligible:
            return "passkey (synced)"
        return "passkey (this device only)" if device.kind == "passkey" else "security key"

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        """The user is read-only: a credential stays with the account that made it."""
        return []

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Only the registration ceremony adds credentials."""
        return False


# A site that registered its own admin for WebAuthnDevice keeps it.
if not admin.site.is_registered(WebAuthnDevice):
    admin.site.register(WebAuthnDevice, WebAuthnDeviceAdmin)
