"""Database idioms of the verification path: row locks and conditional writes."""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import Q, QuerySet

__all__ = ["device_row", "select_for_verify", "unchanged"]


def select_for_verify(devices: QuerySet) -> QuerySet:
    """Lock the devices a transaction is about to verify until it ends.

    That is ``select_for_update()`` where the database has row locks. SQLite has none, and
    a transaction there that reads first and writes later fails at once ("database is
    locked") when another connection wrote in between; so on SQLite the transaction takes
    the database's write lock up front instead, and parallel verifications wait their turn.
    """
    connection = connections[devices.db]
    if connection.features.has_select_for_update:
        return devices.select_for_update()
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        table = connection.ops.quote_name(devices.model._meta.db_table)
        pk = connection.ops.quote_name(devices.model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {pk} = {pk} WHERE 0 = 1")  # noqa: S608
    return devices


def device_row(instance: Any) -> QuerySet:
    """A queryset of exactly the row of ``instance`` (a model instance), on its database."""
    model = type(instance)
    db = instance._state.db or router.db_for_write(model, instance=instance)
    return model._base_manager.using(db).filter(pk=instance.pk)


def unchanged(**seen: Any) -> Q:
    """The condition that each named column still holds the value seen (``None`` as NULL).

    A write filtered on it takes effect only if no parallel request changed those columns
    since they were read; its row count says which request won.
    """
    condition = Q()
    for name, value in seen.items():
        condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition
