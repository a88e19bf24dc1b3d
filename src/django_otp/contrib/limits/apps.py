from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LimitsConfig(AppConfig):
    """The rows behind the sign-in limits and enforcement's grace periods (label ``otp_limits``)."""

    name = "django_otp.contrib.limits"
    label = "otp_limits"
    verbose_name = _("Sign-in limits")
    default_auto_field = "django.db.models.BigAutoField"
