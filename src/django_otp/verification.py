"""The one path that decides a token: normalise, throttle, match, consume, record, signal.

Every built-in device's ``verify_token`` runs :func:`verify`. A device contributes two hooks
(``normalize_token`` and ``find_token_match``); everything that protects the decision is here:

* **Throttling is claimed before the token is looked at.** When the device throttles, an
  attempt first counts itself as a failure with a conditional ``UPDATE`` on the failure
  count and timestamp it saw; only the attempt whose ``UPDATE`` changed the row goes on, so
  parallel guesses cannot outrun the limit. A success undoes the claim.
* **A token is consumed by one conditional write** whose row count decides the outcome, so a
  code accepted in one request cannot be accepted again by a parallel one, on any database.
* **Signals go out after commit** and never carry the token.

This module works on devices through those hooks and never imports the models.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.signals import current_request, send_after_commit

if TYPE_CHECKING:
    from django_otp.models import Device, SideChannelDevice

__all__ = ["Attempt", "TokenMatch", "current_request", "verify", "verify_any"]

#: How often a throttling claim is retried when a parallel attempt changed the row first.
_CLAIM_ATTEMPTS = 3


@dataclass
class TokenMatch:
    """How to consume a token that matched, returned by ``Device.find_token_match``.

    ``condition`` must still hold on the device's row at write time (for example
    ``Q(last_t__lt=t)``), ``changes`` are written with it, and ``claim`` (optional) consumes
    something outside the device row first, returning ``False`` if it was already gone.
    """

    condition: Q = field(default_factory=Q)
    changes: dict[str, Any] = field(default_factory=dict)
    claim: Callable[[], bool] | None = None


class _Lost(Exception):
    """A parallel request consumed the token first."""


def _throttles(device: Device) -> bool:
    return hasattr(device, "throttle_delay") and bool(device.throttling_enabled)  # type: ignore[attr-defined]


def _db(device: Device) -> str:
    return device._state.db or router.db_for_write(type(device), instance=device)


class Attempt:
    """One verification attempt on one device, in the order the path runs its steps."""

    def __init__(self, device: Device, token: Any, *, throttle: bool = True) -> None:
        self.device = device
        self.token = token
        self.throttle = throttle
        self.now = timezone.now()
        self.db = _db(device)
        self.claimed_from: tuple[int, datetime.datetime | None] | None = None
        self.normalized: str | None = None
        self.match: TokenMatch | None = None

    def _rows(self) -> Any:
        return type(self.device)._base_manager.using(self.db).filter(pk=self.device.pk)

    def admit(self) -> bool:
        """Check the throttle and, where the device throttles, claim a place against it."""
        if not self.throttle:
            return True
        if _throttles(self.device):
            refusal = self._claim()
        else:
            allowed, data = self.device.verify_is_allowed()
            refusal = None if allowed else (data or {})
        if refusal is not None:
            send_after_commit(signals.verification_throttled, self.device, reason=refusal)
            return False
        return True

    def _claim(self) -> dict[str, Any] | None:
        device: Any = self.device
        rows = self._rows()
        for _ in range(_CLAIM_ATTEMPTS):
            allowed, data = device.verify_is_allowed()
            if not allowed:
                return data or {}
            count = device.throttling_failure_count
            stamp = device.throttling_failure_timestamp
            if rows.filter(_failures_are(count, stamp)).update(
                throttling_failure_count=count + 1, throttling_failure_timestamp=self.now
            ):
                device.throttling_failure_count = count + 1
                device.throttling_failure_timestamp = self.now
                self.claimed_from = (count, stamp)
                return None
            device.refresh_from_db(
                using=self.db,
                fields=["throttling_failure_count", "throttling_failure_timestamp"],
            )
        allowed, data = device.verify_is_allowed()
        return (data or {}) if not allowed else {"reason": "contention"}

    def evaluate(self) -> TokenMatch | None:
        """Normalise the token and ask the device for a match, without writing."""
        self.normalized = self.device.normalize_token(self.token)
        if self.normalized is not None:
            self.match = self.device.find_token_match(self.normalized)
        return self.match

    def consume(self) -> bool:
        """Apply the match with one conditional write; ``False`` if a parallel request won."""
        match = self.match
        if match is None:
            return False
        device = self.device
        changes = {**match.changes, **device.verification_success_changes(self.now)}
        try:
            with transaction.atomic(using=self.db):
                if match.claim is not None and not match.claim():
                    raise _Lost
                rows = self._rows().filter(match.condition)
                updated = rows.update(**changes) if changes else int(rows.exists())
                if updated != 1:
                    raise _Lost
        except _Lost:
            return False
        for name, value in changes.items():
            setattr(device, name, value)
        send_after_commit(signals.verification_succeeded, device)
        return True

    def fail(self) -> None:
        """Record the failure (already counted if claimed) and report it."""
        device: Any = self.device
        if self.throttle and hasattr(device, "throttling_failure_count"):
            if self.claimed_from is None:
                self._rows().update(
                    throttling_failure_count=F("throttling_failure_count") + 1,
                    throttling_failure_timestamp=self.now,
                )
                device.throttling_failure_count += 1
                device.throttling_failure_timestamp = self.now
            self._report_lockout()
        send_after_commit(signals.verification_failed, device, reason=self._failure_reason())

    def release(self) -> None:
        """Give back a claimed place: the token was never really tried on this device."""
        if self.claimed_from is None:
            return
        device: Any = self.device
        count, stamp = self.claimed_from
        self._rows().filter(_failures_are(count + 1, self.now)).update(
            throttling_failure_count=count, throttling_failure_timestamp=stamp
        )
        device.throttling_failure_count = count
        device.throttling_failure_timestamp = stamp
        self.claimed_from = None

    def _failure_reason(self) -> str:
        if self.normalized is None:
            return "malformed_token"
        if self.match is not None:
            return "replayed_token"
        return "invalid_token"

    def _report_lockout(self) -> None:
        device: Any = self.device
        threshold = app_settings.OTP_LOCKOUT_FAILURES
        if threshold > 0 and device.throttling_failure_count == threshold:
            allowed, data = device.verify_is_allowed()
            send_after_commit(
                signals.device_locked,
                device,
                failure_count=device.throttling_failure_count,
                locked_until=None if allowed else (data or {}).get("locked_until"),
            )


def _failures_are(count: int, stamp: datetime.datetime | None) -> Q:
    """The condition that the throttling fields still hold what this attempt saw."""
    if stamp is None:
        return Q(throttling_failure_count=count, throttling_failure_timestamp__isnull=True)
    return Q(throttling_failure_count=count, throttling_failure_timestamp=stamp)


def verify(device: Device, token: Any, *, throttle: bool = True) -> bool:
    """Decide ``token`` for ``device``: the body of every built-in ``verify_token``.

    With ``throttle=False`` the device's own ``verify_is_allowed`` and failure counting are
    left to the caller (as ``SideChannelDevice`` subclasses written for django-otp expect).
    """
    attempt = Attempt(device, token, throttle=throttle)
    if not attempt.admit():
        return False
    attempt.evaluate()
    if attempt.consume():
        return True
    attempt.fail()
    return False


def verify_any(devices: list[Device], token: Any) -> Device | None:
    """Try ``token`` on each device; the first that accepts it is returned.

    Every admitted device counts the attempt first; when one accepts, the others are given
    their place back, so a correct code for one device never throttles the user's others.
    """
    attempts = [Attempt(device, token) for device in devices]
    admitted = [attempt for attempt in attempts if attempt.admit()]
    for attempt in admitted:
        if attempt.evaluate() is not None and attempt.consume():
            for other in admitted:
                if other is not attempt:
                    other.release()
            return attempt.device
    for attempt in admitted:
        attempt.fail()
    return None


def match_side_channel_token(device: SideChannelDevice, token: str) -> TokenMatch | None:
    """Match the token stored on a side-channel device while it is valid."""
    stored = device.token
    if stored is None or not constant_time_compare(token, stored):
        return None
    now = timezone.now()
    if not now < device.valid_until:
        return None
    return TokenMatch(condition=Q(token=stored, valid_until__gt=now))
