"""The plugins' migrations: the chains django-otp 1.7.5 shipped, then only additions.

Models and migrations must agree (``makemigrations --check``), each plugin keeps the
migration names of the spec in order, and the initial migrations reference the same bases
and callables as upstream. On PostgreSQL the schema they build is compared with the dump of a
database made by 1.7.5.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import SwappableTuple
from django.db.migrations.writer import MigrationWriter
from django.utils import timezone

from django_otp.plugins.otp_email import models as email_models
from django_otp.plugins.otp_hotp import models as hotp_models
from django_otp.plugins.otp_totp import models as totp_models
from tests.upstream import UPSTREAM

POSTGRES_SCHEMA = UPSTREAM / "django-otp-1.7.5-schema-postgres.sql"

#: Spec sections 13.7, 14.7, 15.6 and 16.5: each plugin's migrations, in order.
SPEC_MIGRATIONS = {
    "otp_hotp": ["0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"],
    "otp_totp": ["0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"],
    "otp_static": ["0001_initial", "0002_throttling", "0003_add_timestamps"],
    "otp_email": [
        "0001_initial",
        "0002_sidechanneldevice_email",
        "0003_emaildevice_email",
        "0004_throttling",
        "0005_emaildevice_last_generated_timestamp",
        "0006_add_timestamps",
    ],
}
OTP_TABLES = [
    "otp_email_emaildevice",
    "otp_hotp_hotpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "otp_totp_totpdevice",
]


def loader() -> MigrationLoader:
    """The migrations on disk, without a database connection."""
    return MigrationLoader(None, ignore_no_migrations=True)


def ordered_names(app: str) -> list[str]:
    """``app``'s migration names in dependency order (the app must have a single leaf)."""
    graph = loader().graph
    leaves = graph.leaf_nodes(app)
    assert len(leaves) == 1, f"{app} has several leaf migrations: {leaves}"
    return [name for label, name in graph.forwards_plan(leaves[0]) if label == app]


def operations(app: str, name: str) -> list[Any]:
    """The operations of migration ``app.name``."""
    return list(loader().disk_migrations[app, name].operations)


def create_model(app: str, model: str) -> migrations.CreateModel:
    """The ``CreateModel`` operation for ``model`` in ``app``'s initial migration."""
    found = [
        op
        for op in operations(app, "0001_initial")
        if isinstance(op, migrations.CreateModel) and op.name == model
    ]
    assert len(found) == 1, (app, model)
    return found[0]


def declared_validators(field: models.Field) -> list[Any]:
    """The validators ``field`` was declared with (not those its class adds)."""
    return field.deconstruct()[3].get("validators", [])


def serialized(field: models.Field) -> str:
    """The source text a migration file holds for ``field``."""
    return MigrationWriter.serialize(field)[0]


