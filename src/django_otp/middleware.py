"""Request integration: tell every request whether its session was verified by a device.

:class:`OTPMiddleware` gives ``request.user`` an ``otp_device`` attribute and an
``is_verified()`` method, lazily: nothing is read until the user is touched, anonymous users
cost no query and a verified session costs one (the device). :func:`request_is_verified` and
:func:`ensure_verification` run the same verification where the middleware is not installed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.signals import current_request

_UserCheck = Callable[[HttpRequest, Any], Any]
_AsyncUserCheck = Callable[[HttpRequest, Any], Awaitable[Any]]


def is_verified(user: Any) -> bool:
    """Return ``True`` if ``user`` was verified by a device in this session."""
    return user.otp_device is not None


def _legacy_to_persistent_id(value: str) -> str:
    """Rewrite a legacy ``"<module path>.<ClassName>/<id>"`` to ``"<app>.<ClassName>/<id>"``."""
    parts = value.split(".")
    if len(parts) > 2:
        return f"{parts[-3]}.{parts[-1]}"
    return value


#: Set on a user object once this module has annotated it (``is_verified`` alone proves
#: nothing: a custom user model may have its own attribute of that name).
_ANNOTATED = "_otp_annotated"


def _session_to_read(request: HttpRequest, user: Any) -> Any:
    """Mark ``user`` unverified; return the session to look in, or ``None`` if pointless."""
    user.otp_device = None
    user.is_verified = functools.partial(is_verified, user)
    setattr(user, _ANNOTATED, True)
    if not user.is_authenticated:
        return None
    return getattr(request, "session", None)


def _device_id(value: Any) -> str | None:
    """The persistent id stored in the session, in current form, or ``None``."""
    if not value or not isinstance(value, str):
        return None
    return _legacy_to_persistent_id(value)


def _conclude(session: Any, user: Any, device: Any) -> Any:
    """Accept only a confirmed device of ``user``; a session naming anything else loses it."""
    if device is not None and (device.user_id != user.pk or not device.confirmed):
        device = None
    if device is None and DEVICE_ID_SESSION_KEY in session:
        del session[DEVICE_ID_SESSION_KEY]
    user.otp_device = device
    return user


def _verify(request: HttpRequest, user: Any) -> Any:
    """Annotate ``user`` with ``otp_device`` and ``is_verified`` from ``request.session``."""
    from django_otp.models import Device

    session = _session_to_read(request, user)
    if session is None:
        return user
    device_id = _device_id(session.get(DEVICE_ID_SESSION_KEY))
    device = Device.from_persistent_id(device_id) if device_id else None
    return _conclude(session, user, device)


async def _averify(request: HttpRequest, user: Any) -> Any:
    """Async variant of :func:`_verify`, using the async ORM and session API."""
    from django_otp.models import Device

    session = _session_to_read(request, user)
    if session is None:
        return user
    aget = getattr(session, "aget", None)  # Django >= 5.1
    value = await aget(DEVICE_ID_SESSION_KEY) if aget else session.get(DEVICE_ID_SESSION_KEY)
    device_id = _device_id(value)
    device = await Device.afrom_persistent_id(device_id) if device_id else None
    return _conclude(session, user, device)


def _verify_if_needed(request: HttpRequest, user: Any) -> Any:
    if not getattr(user, _ANNOTATED, False):
        _verify(request, user)
    return user


async def _averify_if_needed(request: HttpRequest, user: Any) -> Any:
    if not getattr(user, _ANNOTATED, False):
        await _averify(request, user)
    return user


async def _checked_auser(
    auser: Callable[[], Awaitable[Any]], check: _AsyncUserCheck, request: HttpRequest
) -> Any:
    return await check(request, await auser())


def _install(request: HttpRequest, check: _UserCheck, acheck: _AsyncUserCheck) -> None:
    """Make ``request.user`` and ``request.auser()`` run ``check`` on first use, not now."""
    user = getattr(request, "user", None)
    if user is not None:
        request.user = SimpleLazyObject(functools.partial(check, request, user))  # type: ignore[assignment]
    auser = getattr(request, "auser", None)
    if auser is not None:
        request.auser = functools.partial(_checked_auser, auser, acheck, request)


def ensure_verification(request: HttpRequest) -> None:
    """Give ``request.user`` the attributes ``OTPMiddleware`` adds, lazily, unless it has them.

    Used by :func:`django_otp.decorators.otp_required`, so it works without the middleware.
    """
    _install(request, _verify_if_needed, _averify_if_needed)


def request_is_verified(request: HttpRequest) -> bool:
    """Return ``request.user.is_verified()``, verifying on demand without ``OTPMiddleware``."""
    user = getattr(request, "user", None)
    if user is None:
        return False
    return bool(_verify_if_needed(request, user).is_verified())


class OTPMiddleware:
    """Annotate ``request.user`` with ``otp_device`` and ``is_verified()`` (sync and async).

    Install it after ``AuthenticationMiddleware``. The request is also made available to
    audit signals through :data:`django_otp.signals.current_request`.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        _install(request, _verify, _averify)
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        _install(request, _verify, _averify)
        token = current_request.set(request)
        try:
            return await self.get_response(request)
        finally:
            current_request.reset(token)
