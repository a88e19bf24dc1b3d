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

This module works on devices through the :class:`VerifiableDevice` protocol and never
imports the models.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.internal.db import conditional_update, database_of, device_row, unchanged
from django_otp.signals import current_request, send_after_commit

__all__ = [
    "Attempt",
    "Outcome",
    "TokenMatch",
    "TokenRejected",
    "VerifiableDevice",
    "attempt",
    "current_request",
    "last_outcome",
    "refusal",
    "verify",
    "verify_any",
]


class VerifiableDevice(Protocol):
    """What the verification path needs of a device (``django_otp.models.Device`` has it)."""

    pk: Any

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]: ...
    def normalize_token(self, token: Any) -> Any: ...
    def find_token_match(self, token: Any) -> TokenMatch | None: ...
    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]: ...
    def refresh_from_db(self, using: str | None = None, fields: Any = None) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """How the last attempt on a device ended, for callers that explain it to a person.

    ``reason`` is ``None`` on success, else ``"invalid_token"``, ``"malformed_token"``,
    ``"replayed_token"`` (the code was right but already used), ``"throttled"``,
    ``"contention"`` or the reason of a :class:`TokenRejected` raised by the device;
    ``refused`` holds the ``verify_is_allowed`` data of a refusal.
    """

    accepted: bool
    reason: str | None = None
    refused: dict[str, Any] | None = None


#: Attribute of a device instance that holds the :class:`Outcome` of its last attempt.
_OUTCOME = "_otp_outcome"


def last_outcome(device: Any) -> Outcome | None:
    """The outcome of the last attempt the shared path made on this device instance."""
    return getattr(device, _OUTCOME, None)


def attempt(device: Any, token: Any) -> Outcome:
    """Call ``device.verify_token(token)`` (overrides included) and say how it ended.

    Devices on the shared path report the precise reason; for any other device a rejected
    token reads ``"invalid_token"``.
    """
    vars(device).pop(_OUTCOME, None)
    accepted = bool(device.verify_token(token))
    outcome = last_outcome(device)
    if outcome is None or outcome.accepted != accepted:
        outcome = Outcome(True) if accepted else Outcome(False, "invalid_token")
    return outcome


def refusal(device: Any) -> dict[str, Any] | None:
    """Ask the device whether it may verify now: ``None`` if so, else the refusal data.

    A refusal sends ``verification_throttled``; this is the only place that decides it.
    """
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    data = data or {}
    send_after_commit(signals.verification_throttled, device, reason=data)
    return data


#: How often an attempt is judged afresh when a parallel attempt changed the device first.
_ATTEMPTS = 3


@dataclass
class TokenMatch:
    """How to consume a token that matched, returned by ``Device.find_token_match``.

    ``condition`` must still hold on the device's row at write time (for example
    ``Q(last_t__lt=t)``), and ``changes`` are written with it. ``claim`` (optional) consumes
    something outside the device row once that write took effect, and decides: it returns
    ``False`` if a parallel request consumed it first. The ``condition`` should then require
    that the thing still exists (an ``Exists()`` subquery), so that only a parallel success
    can make a claim fail, and the write it followed changed nothing that success did not.
    """

    condition: Q = field(default_factory=Q)
    changes: dict[str, Any] = field(default_factory=dict)
    claim: Callable[[], bool] | None = None


