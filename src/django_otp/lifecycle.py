"""Device life-cycle: audit signals (created, confirmed, deleted), cache invalidation, and
the end of the remembered browsers a device earned when it is deleted or unconfirmed.

Receivers are connected for every installed device model when the ``django_otp`` app is
ready; the signals themselves are sent after the surrounding transaction commits, and a
changed device leaves the shared cache at once and again after the commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from django_otp import device_classes, devices, signals
from django_otp.flows import remember
from django_otp.internal.db import database_of
from django_otp.signals import send_after_commit


def _forget(instance: Any) -> None:
    if devices.cache() is None:
        return
    persistent_id = instance.persistent_id
    devices.forget(persistent_id)
    transaction.on_commit(lambda: devices.forget(persistent_id), using=database_of(instance))


def _saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    was_confirmed = getattr(instance, "_confirmed_in_db", None)
    if created:
        send_after_commit(signals.device_created, instance)
    else:
        _forget(instance)
        if not instance.confirmed and was_confirmed is not False:
            remember.withdraw_device(instance)
    if instance.confirmed and (created or was_confirmed is False):
        send_after_commit(signals.device_confirmed, instance)
    instance._confirmed_in_db = instance.confirmed


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _forget(instance)
    remember.withdraw_device(instance)
    send_after_commit(signals.device_deleted, instance)


def connect() -> None:
    """Connect the life-cycle receivers to every installed device model."""
    for model in device_classes():
        post_save.connect(
            _saved, sender=model, dispatch_uid=f"django_otp.saved.{model._meta.label}"
        )
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"django_otp.deleted.{model._meta.label}"
        )
