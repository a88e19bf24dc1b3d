"""Tell the user by email that a sign-in method was added or removed, or backup codes made.

A receiver of ``factor_added``, ``factor_removed`` and ``backup_codes_generated``, connected
when the app is ready; it does nothing unless ``OTP_NOTIFY_EMAIL`` is on. Those signals go
out once, after commit, so each change sends one email. The message names the change, the
device and the time; never a code. A site changes the wording by overriding the templates
:data:`SUBJECT_TEMPLATE` and :data:`BODY_TEMPLATE`, or replaces the whole thing with a
receiver of its own (``disconnect()`` removes this one).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import timezone

from django_otp import signals
from django_otp.app_settings import app_settings

__all__ = ["BODY_TEMPLATE", "EVENTS", "SUBJECT_TEMPLATE", "connect", "disconnect", "notify"]

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "otp/account/email/changed_subject.txt"
BODY_TEMPLATE = "otp/account/email/changed.txt"

#: The signals that lead to an email, and the ``event`` the templates are given for each.
EVENTS: dict[Signal, str] = {
    signals.factor_added: "added",
    signals.factor_removed: "removed",
    signals.backup_codes_generated: "backup_codes",
}


def _address(user: Any) -> str:
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return str(getattr(user, field, "") or "")


def notify(user: Any, event: str, device: Any, request: Any = None) -> bool:
    """Email ``user`` about ``event`` concerning ``device``; ``False`` when nothing was sent.

    Nothing is sent to a user without an email address. A failure to send is logged, not
    raised: the change it reports has happened already.
    """
    address = _address(user)
    if not address:
        return False
    context = {
        "event": event,
        "user": user,
        "device_name": device.name,
        "when": timezone.now(),
        "request": request,
    }
    subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
    body = render_to_string(BODY_TEMPLATE, context)
    try:
        send_mail(subject, body, app_settings.OTP_EMAIL_SENDER, [address])
    except Exception:
        logger.exception("The %s notification to user %s could not be sent.", event, user.pk)
        return False
    return True


def _received(signal: Signal, sender: Any, device: Any, user: Any, **kwargs: Any) -> None:
    if app_settings.OTP_NOTIFY_EMAIL and user is not None:
        notify(user, EVENTS[signal], device, kwargs.get("request"))


def connect() -> None:
    """Connect the notifying receiver to the signals of :data:`EVENTS`."""
    for signal in EVENTS:
        signal.connect(_received, dispatch_uid="django_otp.flows.notify")


def disconnect() -> None:
    """Disconnect the notifying receiver (for a site that sends its own messages)."""
    for signal in EVENTS:
        signal.disconnect(dispatch_uid="django_otp.flows.notify")
