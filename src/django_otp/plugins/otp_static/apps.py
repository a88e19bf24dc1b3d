from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefaultConfig(AppConfig):
    """The otp_static plugin: label ``otp_static`` (fixed: the tables use it), readable name."""

    name = "django_otp.plugins.otp_static"
    verbose_name = _("Backup codes")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        # The system checks load here too, so that django_otp.E003 can report a missing core app.
        from django_otp import checks  # noqa: F401
