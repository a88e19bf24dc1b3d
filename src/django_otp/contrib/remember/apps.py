from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class RememberConfig(AppConfig):
    """Remembered browsers and account-wide revocation (label ``otp_remember``)."""

    name = "django_otp.contrib.remember"
    label = "otp_remember"
    verbose_name = _("Remembered browsers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_otp.flows import remember

        post_save.connect(
            remember.password_saved,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="django_otp.remember.password_saved",
        )
