"""Upgrading a database made by django-otp 1.7.5: nothing is lost and every device still works.

A copy of ``spec/upstream/django-otp-1.7.5.sqlite3`` is migrated by this package in a child
process (``tests/upgrade_script.py``, with the settings of a site that ran 1.7.5), and the
devices the upstream README lists are then used there. Rows and schemas are read with the
``sqlite3`` module directly, so what is checked does not depend on this package's models.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db.migrations.loader import MigrationLoader

from tests.upstream import UPSTREAM_DB, UPSTREAM_MIGRATIONS

SCRIPT = Path(__file__).resolve().with_name("upgrade_script.py")

#: Outside CI the spec folder next to the checkout may be absent; CI always has it.
pytestmark = pytest.mark.skipif(
    not UPSTREAM_DB.exists() and not os.environ.get("CI"),
    reason=f"the django-otp 1.7.5 sample database is absent: {UPSTREAM_DB}",
)

OTP_APPS = ["otp_email", "otp_hotp", "otp_static", "otp_totp"]
OTP_TABLES = [
    "otp_email_emaildevice",
    "otp_hotp_hotpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "otp_totp_totpdevice",
]
COUNTED_TABLES = [*OTP_TABLES, "auth_user"]
#: RFC 4226, appendix D: the HOTP value of the RFC seed at counter 3.
RFC_HOTP_COUNTER_3 = 969429

Migration = tuple[str, str]


def upstream_migrations() -> list[Migration]:
    """The ``django_migrations`` rows of the 1.7.5 database, as listed next to it."""
    lines = UPSTREAM_MIGRATIONS.read_text().split()
    return [(app, name) for app, name in (line.split("|") for line in lines)]


def query(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the SQLite file ``path`` and return all rows.

    Table and column names in ``sql`` come from this module's constants or from the schema.
    """
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def applied_migrations(path: Path) -> list[Migration]:
    """The migrations recorded in ``path``, in the order they were applied."""
    return [(app, name) for app, name in query(path, "SELECT app, name FROM django_migrations")]


def row_counts(path: Path) -> dict[str, int]:
    """The number of rows of every counted table in ``path``."""
    counts = {}
    for table in COUNTED_TABLES:
        counts[table] = query(path, f'SELECT COUNT(*) FROM "{table}"')[0][0]  # noqa: S608
    return counts


def columns(path: Path, table: str) -> dict[str, tuple[str, bool, bool, Any]]:
    """``table``'s columns in ``path``: name -> (declared type, NOT NULL, primary key, default)."""
    rows = query(path, f'PRAGMA table_info("{table}")')
    return {
        name: (kind, bool(notnull), bool(pk), default)
        for _, name, kind, notnull, default, pk in rows
    }


def contents(path: Path, table: str, names: list[str]) -> list[tuple[Any, ...]]:
    """Every row of ``table`` in ``path``, restricted to the columns ``names``, by id."""
    selected = ", ".join(f'"{name}"' for name in names)
    return query(path, f'SELECT {selected} FROM "{table}" ORDER BY id')  # noqa: S608


