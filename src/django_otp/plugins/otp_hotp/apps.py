from django.apps import AppConfig


class DefaultConfig(AppConfig):
    """The otp_hotp plugin app (label ``otp_hotp``)."""

    name = "django_otp.plugins.otp_hotp"
    default_auto_field = "django.db.models.AutoField"
