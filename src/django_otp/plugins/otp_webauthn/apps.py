import mimetypes

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefaultConfig(AppConfig):
    """The otp_webauthn plugin: passkeys and security keys (label ``otp_webauthn``)."""

    name = "django_otp.plugins.otp_webauthn"
    label = "otp_webauthn"
    verbose_name = _("Passkeys and security keys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Browsers run a module only when it is served as JavaScript; older Pythons do not
        # know the .mjs extension, so static file servers built on mimetypes learn it here.
        mimetypes.add_type("text/javascript", ".mjs")
        # The system checks (the RP id, origins and hosts) load with the plugin.
        from django_otp import checks  # noqa: F401
