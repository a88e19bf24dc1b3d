from django.apps import AppConfig


class RememberConfig(AppConfig):
    """Remembered browsers and account-wide revocation (label ``otp_remember``)."""

    name = "django_otp.contrib.remember"
    label = "otp_remember"
    verbose_name = "Remembered browsers"
    default_auto_field = "django.db.models.BigAutoField"
