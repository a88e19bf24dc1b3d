"""The sign-in limits as the flows apply them: per account and per client, and their waits.

The account limit applies to every verification through
:func:`django_otp.flows.verify.verify_device` (pages, forms, JSON views alike); the client
limit to the steps of the sign-in. Both count in the rows of ``django_otp.contrib.limits``
(see :mod:`django_otp.contrib.limits.counters`); without that app every function here admits
everything and writes nothing.

The client is the address of ``REMOTE_ADDR``; behind ``OTP_LIMITS_TRUSTED_PROXIES`` proxies it
is the address the outermost of them saw, read from ``OTP_LIMITS_PROXY_HEADER``. An IPv6
client counts by its /64 network, which one subscriber usually holds whole.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
from typing import Any

from django.apps import apps
from django.db import router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from django_otp import signals
from django_otp.app_settings import app_settings

__all__ = [
    "APP_LABEL",
    "account_failed",
    "claim_account",
    "claim_client",
    "client_address",
    "installed",
    "release_client",
    "settle_account",
    "wait_text",
]

#: The label of the app that holds the limits' rows.
APP_LABEL = "otp_limits"

#: Longest client key stored (the column's length).
_CLIENT_LENGTH = 64


def installed() -> bool:
    """Whether ``django_otp.contrib.limits`` is installed, so that the limits apply."""
    return APP_LABEL in apps.app_configs


def _network(address: str) -> str:
    """The key of one client: an IPv4 address, or the /64 network of an IPv6 address."""
    text = address.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return address.strip()[:_CLIENT_LENGTH] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    """The client a per-client limit counts for ``request`` (see the module docstring).

    With ``OTP_LIMITS_TRUSTED_PROXIES = n``, the address is the n-th from the right of the
    forwarding header, the one the outermost trusted proxy appended; a header with fewer
    entries did not come through all of them, and ``REMOTE_ADDR`` is used.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    proxies = app_settings.OTP_LIMITS_TRUSTED_PROXIES
    if proxies:
        header = request.headers.get(str(app_settings.OTP_LIMITS_PROXY_HEADER)) or ""
        hops = [hop.strip() for hop in header.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    return _network(address)


def claim_client(request: HttpRequest, scope: str) -> Any:
    """Count an attempt of the request's client at ``scope`` (``"password"``, ``"code"``).

    Returns the :class:`~django_otp.contrib.limits.counters.Admission`, or ``None`` when the
    limits are not installed. A refusal sends :data:`~django_otp.signals.client_throttled`.
    """
    if not installed():
        return None
    from django_otp.contrib.limits import counters, models

    client = client_address(request)
    admission = counters.claim_client(scope, client)
    if not admission.admitted:
        signals.send_event(
            signals.client_throttled,
            models.ClientLimit,
            using=router.db_for_write(models.ClientLimit),
            scope=scope,
            client=client,
            retry_at=admission.retry_at,
        )
    return admission


def release_client(request: HttpRequest, scope: str) -> None:
    """Give back the request's attempt at ``scope``: it succeeded."""
    if installed():
        from django_otp.contrib.limits import counters

        counters.release_client(scope, client_address(request))


def claim_account(device: Any) -> Any:
    """Count an attempt on the account of ``device``'s user; ``None`` without the limits."""
    if not installed():
        return None
    from django_otp.contrib.limits import counters

    return counters.claim_account(device.user_id)


def settle_account(device: Any, admission: Any, *, accepted: bool) -> None:
    """After an attempt that was not a failure: reset the account (a right code) or give the
    claimed attempt back (the device refused it without evaluating it)."""
    if admission is None or not admission.admitted:
        return
    from django_otp.contrib.limits import counters

    if accepted:
        counters.reset_account(device.user_id)
    else:
        counters.release_account(device.user_id)


def account_failed(device: Any, admission: Any) -> Any:
    """After a wrong code: what the account now refuses (``None`` if nothing).

    The failure that reaches ``OTP_LIMITS_ACCOUNT_FAILURES`` sends
    :data:`~django_otp.signals.account_locked`.
    """
    if admission is None or not admission.admitted:
        return None
    refusal = admission.after_failure()
    if refusal is not None and refusal.locked:
        from django_otp.contrib.limits import models

        signals.send_event(
            signals.account_locked,
            models.AccountLimit,
            using=router.db_for_write(models.AccountLimit),
            user=device.user,
            failure_count=admission.failures,
        )
    return refusal


def wait_text(until: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """How long until ``until``, in words, rounded up ("45 seconds", "3 minutes").

    Never less than a second: ``None``, or a time that has passed, reads "1 second".
    """
    now = now or timezone.now()
    seconds = ((until or now) - now).total_seconds()
    count = max(1, math.ceil(seconds))
    if count < 60:
        return ngettext("%(count)d second", "%(count)d seconds", count) % {"count": count}
    count = math.ceil(count / 60)
    if count < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
    count = math.ceil(count / 60)
    if count < 48:
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    count = math.ceil(count / 24)
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