@pytest.mark.django_db
def test_makemigrations_finds_no_changes():
    out = io.StringIO()
    try:
        call_command(
            "makemigrations", "django_otp", *SPEC_MIGRATIONS, check=True, dry_run=True, stdout=out
        )
    except SystemExit:
        pytest.fail(f"models and migrations disagree:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("app", sorted(SPEC_MIGRATIONS))
class TestMigrationChains:
    def test_spec_migrations_come_first_in_order(self, app):
        names = ordered_names(app)
        assert names[: len(SPEC_MIGRATIONS[app])] == SPEC_MIGRATIONS[app]

    def test_later_migrations_are_numbered_after_the_spec_ones(self, app):
        spec = SPEC_MIGRATIONS[app]
        later = ordered_names(app)[len(spec) :]
        for name in later:
            assert re.fullmatch(r"\d{4}_\w+", name), name
            assert int(name[:4]) > int(spec[-1][:4]), name

    def test_each_migration_depends_on_the_one_before(self, app):
        names = ordered_names(app)
        disk = loader().disk_migrations
        for previous, name in itertools.pairwise(names):
            assert (app, previous) in disk[app, name].dependencies, name

    def test_initial_migration_depends_on_the_swappable_user_model(self, app):
        dependencies = loader().disk_migrations[app, "0001_initial"].dependencies
        assert len(dependencies) == 1
        assert isinstance(dependencies[0], SwappableTuple)
        assert dependencies[0].setting == settings.AUTH_USER_MODEL

    def test_every_created_model_has_the_plain_model_base(self, app):
        created = [
            op for op in operations(app, "0001_initial") if isinstance(op, migrations.CreateModel)
        ]
        assert created
        for op in created:
            assert op.bases == (models.Model,), op.name


@pytest.mark.parametrize(
    ("app", "model", "module", "verbose_name", "field_names"),
    [
        (
            "otp_hotp",
            "HOTPDevice",
            hotp_models,
            "HOTP device",
            ["id", "name", "confirmed", "key", "digits", "tolerance", "counter", "user"],
        ),
        (
            "otp_totp",
            "TOTPDevice",
            totp_models,
            "TOTP device",
            [
                "id",
                "name",
                "confirmed",
                "key",
                "step",
                "t0",
                "digits",
                "tolerance",
                "drift",
                "last_t",
                "user",
            ],
        ),
    ],
)
def test_hotp_and_totp_initial_migrations(app, model, module, verbose_name, field_names):
    op = create_model(app, model)
    assert [name for name, _ in op.fields] == field_names
    assert op.options == {"abstract": False, "verbose_name": verbose_name}
    fields = dict(op.fields)
    key = fields["key"]
    assert key.default is module.default_key
    assert declared_validators(key) == [module.key_validator]
    assert f"default={module.__name__}.default_key" in serialized(key)
    assert f"validators=[{module.__name__}.key_validator]" in serialized(key)
    assert key.max_length == 80
    assert fields["id"].primary_key
    assert isinstance(fields["id"], models.AutoField)
    assert fields["id"].verbose_name == "ID"


def test_static_initial_migration():
    device = create_model("otp_static", "StaticDevice")
    assert [name for name, _ in device.fields] == ["id", "name", "confirmed", "user"]
    assert device.options == {"abstract": False}
    token = create_model("otp_static", "StaticToken")
    assert [name for name, _ in token.fields] == ["id", "token", "device"]
    assert token.options == {}
    fields = dict(token.fields)
    assert (fields["token"].max_length, fields["token"].db_index) == (16, True)
    fk = fields["device"]
    assert fk.remote_field.model.lower() == "otp_static.staticdevice"
    assert fk.remote_field.related_name == "token_set"
    assert fk.remote_field.on_delete is models.CASCADE


def test_email_initial_migration_keeps_the_obsolete_key_field():
    op = create_model("otp_email", "EmailDevice")
    assert [name for name, _ in op.fields] == ["id", "name", "confirmed", "key", "user"]
    assert op.options == {"abstract": False}
    key = dict(op.fields)["key"]
    assert key.default is email_models.default_key
    assert declared_validators(key) == [email_models.key_validator]
    assert key.help_text == "A hex-encoded secret key of up to 20 bytes."
    assert "default=django_otp.plugins.otp_email.models.default_key" in serialized(key)


def test_email_second_migration_swaps_the_key_for_a_token():
    ops = operations("otp_email", "0002_sidechanneldevice_email")
    assert [(type(op).__name__, op.name) for op in ops] == [
        ("RemoveField", "key"),
        ("AddField", "token"),
        ("AddField", "valid_until"),
    ]
    assert ops[2].field.default is timezone.now
    assert "default=django.utils.timezone.now" in serialized(ops[2].field)


# PostgreSQL: the schema our migrations build equals the dump of a 1.7.5 database.


def _pg_dump_schema(text: str) -> dict[str, Any]:
    """Parse what the comparison needs out of the ``pg_dump`` schema of the 1.7.5 database."""
    tables: dict[str, dict[str, tuple[str, bool]]] = {}
    checks: dict[str, set[str]] = {}
    for table, body in re.findall(r"CREATE TABLE public\.(\w+) \(\n(.*?)\n\);", text, re.S):
        tables[table] = {}
        checks[table] = set()
        for line in body.split("\n"):
            line = line.strip().rstrip(",")
            if line.startswith("CONSTRAINT "):
                checks[table].add(line.split()[1])
                continue
            name, kind = line.split(" ", 1)
            not_null = kind.endswith(" NOT NULL")
            tables[table][name] = (kind.removesuffix(" NOT NULL"), not_null)
    identities = set(
        re.findall(
            r"ALTER TABLE public\.(\w+) ALTER COLUMN (\w+) ADD GENERATED BY DEFAULT AS IDENTITY",
            text,
        )
    )
    constraints: dict[str, set[str]] = {}
    for table, name in re.findall(r"ALTER TABLE ONLY public\.(\w+)\s+ADD CONSTRAINT (\w+)", text):
        constraints.setdefault(table, set()).add(name)
    index_names: dict[str, set[str]] = {}
    for name, table in re.findall(r"CREATE (?:UNIQUE )?INDEX (\w+) ON public\.(\w+)", text):
        index_names.setdefault(table, set()).add(name)
    return {
        "columns": tables,
        "checks": checks,
        "identities": identities,
        "constraints": constraints,
        "indexes": index_names,
    }


def _pg_columns(table: str) -> dict[str, tuple[str, bool, Any, bool]]:
    """``table``'s columns: name -> (type as pg_dump writes it, NOT NULL, default, identity)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, data_type, character_maximum_length, is_nullable,
                   column_default, is_identity, identity_generation
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s
            """,
            [table],
        )
        rows = cursor.fetchall()
    found = {}
    for name, kind, length, nullable, default, identity, generation in rows:
        if length is not None:
            kind = f"{kind}({length})"
        found[name] = (
            kind,
            nullable == "NO",
            default,
            identity == "YES" and generation == "BY DEFAULT",
        )
    return found


