from django.apps import AppConfig


class DefaultConfig(AppConfig):
    """The otp_static plugin app (label ``otp_static``)."""

    name = "django_otp.plugins.otp_static"
    default_auto_field = "django.db.models.AutoField"
