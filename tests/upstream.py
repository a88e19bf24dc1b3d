"""The spec's database made by django-otp 1.7.5, and a way to open a copy of it in a test.

``shared/`` sits beside the checkout (and beside CI's clone); see its upstream/README.md.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import unittest
from collections.abc import Iterator
from pathlib import Path

from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper

UPSTREAM = Path(__file__).resolve().parents[2] / "shared/spec/upstream"
UPSTREAM_DB = UPSTREAM / "django-otp-1.7.5.sqlite3"
UPSTREAM_MIGRATIONS = UPSTREAM / "django-otp-1.7.5-migrations.txt"

skip_without_upstream_db = unittest.skipUnless(
    UPSTREAM_DB.exists(), "the spec's django-otp 1.7.5 database is absent"
)


@contextlib.contextmanager
def legacy_database() -> Iterator[DatabaseWrapper]:
    """Open a copy of the django-otp 1.7.5 database as the connection alias ``legacy``."""
    with tempfile.TemporaryDirectory() as directory:
        legacy = DatabaseWrapper(
            {
                **connections["default"].settings_dict,
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": shutil.copy(UPSTREAM_DB, directory),
                "OPTIONS": {},
            },
            alias="legacy",
        )
        connections["legacy"] = legacy
        try:
            yield legacy
        finally:
            legacy.close()
            del connections["legacy"]
