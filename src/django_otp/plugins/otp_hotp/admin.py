"""Admin for HOTP devices, with a configuration page and a QR code that provisions an app."""

from __future__ import annotations

from django.contrib import admin

from django_otp.device_admin import SecretKeyDeviceAdmin
from django_otp.plugins.otp_hotp.models import HOTPDevice


class HOTPDeviceAdmin(SecretKeyDeviceAdmin):
    """Lists, searches and edits HOTP devices; links each one to its configuration page."""

    configuration_fields = ["digits", "tolerance"]
    state_fields = ["counter"]
    config_template = "otp_hotp/admin/config.html"


# A site that registered its own admin for HOTPDevice keeps it.
if not admin.site.is_registered(HOTPDevice):
    admin.site.register(HOTPDevice, HOTPDeviceAdmin)