def _pg_names(sql: str, table: str) -> set[str]:
    """The names ``sql`` returns for ``table`` (a query with one parameter)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.skipif(os.environ.get("DB") != "postgres", reason="PostgreSQL only (DB=postgres)")
@pytest.mark.skipif(
    not POSTGRES_SCHEMA.exists() and not os.environ.get("CI"),
    reason=f"the django-otp 1.7.5 schema dump is absent: {POSTGRES_SCHEMA}",
)
@pytest.mark.django_db
@pytest.mark.parametrize("table", OTP_TABLES)
class TestPostgresSchema:
    @pytest.fixture
    def upstream(self) -> dict[str, Any]:
        return _pg_dump_schema(POSTGRES_SCHEMA.read_text())

    def test_upstream_columns_have_the_same_types_and_nullability(self, table, upstream):
        ours = _pg_columns(table)
        expected = upstream["columns"][table]
        assert expected
        assert {name: ours[name][:2] if name in ours else None for name in expected} == expected

    def test_ids_are_identity_columns_as_upstream(self, table, upstream):
        ours = _pg_columns(table)
        identities = {name for name, definition in ours.items() if definition[3]}
        assert identities == {column for t, column in upstream["identities"] if t == table}

    def test_added_columns_accept_rows_written_by_1_7_5_code(self, table, upstream):
        expected = upstream["columns"][table]
        added = {name: d for name, d in _pg_columns(table).items() if name not in expected}
        print(f"columns added to {table}:", added)
        unfit = {name: d for name, d in added.items() if d[1] and d[2] is None}
        assert unfit == {}, (
            f"{table}: columns added by later migrations must be nullable or have a database "
            "default, so that rows inserted by code written for django-otp 1.7.5 still fit"
        )

    def test_constraints_keep_their_names(self, table, upstream):
        ours = _pg_names("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", table)
        assert upstream["checks"][table] | upstream["constraints"][table] <= ours

    def test_indexes_keep_their_names(self, table, upstream):
        ours = _pg_names(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s",
            table,
        )
        expected = upstream["indexes"][table]
        assert expected
        assert expected <= ours
        print(f"indexes added to {table}:", ours - expected - upstream["constraints"][table])
