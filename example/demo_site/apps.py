"""Django's admin app for the demo, with an OTPAdminSite as its default ``admin.site``."""

from django.contrib.admin import apps


class OTPAdminConfig(apps.AdminConfig):
    """``django.contrib.admin`` whose default site requires a one-time password."""

    # Never the configuration of the app this module is in (demo_site). The module imports
    # django.contrib.admin.apps, not its AdminConfig, for the same reason: Django takes the
    # one AppConfig class an apps module names as the app's configuration.
    default = False
    default_site = "django_otp.admin.OTPAdminSite"
