"""``conditional_update``: the hand-written UPDATE writes what the ORM would, for every shape."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Q
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_otp.internal.db import conditional_update, unchanged
from django_otp.plugins.otp_totp.models import TOTPDevice


class ConditionalUpdateTests(TestCase):
    def setUp(self) -> None:
        user = get_user_model().objects.create_user("alice")
        self.device = TOTPDevice.objects.create(user=user, name="phone", last_t=10)

    def _row(self) -> TOTPDevice:
        return TOTPDevice.objects.get(pk=self.device.pk)

    def test_comparisons_decide_whether_the_row_is_written(self) -> None:
        self.assertEqual(conditional_update(self.device, {"drift": 1}, Q(last_t__lt=10)), 0)
        self.assertEqual(conditional_update(self.device, {"drift": 2}, Q(last_t__lte=10)), 1)
        self.assertEqual(conditional_update(self.device, {"drift": 3}, Q(last_t__gt=10)), 0)
        self.assertEqual(conditional_update(self.device, {"drift": 4}, Q(last_t__gte=10)), 1)
        self.assertEqual(conditional_update(self.device, {"drift": 5}, Q(last_t=11)), 0)
        self.assertEqual(self._row().drift, 4)

    def test_null_tests_follow_their_values(self) -> None:
        never_failed = unchanged(throttling_failure_timestamp=None)
        self.assertEqual(conditional_update(self.device, {"drift": 1}, never_failed), 1)
        failed = Q(throttling_failure_timestamp__isnull=False)
        self.assertEqual(conditional_update(self.device, {"drift": 2}, failed), 0)
        now = timezone.now()
        conditional_update(self.device, {"throttling_failure_timestamp": now})
        # The same shapes again (now from the kept statement), with the opposite outcome.
        self.assertEqual(conditional_update(self.device, {"drift": 3}, never_failed), 0)
        self.assertEqual(conditional_update(self.device, {"drift": 4}, failed), 1)
        seen = unchanged(throttling_failure_timestamp=now)
        self.assertEqual(conditional_update(self.device, {"drift": 5}, seen), 1)
        row = self._row()
        self.assertEqual((row.drift, row.throttling_failure_timestamp), (5, now))

    def test_writes_null_and_dates(self) -> None:
        conditional_update(self.device, {"last_used_at": timezone.now(), "last_t": 12})
        conditional_update(self.device, {"last_used_at": None}, Q(last_t=12))
        row = self._row()
        self.assertEqual((row.last_used_at, row.last_t), (None, 12))

    def test_expressions_and_or_conditions_go_through_the_orm(self) -> None:
        with CaptureQueriesContext(connection) as queries:
            updated = conditional_update(self.device, {"drift": F("drift") + 1})
            either = Q(last_t=0) | Q(last_t=10)
            updated += conditional_update(self.device, {"drift": F("drift") + 1}, either)
        self.assertEqual(updated, 2)
        self.assertEqual(len(queries.captured_queries), 2)
        self.assertEqual(self._row().drift, 2)

    def test_another_device_row_is_never_touched(self) -> None:
        other = TOTPDevice.objects.create(user=self.device.user, name="tablet", last_t=10)
        conditional_update(self.device, {"drift": 7}, Q(last_t=10))
        other.refresh_from_db()
        self.assertEqual(other.drift, 0)
