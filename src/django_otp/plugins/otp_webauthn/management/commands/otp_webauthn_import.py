"""``manage.py otp_webauthn_import``: copy django-otp-webauthn 0.10.3 credentials into
``WebAuthnDevice`` rows, with their users' handles.

The other package's tables are read with plain SQL (its code is never imported, and it need
not be installed). Running it again copies only what is new; ``--dry-run`` counts without
writing. A credential already registered here is left as it is.
"""

from __future__ import annotations

import datetime
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from django_otp.plugins.otp_webauthn.models import (
    WebAuthnDevice,
    WebAuthnUserHandle,
    credential_hash,
)

#: django-otp-webauthn 0.10.3's tables (app label ``django_otp_webauthn``).
CREDENTIALS = "django_otp_webauthn_webauthncredential"
HANDLES = "django_otp_webauthn_webauthnuserhandle"
COLUMNS = (
    "id",
    "user_id",
    "name",
    "confirmed",
    "credential_id",
    "public_key",
    "sign_count",
    "transports",
    "aaguid",
    "backup_eligible",
    "backup_state",
    "discoverable",
    "created_at",
    "last_used_at",
)


def _datetime(value: Any) -> datetime.datetime | None:
    """A column value as an aware datetime (SQLite and MySQL hand back text or naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return value


def _transports(value: Any) -> list[str]:
    if isinstance(value, (bytes, str)):
        value = json.loads(value or "[]")
    return [str(item) for item in value or ()]


class Command(BaseCommand):
    help = (
        "Copy the credentials of django-otp-webauthn 0.10.3 (read from its tables with SQL) "
        "into passkey devices of otp_webauthn; safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, write nothing.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database that holds both apps."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Copy the handles, then the credentials, in one transaction; print the counts."""
        using = options["database"]
        connection = connections[using]
        tables = set(connection.introspection.table_names())
        if CREDENTIALS not in tables:
            raise CommandError(f"No table {CREDENTIALS}: django-otp-webauthn's data is not here.")
        counts = {"found": 0, "imported": 0, "present": 0, "conflicts": 0, "handles": 0}
        with transaction.atomic(using=using):
            conflicts = self._handles(connection, using, tables, counts)
            self._credentials(connection, using, counts)
            if options["dry_run"]:
                transaction.set_rollback(True, using=using)
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(
            f"{counts['found']} credentials found, {verb} {counts['imported']}, "
            f"{counts['present']} already present, {counts['conflicts']} registered to "
            f"another user (skipped); {verb} {counts['handles']} user handles."
        )
        for user_id in conflicts:
            self.stdout.write(
                self.style.WARNING(
                    f"User {user_id} already has another user handle here: passwordless "
                    "sign-in with that user's imported passkeys will not find the account."
                )
            )

    def _handles(
        self, connection: Any, using: str, tables: set[str], counts: dict[str, int]
    ) -> list[Any]:
        """Copy each user's handle, so imported passkeys keep naming the same account."""
        if HANDLES not in tables:
            return []
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT user_id, handle_hex FROM {connection.ops.quote_name(HANDLES)}")  # noqa: S608
            rows = cursor.fetchall()
        ours = dict(WebAuthnUserHandle.objects.using(using).values_list("user_id", "handle"))
        conflicts = []
        for user_id, handle in rows:
            handle = str(handle).lower()
            if user_id in ours:
                if ours[user_id] != handle:
                    conflicts.append(user_id)
                continue
            WebAuthnUserHandle.objects.using(using).create(user_id=user_id, handle=handle)
            counts["handles"] += 1
        return conflicts

    def _credentials(self, connection: Any, using: str, counts: dict[str, int]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {quote(CREDENTIALS)} ORDER BY {quote('id')}")  # noqa: S608
            rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        devices = WebAuthnDevice.objects.using(using)
        for row in rows:
            counts["found"] += 1
            credential_id = bytes(row["credential_id"])
            existing = devices.filter(credential_id_sha256=credential_hash(credential_id))
            owner = existing.values_list("user_id", flat=True).first()
            if owner is not None:
                counts["present" if owner == row["user_id"] else "conflicts"] += 1
                continue
            device = WebAuthnDevice(
                user_id=row["user_id"],
                name=str(row["name"])[:64],
                confirmed=bool(row["confirmed"]),
                credential_id=credential_id,
                public_key=bytes(row["public_key"]),
                sign_count=int(row["sign_count"]),
                transports=_transports(row["transports"]),
                aaguid=str(row["aaguid"] or ""),
                backup_eligible=bool(row["backup_eligible"]),
                backup_state=bool(row["backup_state"]),
                discoverable=None if row["discoverable"] is None else bool(row["discoverable"]),
                last_used_at=_datetime(row["last_used_at"]),
            )
            device.save(using=using)
            created = _datetime(row["created_at"])
            if created is not None:  # auto_now_add set it on save; keep the original date
                devices.filter(pk=device.pk).update(created_at=created)
            counts["imported"] += 1
