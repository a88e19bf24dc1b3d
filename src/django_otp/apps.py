from django.apps import AppConfig


class DjangoOTPConfig(AppConfig):
    """The core app (label ``django_otp``): templates, static files, checks, signals."""

    name = "django_otp"

    def ready(self) -> None:
        from django_otp import checks, lifecycle  # noqa: F401  (checks register on import)
        from django_otp.flows import notify
        from django_otp.signin import checks as signin_checks  # noqa: F401

        lifecycle.connect()
        notify.connect()
