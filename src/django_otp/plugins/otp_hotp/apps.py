from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefaultConfig(AppConfig):
    """The otp_hotp plugin: label ``otp_hotp`` (fixed: the tables use it), readable name."""

    name = "django_otp.plugins.otp_hotp"
    verbose_name = _("Hardware tokens (HOTP)")
    default_auto_field = "django.db.models.AutoField"