class TokenRejected(Exception):
    """Raised by ``Device.find_token_match`` to refuse a token with a precise reason.

    The attempt then fails as any wrong token does (counted, throttled, ``verification_failed``)
    with ``reason`` in the signal and the :class:`Outcome`. ``signal``, when given, is sent
    too, with ``details``, once the failure is recorded: for example ``device_cloned`` when a
    passkey's signature counter went backwards.
    """

    def __init__(self, reason: str, *, signal: Any = None, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signal = signal
        self.details = details


def _counts_failures(device: VerifiableDevice) -> bool:
    """Whether the device has the throttling fields (it mixes in ``ThrottlingMixin``)."""
    return hasattr(device, "throttling_failure_count")


def _throttles(device: VerifiableDevice) -> bool:
    return _counts_failures(device) and bool(device.throttling_enabled)  # type: ignore[attr-defined]


class Attempt:
    """One verification attempt on one device, in the order the path runs its steps."""

    def __init__(self, device: VerifiableDevice, token: Any, *, throttle: bool = True) -> None:
        self.device = device
        self.token = token
        self.throttle = throttle
        self.normalized: Any = None
        self.match: TokenMatch | None = None
        #: Set when the device refused the token with a reason of its own.
        self.rejection: TokenRejected | None = None
        self.refused: dict[str, Any] | None = None
        #: Set when the token matched but a parallel attempt consumed it first.
        self.lost_match = False

    @cached_property
    def now(self) -> datetime.datetime:
        """The time of the attempt, read when first needed (a refusal never needs it)."""
        return timezone.now()

    @cached_property
    def db(self) -> str:
        """The database alias of the device's row."""
        return database_of(self.device)

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
        self.refused = refusal(self.device)
        return self.refused is None

    def evaluate(self) -> TokenMatch | None:
        """Normalise the token and ask the device for a match, without writing."""
        self.normalized = self.device.normalize_token(self.token)
        self.match = None
        self.rejection = None
        if self.normalized is not None:
            try:
                self.match = self.device.find_token_match(self.normalized)
            except TokenRejected as rejection:
                self.rejection = rejection
        return self.match

    def consume(self) -> bool:
        """Apply the match with one conditional write; ``False`` if a parallel request won."""
        match = self.match
        if match is None:
            return False
        device = self.device
        changes = {**match.changes, **device.verification_success_changes(self.now)}
        seen = self._seen()

        def apply() -> bool:
            if not changes:
                return device_row(device, seen, match.condition).exists()
            return conditional_update(device, changes, seen, match.condition) == 1

        if not apply() or (match.claim is not None and not match.claim()):
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
                updated = conditional_update(
                    device,
                    {"throttling_failure_count": count, "throttling_failure_timestamp": self.now},
                    self._seen(),
                )
                if not updated:
                    return False
            else:
                # Parallel failures all count; each reads back its own total while the row
                # (on SQLite, the database) is still locked by its write.
                with transaction.atomic(using=self.db):
                    rows = device_row(device)
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
        rejection = self.rejection
        if rejection is not None and rejection.signal is not None:
            send_after_commit(rejection.signal, device, **rejection.details)
        return True

    def run(self) -> bool:
        """Decide the token and remember the :class:`Outcome` on the device instance."""
        accepted = self._decide()
        self.conclude(accepted)
        return accepted

    def conclude(self, accepted: bool) -> None:
        """Remember how this attempt ended, for :func:`last_outcome`."""
        if accepted:
            outcome = Outcome(True)
        elif self.refused is not None:
            reason = "contention" if self.refused.get("reason") == "contention" else "throttled"
            outcome = Outcome(False, reason, self.refused)
        else:
            outcome = Outcome(False, self._failure_reason())
        setattr(self.device, _OUTCOME, outcome)

    def _decide(self) -> bool:
        """Admit, evaluate, then consume or record the failure.

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
        if self.rejection is not None:
            return self.rejection.reason
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


def verify(device: VerifiableDevice, token: Any, *, throttle: bool = True) -> bool:
    """Decide ``token`` for ``device``: the body of every built-in ``verify_token``.

    With ``throttle=False`` the device's own ``verify_is_allowed`` and failure counting are
    left to the caller (as ``SideChannelDevice`` subclasses written for django-otp expect).
    """
    if device.pk is None:  # an unsaved device has no state to verify against
        return False
    return Attempt(device, token, throttle=throttle).run()


def verify_any(devices: list[Any], token: Any) -> Any:
    """Try ``token`` on each device; the first that accepts it is returned.

    The token is matched against every admitted device before anything is written, so a
    correct code for one device never counts as a failure on the user's other devices; a
    code that no device accepts counts once on each of them.
    """
    attempts = [Attempt(device, token) for device in devices]
    admitted = []
    for attempt in attempts:
        if attempt.admitted():
            admitted.append(attempt)
        else:
            attempt.conclude(False)
    for attempt in admitted:
        if attempt.evaluate() is not None and attempt.consume():
            attempt.conclude(True)
            return attempt.device
    for attempt in admitted:
        attempt.record_failure()
        attempt.conclude(False)
    return None
