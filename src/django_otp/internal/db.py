"""Database idioms of the verification path: row locks and conditional writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router, transaction
from django.db.models import Q, QuerySet

__all__ = [
    "conditional_update",
    "database_of",
    "device_row",
    "select_for_verify",
    "unchanged",
]

#: The comparisons :func:`conditional_update` writes itself, by lookup name.
_OPERATORS = {"exact": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def select_for_verify(devices: QuerySet) -> QuerySet:
    """Lock the devices a transaction is about to verify until it ends.

    That is ``select_for_update()`` where the database has row locks. SQLite has none, and
    a transaction there that reads first and writes later fails at once ("database is
    locked") when another connection wrote in between; so on SQLite the transaction takes
    the database's write lock up front instead, and parallel verifications wait their turn.
    Outside a transaction there is nothing to hold: each statement commits on its own, and
    the verification path's conditional write decides without a lock.
    """
    connection = connections[devices.db]
    if not connection.in_atomic_block:
        return devices
    if connection.features.has_select_for_update:
        return devices.select_for_update()
    if connection.vendor == "sqlite":
        table = connection.ops.quote_name(devices.model._meta.db_table)
        pk = connection.ops.quote_name(devices.model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {pk} = {pk} WHERE 0 = 1")  # noqa: S608
    return devices


def database_of(instance: Any) -> str:
    """The alias of the database a model instance came from (or would be written to)."""
    return instance._state.db or router.db_for_write(type(instance), instance=instance)


def device_row(instance: Any, *conditions: Q) -> QuerySet:
    """A queryset of exactly the row of ``instance`` (a model instance), on its database.

    ``conditions`` are added in the same ``filter()`` call, which is the cheaper way to build
    the conditional writes of the verification path.
    """
    manager = type(instance)._base_manager.db_manager(database_of(instance))
    return manager.filter(*conditions, pk=instance.pk)


def unchanged(**seen: Any) -> Q:
    """The condition that each named column still holds the value seen (``None`` as NULL).

    A write filtered on it takes effect only if no parallel request changed those columns
    since they were read; its row count says which request won.
    """
    condition = Q()
    for name, value in seen.items():
        condition &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition


def _flatten(condition: Q, leaves: list[tuple[str, Any]]) -> bool:
    """Collect the ``(lookup, value)`` pairs of an AND-only ``Q``; ``False`` if it is not one."""
    if condition.negated or (condition.connector != Q.AND and len(condition.children) > 1):
        return False
    for child in condition.children:
        if isinstance(child, Q):
            if not _flatten(child, leaves):
                return False
        elif isinstance(child, tuple):
            leaves.append(child)
        else:  # an expression, such as Exists()
            return False
    return True


def _plain_field(meta: Any, name: str) -> Any:
    """The concrete, non-relation field ``name`` (``pk`` included), or ``None``."""
    try:
        field = meta.pk if name == "pk" else meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return None if field.is_relation or not field.concrete else field


#: A statement's text and the fields its parameters are prepared with, by its shape.
_Template = tuple[str, tuple[Any, ...], tuple[Any, ...]]
_templates: dict[tuple[Any, ...], _Template | None] = {}


def _template(
    meta: Any, connection: Any, names: tuple[str, ...], tests: tuple[Any, ...]
) -> _Template | None:
    """Build the statement for one shape of :func:`conditional_update` (``None``: the ORM's)."""
    quote = connection.ops.quote_name
    assignments, set_fields = [], []
    for name in names:
        field = _plain_field(meta, name)
        if field is None:
            return None
        assignments.append(f"{quote(field.column)} = %s")
        set_fields.append(field)
    clauses, where_fields = [], []
    for lookup, null in tests:
        name, _, operator = lookup.partition("__")
        field = _plain_field(meta, name)
        if field is None:
            return None
        column = quote(field.column)
        if operator == "isnull" or (null and operator in ("", "exact")):
            negate = operator == "isnull" and not null
            clauses.append(f"{column} IS {'NOT ' if negate else ''}NULL")
        elif (operator or "exact") in _OPERATORS:
            clauses.append(f"{column} {_OPERATORS[operator or 'exact']} %s")
            where_fields.append(field)
        else:
            return None
    table = quote(meta.db_table)
    # Only quoted column names and placeholders go into the text; every value is a parameter.
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE {' AND '.join(clauses)}"  # noqa: S608
    return sql, tuple(set_fields), tuple(where_fields)


def _update_sql(
    instance: Any, changes: dict[str, Any], conditions: tuple[Q, ...], connection: Any
) -> tuple[str, list[Any]] | None:
    """The SQL of :func:`conditional_update`, or ``None`` where the ORM must build it.

    The text depends only on the statement's shape (model, columns, comparisons, which values
    are ``NULL``), so it is built once per shape and kept; each call prepares the values.
    """
    leaves: list[tuple[str, Any]] = [("pk", instance.pk)]
    if not all(_flatten(condition, leaves) for condition in conditions):
        return None
    values = [*changes.values(), *(value for _, value in leaves)]
    if any(hasattr(value, "resolve_expression") for value in values):
        return None
    # An isnull test is shaped by its value; any other test by whether its value is None.
    tests = tuple(
        (lookup, value if lookup.endswith("__isnull") else value is None)
        for lookup, value in leaves
    )
    model = type(instance)
    key = (model, connection.vendor, tuple(changes), tests)
    try:
        template = _templates[key]
    except KeyError:
        template = _templates[key] = _template(model._meta, connection, key[2], tests)
    if template is None:
        return None
    sql, set_fields, where_fields = template
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(set_fields, changes.values(), strict=True)
    ]
    # The values of the tests that have a placeholder, in the template's order.
    where_values = (
        value
        for (lookup, value), (_, null) in zip(leaves, tests, strict=True)
        if not lookup.endswith("__isnull")
        and not (null and lookup.partition("__")[2] in ("", "exact"))
    )
    params.extend(
        field.get_db_prep_value(value, connection, prepared=False)
        for field, value in zip(where_fields, where_values, strict=True)
    )
    return sql, params


def conditional_update(instance: Any, changes: dict[str, Any], *conditions: Q) -> int:
    """Write ``changes`` to the row of ``instance`` if it meets ``conditions``; rows written.

    The same statement as ``device_row(instance, *conditions).update(**changes)``, written
    directly for the conditions the verification path uses (comparisons and ``isnull`` of
    plain columns, joined by AND), which saves most of the ORM's per-call work on the hottest
    write of the package. Anything else goes through the ORM.
    """
    db = database_of(instance)
    connection = connections[db]
    built = _update_sql(instance, changes, conditions, connection) if changes else None
    if built is None:
        return device_row(instance, *conditions).update(**changes)
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(*built)
        return cursor.rowcount
