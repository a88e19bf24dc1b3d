from django.apps import AppConfig


class DefaultConfig(AppConfig):
    """The otp_email plugin app (label ``otp_email``)."""

    name = "django_otp.plugins.otp_email"
    default_auto_field = "django.db.models.AutoField"
