"""The atomic counters of the sign-in limits: failed codes per account, failures per client.

An attempt takes its place before it is evaluated: :func:`claim_account` and
:func:`claim_client` count it as a failure with one conditional ``UPDATE`` whose ``WHERE``
clause holds the state it was judged against, and a success gives it back. Of parallel
attempts judged against the same state one takes effect; the others read the row again and
are judged afresh. So neither limit can be outrun by sending guesses in parallel, from any
number of processes, on any database.

The account limit (NIST SP 800-63B rev. 4, 3.2.2) allows ``OTP_LIMITS_ACCOUNT_FAILURES``
consecutive failures across all of a user's devices, then refuses every code until an
administrator deletes the row; after ``OTP_LIMITS_ACCOUNT_DELAY_AFTER`` failures each attempt
waits ``OTP_LIMITS_ACCOUNT_DELAY`` seconds, doubled for each further failure, up to
``OTP_LIMITS_ACCOUNT_MAX_DELAY``. The client limit allows ``OTP_LIMITS_CLIENT_FAILURES``
failures per step in a window of ``OTP_LIMITS_CLIENT_WINDOW`` seconds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, router, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from django_otp.app_settings import app_settings
from django_otp.contrib.limits.models import AccountLimit, ClientLimit
from django_otp.internal.db import unchanged

__all__ = [
    "Admission",
    "account_delay",
    "account_refusal",
    "claim_account",
    "claim_client",
    "prune",
    "release_account",
    "release_client",
    "reset_account",
]

#: How often a claim is judged afresh when a parallel request changed the row first.
_ATTEMPTS = 3


@dataclass(frozen=True)
class Admission:
    """Whether an attempt may go ahead; if not, until when (``None`` with ``locked``)."""

    admitted: bool
    #: The account's consecutive failures, this attempt included when it was admitted.
    failures: int = 0
    #: When the attempt was claimed.
    at: datetime.datetime | None = None
    retry_at: datetime.datetime | None = None
    #: The account reached ``OTP_LIMITS_ACCOUNT_FAILURES``: no wait ends it.
    locked: bool = False

    def after_failure(self) -> Admission | None:
        """What the account refuses once this admitted attempt failed, if anything."""
        if not self.admitted or self.at is None:
            return None
        return account_refusal(self.failures, self.at, self.at)


def account_delay(failures: int) -> float:
    """Seconds an account waits after ``failures`` consecutive failures."""
    start = max(app_settings.OTP_LIMITS_ACCOUNT_DELAY_AFTER, 1)
    base = float(app_settings.OTP_LIMITS_ACCOUNT_DELAY)
    if failures < start or base <= 0:
        return 0.0
    exponent = min(failures - start, 64)
    return min(base * 2.0**exponent, float(app_settings.OTP_LIMITS_ACCOUNT_MAX_DELAY))


def account_refusal(
    failures: int, last_failure_at: datetime.datetime | None, now: datetime.datetime
) -> Admission | None:
    """The refusal of an account with ``failures`` consecutive failures, or ``None``."""
    if failures >= app_settings.OTP_LIMITS_ACCOUNT_FAILURES:
        return Admission(False, failures, locked=True)
    wait = account_delay(failures)
    if wait > 0 and last_failure_at is not None:
        ends = last_failure_at + datetime.timedelta(seconds=wait)
        if now < ends:
            return Admission(False, failures, retry_at=ends)
    return None


def _rows(model: type[Any], **lookup: Any) -> QuerySet:
    """The row(s) of ``model`` matching ``lookup``, on the database it is written to."""
    return model._default_manager.using(router.db_for_write(model)).filter(**lookup)


def _create(model: type[Any], **values: Any) -> bool:
    """Insert a row; ``False`` if a parallel request inserted it first."""
    db = router.db_for_write(model)
    try:
        with transaction.atomic(using=db):
            model._default_manager.using(db).create(**values)
    except IntegrityError:
        return False
    return True


def claim_account(user_pk: Any, now: datetime.datetime | None = None) -> Admission:
    """Count an attempt of user ``user_pk`` as a failure, unless the account refuses it.

    One ``UPDATE`` when the account has no failures; otherwise the row is read and written
    on condition that it is unchanged. A right code then calls :func:`reset_account`.
    """
    now = now or timezone.now()
    rows = _rows(AccountLimit, pk=user_pk)
    if rows.filter(failures=0).update(failures=1, last_failure_at=now):
        return Admission(True, 1, now)
    failures = 0
    for _ in range(_ATTEMPTS):
        seen = rows.values_list("failures", "last_failure_at").first()
        if seen is None:
            if _create(AccountLimit, user_id=user_pk, failures=1, last_failure_at=now):
                return Admission(True, 1, now)
            continue
        failures, last = seen
        refused = account_refusal(failures, last, now)
        if refused is not None:
            return refused
        condition = unchanged(failures=failures, last_failure_at=last)
        if rows.filter(condition).update(failures=failures + 1, last_failure_at=now):
            return Admission(True, failures + 1, now)
    return Admission(False, failures, retry_at=now)  # parallel attempts kept winning


def reset_account(user_pk: Any) -> None:
    """A right code: the account's consecutive failures start again from 0."""
    _rows(AccountLimit, pk=user_pk, failures__gt=0).update(failures=0, last_failure_at=None)


def release_account(user_pk: Any) -> None:
    """Give back a claimed attempt that was not evaluated (the device refused it)."""
    _rows(AccountLimit, pk=user_pk, failures__gt=0).update(failures=F("failures") - 1)


def claim_client(scope: str, client: str, now: datetime.datetime | None = None) -> Admission:
    """Count an attempt of ``client`` at ``scope`` as a failure, unless its window is full.

    One ``UPDATE`` in the usual case (a row whose window is running and not full).
    """
    limit = app_settings.OTP_LIMITS_CLIENT_FAILURES
    now = now or timezone.now()
    if limit <= 0:
        return Admission(True, at=now)
    window = datetime.timedelta(seconds=app_settings.OTP_LIMITS_CLIENT_WINDOW)
    fresh = now - window
    rows = _rows(ClientLimit, scope=scope, client=client)
    for _ in range(_ATTEMPTS):
        if rows.filter(window_start__gt=fresh, failures__lt=limit).update(
            failures=F("failures") + 1
        ):
            return Admission(True, at=now)
        if rows.filter(window_start__lte=fresh).update(failures=1, window_start=now):
            return Admission(True, at=now)
        seen = rows.values_list("window_start", "failures").first()
        if seen is None:
            if _create(ClientLimit, scope=scope, client=client, failures=1, window_start=now):
                return Admission(True, at=now)
        elif seen[0] > fresh and seen[1] >= limit:
            return Admission(False, limit, retry_at=seen[0] + window)
        # Otherwise a parallel request made or changed the row after the UPDATEs above
        # found nothing to write: judge the attempt again.
    return Admission(False, limit, retry_at=now)


def release_client(scope: str, client: str) -> None:
    """Give back the attempt of a client that succeeded."""
    _rows(ClientLimit, scope=scope, client=client, failures__gt=0).update(
        failures=F("failures") - 1
    )


def prune(now: datetime.datetime | None = None) -> int:
    """Delete the client rows whose window has ended; return how many were deleted."""
    now = now or timezone.now()
    fresh = now - datetime.timedelta(seconds=app_settings.OTP_LIMITS_CLIENT_WINDOW)
    deleted, _ = _rows(ClientLimit, window_start__lte=fresh).delete()
    return deleted
