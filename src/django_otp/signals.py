"""Audit signals sent by the verification path and by device life-cycle events.

Every signal is sent after the surrounding database transaction commits, with ``sender`` set
to the device's class. Arguments never include a token or a key.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import router, transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from django.http import HttpRequest

#: The request being handled, set by ``OTPMiddleware`` so that signals can carry it.
current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "django_otp_current_request", default=None
)

#: A token was accepted. Arguments: ``device``, ``user``, ``request`` (``None`` when unknown).
verification_succeeded = Signal()

#: A token was evaluated and rejected. Arguments: ``device``, ``user``, ``request``,
#: ``reason`` (``"invalid_token"``, ``"malformed_token"``, ``"replayed_token"``, or a
#: device's own reason, such as ``"bad_signature"`` for a passkey).
verification_failed = Signal()

#: An attempt was refused without being evaluated because the device is throttled.
#: Arguments: ``device``, ``user``, ``request``, ``reason`` (the ``verify_is_allowed`` data).
verification_throttled = Signal()

#: A failure brought the device's consecutive failures to ``OTP_LOCKOUT_FAILURES``.
#: Arguments: ``device``, ``user``, ``request``, ``failure_count``, ``locked_until``.
device_locked = Signal()

#: A device showed that a copy of its secret is in use elsewhere (a passkey whose signature
#: counter went backwards); the attempt was refused. Arguments: ``device``, ``user``,
#: ``request``, ``stored_count``, ``received_count``.
device_cloned = Signal()

#: A device row was created. Arguments: ``device``, ``user``, ``request``.
device_created = Signal()

#: A device became confirmed (on creation or later). Arguments: ``device``, ``user``,
#: ``request``.
device_confirmed = Signal()

#: A device row was deleted. Arguments: ``device``, ``user``, ``request``.
device_deleted = Signal()


#: A step-up met a policy. Arguments: ``device``, ``user``, ``request``, ``policy`` (its name).
step_up_succeeded = Signal()

#: A browser was remembered ("trust this browser"); ``sender`` is the ``RememberedBrowser``
#: model. Arguments: ``browser`` (the row; never the cookie value), ``user``, ``request``.
browser_remembered = Signal()

#: Remembered browsers were revoked; ``sender`` is the ``RememberedBrowser`` model.
#: Arguments: ``browsers`` (the rows), ``user``, ``request``, ``reason`` (``"user"``,
#: ``"admin"``, ``"everything"``, ``"device_removed"`` (deleted or unconfirmed),
#: ``"password_changed"``, ``"replaced"``).
browser_revoked = Signal()

#: An account reached ``OTP_LIMITS_ACCOUNT_FAILURES`` consecutive failed codes and refuses
#: every code until an administrator resets it; ``sender`` is the ``AccountLimit`` model.
#: Arguments: ``user``, ``request``, ``failure_count``.
account_locked = Signal()

#: A client was refused at a step of the sign-in because it failed too often; ``sender`` is
#: the ``ClientLimit`` model. Arguments: ``scope`` (``"password"`` or ``"code"``), ``client``
#: (the address or IPv6 network counted), ``request``, ``retry_at``.
client_throttled = Signal()
# Changes a person makes to their own account (django_otp.flows.manage and flows.enrol, which
# the account pages and JSON views call). ``device_deleted`` and the others above report
# every row change, whoever made it; these report what the person did.

#: A person added a device to their account and confirmed it with a code.
#: Arguments: ``device``, ``user``, ``request``.
factor_added = Signal()

#: A person renamed one of their devices. Arguments: ``device``, ``user``, ``request``,
#: ``old_name``.
factor_renamed = Signal()

#: A person removed one of their devices; ``device`` is the deleted instance (its ``pk`` is
#: ``None``). Arguments: ``device``, ``user``, ``request``, ``persistent_id`` (what it was).
factor_removed = Signal()

#: A person generated backup codes, replacing all earlier ones; ``sender`` is the static
#: device's class. Arguments: ``device``, ``user``, ``request``, ``count`` (never the codes).
backup_codes_generated = Signal()

#: A person signed out everywhere: every session of theirs ends, and every remembered browser
#: (each revocation also sends ``browser_revoked``); ``sender`` is the ``AssuranceReset``
#: model. Arguments: ``user``, ``request``, ``browsers`` (how many browsers were revoked).
signed_out_everywhere = Signal()


def send_after_commit(signal: Signal, device: Any, **kwargs: Any) -> None:
    """Send ``signal`` about ``device`` once the current transaction commits.

    Nothing is prepared when the signal has no receivers (an empty receiver list is checked
    first, the cheapest test), so auditing costs nothing unless a site asks for it.
    """
    sender = type(device)
    if not signal.receivers or not signal.has_listeners(sender):
        return
    try:
        user = device.user
    except ObjectDoesNotExist:
        user = None
    db = device._state.db or router.db_for_write(sender, instance=device)
    send_event(signal, sender, using=db, device=device, user=user, **kwargs)


def send_event(signal: Signal, sender: Any, *, using: str, **kwargs: Any) -> None:
    """Send ``signal`` from ``sender`` with ``kwargs`` and the current request, after commit."""
    if not signal.receivers or not signal.has_listeners(sender):
        return
    request = current_request.get()

    def send() -> None:
        signal.send(sender=sender, request=request, **kwargs)

    transaction.on_commit(send, using=using)
