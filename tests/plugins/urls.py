"""URLs for the admin tests of the HOTP and TOTP plugins: the default admin site and a second
site, so that tests can check that each page links within the site that serves it."""

from django.contrib import admin
from django.urls import path

from django_otp.plugins.otp_hotp.admin import HOTPDeviceAdmin
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

other_site = admin.AdminSite(name="otheradmin")
other_site.register(HOTPDevice, HOTPDeviceAdmin)
other_site.register(TOTPDevice, TOTPDeviceAdmin)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("other/", other_site.urls),
]
