"""The device a session names, loaded once per request, or from the shared cache ``OTP_CACHE``.

Without a cache this is one indexed query, as in django-otp. With ``OTP_CACHE`` (an alias of
``CACHES``: Redis, Memcached, a file cache) a verified request needs no device query: the
cache keeps what verification depends on (owner, confirmed, name), and every save or delete
of a device, in any process, removes its entry (see :mod:`django_otp.lifecycle`); entries
also expire after ``OTP_CACHE_TIMEOUT`` seconds. The device comes back as a model instance
whose other fields load on first use.

When ``django_otp.contrib.remember`` is installed, the same query (or cache entry) also
carries the instants its user last revoked everything and signed out everywhere, as
``otp_reset_at`` and ``otp_signed_out_at`` (Unix times or ``None``), so that revocation ends
the assurance, and signing out everywhere the sign-in, of every session without another query.
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
    """Annotate the device's user's last revocation and last sign-out everywhere, when the
    remember app is installed (subqueries of the device's own query)."""
    if not apps.is_installed("django_otp.contrib.remember"):
        return devices
    resets = apps.get_model("otp_remember", "AssuranceReset")._default_manager
    row = resets.filter(user=OuterRef("user_id"))
    return devices.annotate(
        _otp_reset=Subquery(row.values("at")[:1]),
        _otp_signed_out=Subquery(row.values("signed_out_at")[:1]),
    )


def _timestamp(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def _prepare(device: Device | None) -> Device | None:
    if device is not None:
        device.otp_reset_at = _timestamp(getattr(device, "_otp_reset", None))  # type: ignore[attr-defined]
        device.otp_signed_out_at = _timestamp(getattr(device, "_otp_signed_out", None))  # type: ignore[attr-defined]
    return device


def _entry(device: Device | None) -> Any:
    if device is None:
        return _ABSENT
    values = [getattr(device, name) for name in _CACHED_FIELDS]
    instants = [device.otp_reset_at, device.otp_signed_out_at]  # type: ignore[attr-defined]
    return [device.model_label(), values, *instants]


def _usable(entry: Any) -> bool:
    """Whether ``entry`` is one this version writes (an older one is read again)."""
    return entry == _ABSENT or (isinstance(entry, list) and len(entry) == 4)


def _rebuild(entry: Any) -> Device | None:
    if entry == _ABSENT:
        return None
    label, values, reset_at, signed_out_at = entry
    model = apps.get_model(label)
    db = router.db_for_read(model)
    device = model.from_db(db, list(_CACHED_FIELDS), list(values))
    device.otp_reset_at = reset_at
    device.otp_signed_out_at = signed_out_at
    return device


def _query(persistent_id: str) -> QuerySet | None:
    parsed = parse_persistent_id(persistent_id)
    if parsed is None:
        return None
    model, device_id = parsed
    return _with_reset(model._default_manager.filter(pk=device_id))


def load(persistent_id: str) -> Device | None:
    """The device ``persistent_id`` names (``None`` if none), with ``otp_reset_at`` and
    ``otp_signed_out_at``."""
    shared = cache()
    if shared is not None:
        entry = shared.get(cache_key(persistent_id))
        if entry is not None and _usable(entry):
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
        if entry is not None and _usable(entry):
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
