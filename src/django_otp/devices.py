"""The device a session names, loaded once per request, or from the shared cache ``OTP_CACHE``.

Without a cache this is one indexed query, as in django-otp. With ``OTP_CACHE`` (an alias of
``CACHES``: Redis, Memcached, a file cache) a verified request needs no device query: the
cache keeps what verification depends on (owner, confirmed, name), and every save or delete
of a device, in any process, removes its entry (see :mod:`django_otp.lifecycle`); entries
also expire after ``OTP_CACHE_TIMEOUT`` seconds. The device comes back as a model instance
whose other fields load on first use.

When ``django_otp.contrib.remember`` is installed, the same query (or cache entry) also
carries the instant its user last revoked everything, as ``otp_reset_at`` (a Unix time or
``None``), so that revocation ends every session without another query.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.cache import BaseCache, caches
from django.db import router
from django.db.models import OuterRef, QuerySet, Subquery

from django_otp.app_settings import app_settings
from django_otp.models import Device, parse_persistent_id

__all__ = ["aload", "cache", "cache_key", "forget", "load"]

#: The fields a cached device is rebuilt from; the others load when first used.
_CACHED_FIELDS = ("id", "user_id", "confirmed", "name")
#: Stands for "no such device" in the cache.
_ABSENT = "absent"


def cache() -> BaseCache | None:
    """The cache named by ``OTP_CACHE``, or ``None`` when no cache is configured."""
    alias = app_settings.OTP_CACHE
    return caches[alias] if alias else None


def cache_key(persistent_id: str) -> str:
    """The cache key of a device's entry."""
    return f"django_otp:device:{persistent_id}"


def _with_reset(devices: QuerySet) -> QuerySet:
    """Annotate the device's user's last revocation, when the remember app is installed."""
    if not apps.is_installed("django_otp.contrib.remember"):
        return devices
    resets = apps.get_model("otp_remember", "AssuranceReset")._default_manager
    at = resets.filter(user=OuterRef("user_id")).values("at")[:1]
    return devices.annotate(_otp_reset=Subquery(at))


def _prepare(device: Device | None) -> Device | None:
    if device is not None:
        reset = getattr(device, "_otp_reset", None)
        device.otp_reset_at = reset.timestamp() if reset is not None else None  # type: ignore[attr-defined]
    return device


def _entry(device: Device | None) -> Any:
    if device is None:
        return _ABSENT
    values = [getattr(device, name) for name in _CACHED_FIELDS]
    return [device.model_label(), values, device.otp_reset_at]  # type: ignore[attr-defined]


def _rebuild(entry: Any) -> Device | None:
    if entry == _ABSENT:
        return None
    label, values, reset_at = entry
    model = apps.get_model(label)
    db = router.db_for_read(model)
    device = model.from_db(db, list(_CACHED_FIELDS), list(values))
    device.otp_reset_at = reset_at
    return device


def _query(persistent_id: str) -> QuerySet | None:
    parsed = parse_persistent_id(persistent_id)
    if parsed is None:
        return None
    model, device_id = parsed
    return _with_reset(model._default_manager.filter(pk=device_id))


def load(persistent_id: str) -> Device | None:
    """The device ``persistent_id`` names (``None`` if none), with ``otp_reset_at``."""
    shared = cache()
    if shared is not None:
        entry = shared.get(cache_key(persistent_id))
        if entry is not None:
            return _rebuild(entry)
    devices = _query(persistent_id)
    device = _prepare(devices.first()) if devices is not None else None
    if shared is not None:
        shared.set(cache_key(persistent_id), _entry(device), app_settings.OTP_CACHE_TIMEOUT)
    return device


async def aload(persistent_id: str) -> Device | None:
    """Async variant of :func:`load`."""
    shared = cache()
    if shared is not None:
        entry = await shared.aget(cache_key(persistent_id))
        if entry is not None:
            return _rebuild(entry)
    devices = _query(persistent_id)
    device = _prepare(await devices.afirst()) if devices is not None else None
    if shared is not None:
        await shared.aset(cache_key(persistent_id), _entry(device), app_settings.OTP_CACHE_TIMEOUT)
    return device


def forget(persistent_id: str) -> None:
    """Remove a device's cache entry, so that the next request reads the database."""
    shared = cache()
    if shared is not None:
        shared.delete(cache_key(persistent_id))
