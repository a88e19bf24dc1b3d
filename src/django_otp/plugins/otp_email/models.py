"""Email devices: a random numeric token sent by email, valid for a few minutes."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core import mail
from django.db import models
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext

from django_otp.app_settings import app_settings
from django_otp.internal.db import device_row, unchanged
from django_otp.models import (
    CooldownMixin,
    GenerateNotAllowed,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
)
from django_otp.util import hex_validator, random_hex

#: How often a cooldown claim is retried when a parallel request changed the row first.
_CLAIM_ATTEMPTS = 3


def default_key() -> str:
    """Default of the ``key`` field that migration 0001 created (removed since 0002)."""
    return random_hex(20)


def key_validator(value: Any) -> None:
    """Validator of the ``key`` field that migration 0001 created (removed since 0002)."""
    return hex_validator()(value)


@functools.lru_cache(maxsize=16)
def _compile(source: str) -> Template:
    """Compile a template string from settings once rather than for every email."""
    return Template(source)


class EmailDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """Sends a token to ``email``, or to the user's address when ``email`` is empty."""

    otp_method = "email"
    otp_properties = frozenset({"out_of_band"})

    # null=True is part of the schema that django-otp 1.7.5 databases already have.
    email = models.EmailField(
        max_length=254,
        blank=True,
        null=True,
        help_text="Optional alternative email address to send tokens to",
    )

    def get_cooldown_duration(self) -> int:
        """Seconds between two challenges, from ``OTP_EMAIL_COOLDOWN_DURATION``."""
        return app_settings.OTP_EMAIL_COOLDOWN_DURATION

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_EMAIL_THROTTLE_FACTOR``."""
        return app_settings.OTP_EMAIL_THROTTLE_FACTOR

    def generate_challenge(self, extra_context: dict[str, Any] | None = None) -> str:
        """Email a new token unless the cooldown is pending; return a message for the user.

        ``extra_context`` is added to the context of the body templates. An unsaved device is
        saved first.
        """
        # A subclass that overrides send_mail may deliver elsewhere than to an address.
        if type(self).send_mail is EmailDevice.send_mail and not self._recipient():
            return gettext("No email address is available to send a token to.")
        refusal = self._claim_generation()
        if refusal is None:
            try:
                self._deliver_token(extra_context)
            except Exception:
                self.cooldown_reset()  # nothing was sent: let the user ask again at once
                raise
            return gettext("sent by email")
        if refusal.get("reason") == GenerateNotAllowed.COOLDOWN_DURATION_PENDING:
            return gettext(
                "Token generation cooldown period has not expired yet. Next generation allowed %s."
            ) % naturaltime(refusal["next_generation_at"])
        return gettext("Token generation is not allowed at this time")

    def get_subject(self) -> str:
        """The subject: ``OTP_EMAIL_SUBJECT`` formatted with ``token``, or as is if it can't be."""
        subject = str(app_settings.OTP_EMAIL_SUBJECT)
        try:
            return subject.format(token=self.token)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError):
            return subject

    def send_mail(self, body: str, **kwargs: Any) -> None:
        """Send ``body`` to this device's address; ``kwargs`` go to Django's ``send_mail``."""
        mail.send_mail(
            self.get_subject(), body, app_settings.OTP_EMAIL_SENDER, [self._recipient()], **kwargs
        )

    def _recipient(self) -> str:
        """The address tokens go to: ``email``, else the user's, else ``''``."""
        return self.email or getattr(self.user, "email", None) or ""

    def _claim_generation(self) -> dict[str, Any] | None:
        """Start the cooldown if generating is allowed; return the refusal data otherwise.

        The cooldown is claimed with an UPDATE conditional on the timestamp this request saw,
        so of several parallel challenges exactly one goes on to send an email.
        """
        if self._state.adding:
            self.save()
        rows = device_row(self)
        for _ in range(_CLAIM_ATTEMPTS):
            allowed, data = self.generate_is_allowed()
            if not allowed:
                return data or {}
            seen = unchanged(last_generated_timestamp=self.last_generated_timestamp)
            now = timezone.now()
            if rows.filter(seen).update(last_generated_timestamp=now):
                self.last_generated_timestamp = now
                return None
            self.refresh_from_db(fields=["last_generated_timestamp"])
        allowed, data = self.generate_is_allowed()
        return {} if allowed else (data or {})

    def _deliver_token(self, extra_context: dict[str, Any] | None) -> None:
        """Store a new token and email it, rendered with the body templates from settings."""
        self.generate_token(valid_secs=app_settings.OTP_EMAIL_TOKEN_VALIDITY, commit=False)
        self.save(update_fields=["token", "valid_until"])
        context = {"token": self.token, **(extra_context or {})}
        body: str
        if app_settings.OTP_EMAIL_BODY_TEMPLATE:
            body = _compile(str(app_settings.OTP_EMAIL_BODY_TEMPLATE)).render(Context(context))
        else:
            body = get_template(app_settings.OTP_EMAIL_BODY_TEMPLATE_PATH).render(context)
        html_body: str | None = None
        if app_settings.OTP_EMAIL_BODY_HTML_TEMPLATE:
            html_body = _compile(str(app_settings.OTP_EMAIL_BODY_HTML_TEMPLATE)).render(
                Context(context)
            )
        elif app_settings.OTP_EMAIL_BODY_HTML_TEMPLATE_PATH:
            html_body = get_template(app_settings.OTP_EMAIL_BODY_HTML_TEMPLATE_PATH).render(context)
        self.send_mail(body, html_message=html_body)