def indexes(path: Path, table: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """``table``'s indexes in ``path``: name -> (unique, indexed columns in order)."""
    found = {}
    for _, name, unique, *_ in query(path, f'PRAGMA index_list("{table}")'):
        info = query(path, f'PRAGMA index_info("{name}")')
        found[name] = (bool(unique), tuple(column for _, _, column in sorted(info)))
    return found


def foreign_keys(path: Path, table: str) -> set[tuple[str, str, str]]:
    """``table``'s foreign keys in ``path``: (column, referenced table, referenced column)."""
    rows = query(path, f'PRAGMA foreign_key_list("{table}")')
    return {(row[3], row[2], row[4]) for row in rows}


def run_script(command: str, database: Path) -> dict[str, Any]:
    """Run ``upgrade_script.py COMMAND DATABASE`` in a child process and return its JSON."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), command, str(database)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def package_migrations() -> dict[str, list[str]]:
    """This package's migration names per plugin app, in dependency order."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    ordered = {}
    for app in OTP_APPS:
        leaves = graph.leaf_nodes(app)
        assert len(leaves) == 1, f"{app} has several leaf migrations: {leaves}"
        ordered[app] = [name for label, name in graph.forwards_plan(leaves[0]) if label == app]
    return ordered


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the 1.7.5 database migrated by this package, with what was seen around it."""
    path = tmp_path_factory.mktemp("upgrade") / "upgraded.sqlite3"
    shutil.copyfile(UPSTREAM_DB, path)
    before = {
        "counts": row_counts(path),
        "migrations": applied_migrations(path),
        "contents": {
            table: contents(path, table, list(columns(path, table))) for table in COUNTED_TABLES
        },
    }
    report = run_script("migrate", path)
    after_migrations = applied_migrations(path)
    return {
        "path": path,
        "before": before,
        "report": report,
        "applied": [
            migration for migration in after_migrations if migration not in before["migrations"]
        ],
        "after_migrations": after_migrations,
        "counts": row_counts(path),
        "contents": {
            table: contents(path, table, list(columns(UPSTREAM_DB, table)))
            for table in COUNTED_TABLES
        },
    }


@pytest.fixture(scope="module")
def exercised(upgraded: dict[str, Any]) -> dict[str, Any]:
    """What the child process saw when it used the devices of the upgraded database."""
    return run_script("exercise", upgraded["path"])


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new, empty database migrated by this package."""
    path = tmp_path_factory.mktemp("fresh") / "fresh.sqlite3"
    run_script("migrate", path)
    return path


class TestMigrations:
    def test_the_sample_database_is_the_one_the_readme_describes(self, upgraded):
        assert upgraded["before"]["migrations"] == upstream_migrations()
        assert upgraded["before"]["counts"] == {
            "otp_email_emaildevice": 1,
            "otp_hotp_hotpdevice": 1,
            "otp_static_staticdevice": 1,
            "otp_static_statictoken": 3,
            "otp_totp_totpdevice": 2,
            "auth_user": 2,
        }

    def test_migrate_applies_only_migrations_that_1_7_5_did_not_have(self, upgraded):
        applied = upgraded["applied"]
        print("migrations applied to the 1.7.5 database:", applied)
        assert upgraded["report"]["backwards"] == []
        assert applied == [tuple(migration) for migration in upgraded["report"]["plan"]]
        assert not set(applied) & set(upstream_migrations())
        assert upgraded["after_migrations"][: len(upstream_migrations())] == upstream_migrations()

    def test_migrate_applies_exactly_the_plugin_migrations_added_after_1_7_5(self, upgraded):
        upstream = upstream_migrations()
        ours = package_migrations()
        for app in OTP_APPS:
            added = [name for name in ours[app] if (app, name) not in upstream]
            applied = [name for label, name in upgraded["applied"] if label == app]
            assert applied == added, app

    def test_other_apps_migrated_are_new_to_the_database(self, upgraded):
        upstream_apps = {app for app, _ in upstream_migrations()}
        others = {app for app, _ in upgraded["applied"] if app not in OTP_APPS}
        assert not others & upstream_apps

    def test_every_upstream_migration_exists_in_the_package_in_the_same_order(self):
        ours = package_migrations()
        upstream = upstream_migrations()
        for app in OTP_APPS:
            names = [name for label, name in upstream if label == app]
            assert names, app
            assert ours[app][: len(names)] == names, app


class TestRows:
    def test_no_row_is_lost(self, upgraded):
        assert upgraded["counts"] == upgraded["before"]["counts"]

    def test_every_upstream_value_is_unchanged(self, upgraded):
        assert upgraded["contents"] == upgraded["before"]["contents"]


class TestDevicesStillWork:
    def test_alice_has_her_four_confirmed_devices(self, exercised):
        assert exercised["alice_devices"] == [
            ["otp_email.emaildevice", "email"],
            ["otp_hotp.hotpdevice", "token"],
            ["otp_static.staticdevice", "backup"],
            ["otp_totp.totpdevice", "phone"],
        ]

    def test_totp_phone_accepts_the_current_rfc_code_once(self, exercised, upgraded):
        seen = exercised["totp"]
        assert seen["allowed_first"] and seen["first"]
        assert seen["allowed_again"] and not seen["again"]
        stored = query(
            upgraded["path"], "SELECT last_t FROM otp_totp_totpdevice WHERE name='phone'"
        )
        assert stored == [(seen["last_t"],)]
        assert seen["last_t"] > 0

    def test_hotp_token_accepts_the_code_for_counter_3_once(self, exercised, upgraded):
        seen = exercised["hotp"]
        assert seen["code"] == RFC_HOTP_COUNTER_3
        assert seen["counter_before"] == 3
        assert seen["allowed_first"] and seen["first"]
        assert seen["allowed_again"] and not seen["again"]
        assert seen["counter_after"] == 4
        stored = query(
            upgraded["path"], "SELECT counter FROM otp_hotp_hotpdevice WHERE name='token'"
        )
        assert stored == [(4,)]

    def test_each_backup_token_verifies_once(self, exercised, upgraded):
        assert set(exercised["static"]) == {"a1b2c3d4", "e5f6g7h8", "jkmnpqrs"}
        for token, seen in exercised["static"].items():
            assert seen["allowed_first"] and seen["first"], token
            assert seen["allowed_again"] and not seen["again"], token
        assert query(upgraded["path"], "SELECT COUNT(*) FROM otp_static_statictoken") == [(0,)]

    def test_email_device_sends_a_token_to_alice_that_verifies_once(self, exercised, upgraded):
        seen = exercised["email"]
        assert seen["challenge"] == "sent by email"
        assert len(seen["sent"]) == 1
        assert seen["sent"][0]["to"] == ["alice@example.com"]
        assert seen["sent"][0]["body"].strip().isdigit()
        assert len(seen["sent"][0]["body"].strip()) == 6
        assert seen["allowed_first"] and seen["first"]
        assert seen["allowed_again"] and not seen["again"]
        stored = query(upgraded["path"], "SELECT token FROM otp_email_emaildevice")
        assert stored == [(None,)]

    def test_bobs_unconfirmed_device_is_listed_only_on_request(self, exercised):
        assert exercised["bob_confirmed"] == []
        assert exercised["bob_all"] == [
            ["authenticator", "00112233445566778899aabbccddeeff00112233", False]
        ]

    def test_alice_logs_in_with_her_password(self, exercised):
        assert exercised["authenticate"] is True
        assert exercised["client_login"] is True
        assert exercised["wrong_password"] is False


def _unfit_for_old_code(
    added: dict[str, tuple[str, bool, bool, Any]],
) -> dict[str, tuple[str, bool, bool, Any]]:
    """The added columns that rows inserted by code written for 1.7.5 cannot fill (NOT NULL
    without a database default)."""
    return {
        name: definition
        for name, definition in added.items()
        if definition[1] and definition[3] is None
    }


@pytest.mark.parametrize("table", OTP_TABLES)
class TestSchema:
    def test_upstream_columns_are_kept_unchanged(self, table, upgraded, fresh):
        upstream = columns(UPSTREAM_DB, table)
        assert upstream
        for label, path in [("fresh", fresh), ("upgraded", upgraded["path"])]:
            ours = columns(path, table)
            kept = {name: ours.get(name) for name in upstream}
            assert kept == upstream, label

    def test_fresh_and_upgraded_schemas_are_identical(self, table, upgraded, fresh):
        assert columns(fresh, table) == columns(upgraded["path"], table)
        assert indexes(fresh, table) == indexes(upgraded["path"], table)
        assert foreign_keys(fresh, table) == foreign_keys(upgraded["path"], table)

    def test_added_columns_accept_rows_written_by_1_7_5_code(self, table, upgraded):
        upstream = columns(UPSTREAM_DB, table)
        added = {
            name: definition
            for name, definition in columns(upgraded["path"], table).items()
            if name not in upstream
        }
        print(f"columns added to {table}:", added)
        assert _unfit_for_old_code(added) == {}, (
            f"{table}: columns added by later migrations must be nullable or have a database "
            "default, so that rows inserted by code written for django-otp 1.7.5 still fit"
        )

    def test_upstream_indexes_are_kept_with_the_same_names(self, table, upgraded, fresh):
        upstream = indexes(UPSTREAM_DB, table)
        assert upstream
        for label, path in [("fresh", fresh), ("upgraded", upgraded["path"])]:
            ours = indexes(path, table)
            assert {name: ours.get(name) for name in upstream} == upstream, label
            print(f"indexes added to {table} ({label}):", set(ours) - set(upstream))

    def test_upstream_foreign_keys_are_kept(self, table, upgraded, fresh):
        upstream = foreign_keys(UPSTREAM_DB, table)
        assert upstream
        for label, path in [("fresh", fresh), ("upgraded", upgraded["path"])]:
            assert upstream <= foreign_keys(path, table), label


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Upgraded copies used with key encryption and hashed codes turned on afterwards."""
    path = tmp_path_factory.mktemp("protected") / "protected.sqlite3"
    shutil.copyfile(UPSTREAM_DB, path)
    run_script("migrate", path)
    before = run_script("exercise-protected", path)  # plain rows, keys now configured
    shutil.copyfile(UPSTREAM_DB, path)
    run_script("migrate", path)
    report = run_script("protect-protected", path)
    return {"path": path, "before": before, "report": report}


class TestSecretsAtRest:
    """The upgraded database, with key encryption and hashed codes turned on afterwards."""

    def test_plain_rows_verify_before_the_command(self, protected):
        before = protected["before"]
        assert before["totp"]["first"] is True
        assert before["hotp"]["first"] is True
        assert all(attempt["first"] for attempt in before["static"].values())

    def test_the_command_encrypts_keys_and_hashes_codes(self, protected):
        output = protected["report"]["output"]
        assert "otp_totp.TOTPDevice: 2 encrypted, 0 re-encrypted, 0 unchanged" in output
        assert "otp_hotp.HOTPDevice: 1 encrypted, 0 re-encrypted, 0 unchanged" in output
        assert "otp_static.StaticToken: 3 hashed, 0 unchanged" in output
        path = protected["path"]
        for table in ("otp_totp_totpdevice", "otp_hotp_hotpdevice"):
            sql = f'SELECT "key", encrypted_key FROM {table}'  # noqa: S608
            for key, encrypted in query(path, sql):
                assert key == ""
                assert encrypted.startswith("aesgcm1$")
        for token, token_hash in query(
            path, "SELECT token, token_hash FROM otp_static_statictoken"
        ):
            assert token == ""
            assert token_hash.startswith("hmac256$")
        dump = "\n".join(path.read_bytes().decode("latin-1").split("\x00"))
        for secret in ("3132333435363738393031323334353637383930", "a1b2c3d4", "jkmnpqrs"):
            assert secret not in dump

    def test_every_device_verifies_after_the_command(self, protected):
        after = run_script("exercise-protected", protected["path"])
        assert after["totp"]["first"] is True and after["totp"]["again"] is False
        assert after["hotp"]["first"] is True and after["hotp"]["again"] is False
        for attempt in after["static"].values():
            assert attempt["first"] is True and attempt["again"] is False
        assert after["bob_all"][0][1] == "00112233445566778899aabbccddeeff00112233"
