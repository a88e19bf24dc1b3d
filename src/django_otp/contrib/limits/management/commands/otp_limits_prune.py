"""``manage.py otp_limits_prune``: delete the client rows whose window has ended."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_otp.contrib.limits import counters


class Command(BaseCommand):
    """Delete per-client rows of ended windows; run it daily (a cron job) to keep the table
    small. Account rows are kept: they are one per user who ever entered a code."""

    help = "Delete the per-client sign-in limit rows whose window has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = counters.prune()
        self.stdout.write(f"Deleted {deleted} ended client windows.")
