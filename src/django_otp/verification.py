"""The one path that decides a token: normalise, throttle, match, consume, record, signal.

Every built-in device's ``verify_token`` runs :func:`verify`. A device contributes two hooks
(``normalize_token`` and ``find_token_match``); everything that protects the decision is here:

* **One conditional write decides each attempt.** A success consumes the token (a TOTP
  step, an HOTP counter, a backup code, an emailed code) and a failure counts itself, each
  with an ``UPDATE`` whose ``WHERE`` clause requires that the row still holds the throttling
  state the attempt was judged against (and, for a success, that the token is still
  unused). The row count decides: of parallel attempts judged against the same state, one
  takes effect; the others read the device again and are judged afresh, which for a
  throttled device means refused. So parallel guesses cannot outrun the limit, and a code
  is accepted once, on every database, from any number of processes.
* **Signals go out after commit** and never carry the token.

This module works on devices through those hooks and never imports the models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.signals import current_request, send_after_commit

if TYPE_CHECKING:
    from django_otp.models import Device, SideChannelDevice

__all__ = [
    "Attempt",
    "TokenMatch",
    "current_request",
    "device_row",
    "unchanged",
    "verify",
    "verify_any",
]

#: How often an attempt is judged afresh when a parallel attempt changed the device first.
_ATTEMPTS = 3


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


def _counts_failures(device: Device) -> bool:
    """Whether the device has the throttling fields (it mixes in ``ThrottlingMixin``)."""
    return hasattr(device, "throttling_failure_count")


def _throttles(device: Device) -> bool:
    return _counts_failures(device) and bool(device.throttling_enabled)  # type: ignore[attr-defined]


def device_row(device: Device) -> QuerySet:
    """A queryset of exactly the device's own row, on the database it came from."""
    db = device._state.db or router.db_for_write(type(device), instance=device)
    return type(device)._base_manager.using(db).filter(pk=device.pk)


def unchanged(**seen: Any) -> Q:
    """The condition that each named column still holds the value seen (``None`` as NULL).

    A write filtered on it takes effect only if no parallel request changed those columns
    since they were read; its row count says which request won.
    """
    condition = Q()
    for name, value in seen.items():
        condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition


class Attempt:
    """One verification attempt on one device, in the order the path runs its steps."""

    def __init__(self, device: Device, token: Any, *, throttle: bool = True) -> None:
        self.device = device
        self.token = token
        self.throttle = throttle
        self.now = timezone.now()
        self.rows = device_row(device)
        self.db = self.rows.db
        self.normalized: str | None = None
        self.match: TokenMatch | None = None
        self.refused: dict[str, Any] | None = None
        #: Set when the token matched but a parallel attempt consumed it first.
        self.lost_match = False

    def _seen(self) -> Q:
        """The condition that the row still holds the throttling state this attempt judged.

        Conditioning every write on it makes the attempt's outcome count only if no parallel
        attempt changed the device first: of a burst of guesses, one takes effect.
        """
        if not (self.throttle and _throttles(self.device)):
            return Q()
        device: Any = self.device
        return unchanged(
            throttling_failure_count=device.throttling_failure_count,
            throttling_failure_timestamp=device.throttling_failure_timestamp,
        )

    def admitted(self) -> bool:
        """Whether the device allows an attempt now; sends ``verification_throttled`` if not."""
        if not self.throttle:
            return True
        allowed, data = self.device.verify_is_allowed()
        if allowed:
            return True
        self.refused = data or {}
        send_after_commit(signals.verification_throttled, self.device, reason=self.refused)
        return False

    def evaluate(self) -> TokenMatch | None:
        """Normalise the token and ask the device for a match, without writing."""
        self.normalized = self.device.normalize_token(self.token)
        self.match = None
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
        rows = self.rows.filter(self._seen() & match.condition)

        def apply() -> bool:
            return (rows.update(**changes) if changes else int(rows.exists())) == 1

        try:
            if match.claim is None:
                if not apply():
                    return False
            else:
                with transaction.atomic(using=self.db):
                    if not match.claim() or not apply():
                        raise _Lost
        except _Lost:
            return False
        for name, value in changes.items():
            setattr(device, name, value)
        send_after_commit(signals.verification_succeeded, device)
        return True

    def record_failure(self) -> bool:
        """Count the failure with one write; ``False`` if a parallel attempt changed the row."""
        device: Any = self.device
        if self.throttle and _counts_failures(device):
            if _throttles(device):
                count = device.throttling_failure_count + 1
                updated = self.rows.filter(self._seen()).update(
                    throttling_failure_count=count, throttling_failure_timestamp=self.now
                )
                if not updated:
                    return False
            else:
                # Parallel failures all count; each reads back its own total while the row
                # (on SQLite, the database) is still locked by its write.
                with transaction.atomic(using=self.db):
                    rows = self.rows
                    rows.update(
                        throttling_failure_count=F("throttling_failure_count") + 1,
                        throttling_failure_timestamp=self.now,
                    )
                    count = rows.values_list("throttling_failure_count", flat=True).first()
                if count is None:  # the device was deleted meanwhile
                    return True
            device.throttling_failure_count = count
            device.throttling_failure_timestamp = self.now
            self._report_lockout()
        send_after_commit(signals.verification_failed, device, reason=self._failure_reason())
        return True

    def run(self) -> bool:
        """Decide the token: admit, evaluate, then consume or record the failure.

        When a parallel attempt changed the device between reading and writing, the device
        is read again and judged afresh (a few times at most; then the attempt is refused).
        """
        for _ in range(_ATTEMPTS):
            if not self.admitted():
                return False
            self.evaluate()
            if self.consume():
                return True
            self.lost_match = self.lost_match or self.match is not None
            if (self.match is None or not self._seen()) and self.record_failure():
                return False
            try:
                self.device.refresh_from_db(using=self.db)
            except ObjectDoesNotExist:  # deleted meanwhile: nothing left to verify
                return False
        self.refused = {"reason": "contention"}
        send_after_commit(signals.verification_throttled, self.device, reason=self.refused)
        return False

    def _failure_reason(self) -> str:
        if self.normalized is None:
            return "malformed_token"
        if self.match is not None or self.lost_match:
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


def verify(device: Device, token: Any, *, throttle: bool = True) -> bool:
    """Decide ``token`` for ``device``: the body of every built-in ``verify_token``.

    With ``throttle=False`` the device's own ``verify_is_allowed`` and failure counting are
    left to the caller (as ``SideChannelDevice`` subclasses written for django-otp expect).
    """
    if device.pk is None:  # an unsaved device has no state to verify against
        return False
    return Attempt(device, token, throttle=throttle).run()


def verify_any(devices: list[Device], token: Any) -> Device | None:
    """Try ``token`` on each device; the first that accepts it is returned.

    The token is matched against every admitted device before anything is written, so a
    correct code for one device never counts as a failure on the user's other devices; a
    code that no device accepts counts once on each of them.
    """
    attempts = [Attempt(device, token) for device in devices]
    admitted = [attempt for attempt in attempts if attempt.admitted()]
    for attempt in admitted:
        if attempt.evaluate() is not None and attempt.consume():
            return attempt.device
    for attempt in admitted:
        attempt.record_failure()
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
