from django.apps import AppConfig


class DefaultConfig(AppConfig):
    """The otp_totp plugin app (label ``otp_totp``)."""

    name = "django_otp.plugins.otp_totp"
    default_auto_field = "django.db.models.AutoField"
