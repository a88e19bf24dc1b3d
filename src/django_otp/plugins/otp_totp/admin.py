"""Admin for TOTP devices, with a configuration page and a QR code that provisions an app."""

from __future__ import annotations

from django.contrib import admin

from django_otp.device_admin import SecretKeyDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice


class TOTPDeviceAdmin(SecretKeyDeviceAdmin):
    """Lists, searches and edits TOTP devices; links each one to its configuration page."""

    configuration_fields = ["step", "t0", "digits", "tolerance"]
    state_fields = ["drift"]
    config_template = "otp_totp/admin/config.html"


# A site that registered its own admin for TOTPDevice keeps it.
if not admin.site.is_registered(TOTPDevice):
    admin.site.register(TOTPDevice, TOTPDeviceAdmin)
