"""The rows of the sign-in limits and of enforcement's grace periods.

Each row is changed only by the conditional ``UPDATE`` statements of
:mod:`django_otp.contrib.limits.counters`, so that parallel requests, in any number of
processes, cannot count past a limit. Deleting a row resets it (the admin does so).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, router, transaction
from django.utils.translation import gettext_lazy as _


class AccountLimit(models.Model):
    """Consecutive failed codes of one user, across all of their devices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="otp_account_limit",
        verbose_name=_("user"),
    )
    failures = models.PositiveIntegerField(
        _("consecutive failures"),
        default=0,
        help_text=_("Counted when a code is tried, cleared by a right code."),
    )
    last_failure_at = models.DateTimeField(_("last attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("account limit")
        verbose_name_plural = _("account limits")

    def __str__(self) -> str:
        return f"{self.user} ({self.failures})"


class ClientLimit(models.Model):
    """Failed attempts from one client address at one step, in the current window."""

    scope = models.CharField(_("step"), max_length=16)
    client = models.CharField(_("client"), max_length=64)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_start = models.DateTimeField(_("window start"))

    class Meta:
        verbose_name = _("client limit")
        verbose_name_plural = _("client limits")
        constraints = [
            models.UniqueConstraint(fields=["scope", "client"], name="otp_limits_client_scope")
        ]

    def __str__(self) -> str:
        return f"{self.client} ({self.scope}: {self.failures})"


class EnrolmentGrace(models.Model):
    """When a user who must use a second factor first signed in without one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="otp_enrolment_grace",
        verbose_name=_("user"),
    )
    started_at = models.DateTimeField(_("first sign-in"))

    class Meta:
        verbose_name = _("enrolment grace period")
        verbose_name_plural = _("enrolment grace periods")

    def __str__(self) -> str:
        return f"{self.user} ({self.started_at:%Y-%m-%d})"

    @classmethod
    def start_for(cls, user_pk: Any, now: datetime.datetime) -> datetime.datetime:
        """When the grace period of user ``user_pk`` started; it starts ``now`` if it had not."""
        db = router.db_for_write(cls)
        rows = cls._default_manager.using(db).filter(pk=user_pk)
        started = rows.values_list("started_at", flat=True).first()
        if started is not None:
            return started
        try:
            with transaction.atomic(using=db):
                cls._default_manager.using(db).create(user_id=user_pk, started_at=now)
        except IntegrityError:  # a parallel request started it first
            return rows.values_list("started_at", flat=True).first() or now
        return now
