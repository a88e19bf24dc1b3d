"""Request integration: what every request's session has proved, and the path policies.

:class:`OTPMiddleware` gives ``request.user`` an ``otp_device`` attribute and an
``is_verified()`` method, and the request an ``otp_state`` (the authentication state), all
lazily: nothing is read until it is touched, anonymous users cost no query and a verified
session costs one (the device; none with ``OTP_CACHE``). It enforces ``OTP_ENFORCE_FOR``
(see :mod:`django_otp.flows.enforce`; nothing is done when it is not set) and
``OTP_PATH_POLICIES``, lets a remembered browser verify a new session
(:mod:`django_otp.flows.recall`), and ends a session whose user signed out everywhere since
(:mod:`django_otp.flows.sessions`).
:func:`request_is_verified` and :func:`ensure_verification` run the same verification where
the middleware is not installed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from django_otp.app_settings import app_settings
from django_otp.assurance.state import AuthState, state_for
from django_otp.assurance.verified import (
    aannotate,
    annotate,
    annotated,
    is_verified,
    request_is_verified,
)
from django_otp.flows import enforce, recall, sessions
from django_otp.flows.stepup import refusal
from django_otp.signals import current_request

__all__ = ["OTPMiddleware", "ensure_verification", "is_verified", "request_is_verified"]

_UserCheck = Callable[[HttpRequest, Any], Any]
_AsyncUserCheck = Callable[[HttpRequest, Any], Awaitable[Any]]


def _verify(request: HttpRequest, user: Any) -> Any:
    """Annotate ``user`` with ``otp_device`` and ``is_verified`` from ``request.session``;
    a new session that no device verifies may be verified by a remembered browser, and a
    session that signed in before its user signed out everywhere ends (the anonymous user)."""
    annotate(request, user)
    if sessions.signed_out(user):
        return sessions.end(request)
    recall.restore(request, user)
    return user


async def _averify(request: HttpRequest, user: Any) -> Any:
    """Async variant of :func:`_verify`."""
    await aannotate(request, user)
    if sessions.signed_out(user):
        return await sessions.aend(request)
    await recall.arestore(request, user)
    return user


def _verify_if_needed(request: HttpRequest, user: Any) -> Any:
    return user if annotated(user) else _verify(request, user)


async def _averify_if_needed(request: HttpRequest, user: Any) -> Any:
    return user if annotated(user) else await _averify(request, user)


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


#: The last ``OTP_PATH_POLICIES`` value seen, and its rules compiled.
_rules: tuple[Any, list[tuple[re.Pattern[str], str]]] = ((), [])


def _path_policy(path: str) -> str | None:
    """The policy ``OTP_PATH_POLICIES`` names for ``path`` (the first match), if any."""
    global _rules
    configured = app_settings.OTP_PATH_POLICIES
    if not configured:
        return None
    if _rules[0] is not configured:
        _rules = (configured, [(re.compile(pattern), name) for pattern, name in configured])
    for pattern, policy in _rules[1]:
        if pattern.search(path):
            return policy
    return None


def _record_activity(request: HttpRequest) -> None:
    """Note the session's activity for the idle limits, if the request read the session."""
    session = getattr(request, "session", None)
    if session is not None and getattr(session, "accessed", False):
        state_for(request).record_activity()


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
        request.otp_state = AuthState(request)  # type: ignore[attr-defined]
        token = current_request.set(request)
        try:
            response = None
            if app_settings.OTP_ENFORCE_FOR is not None:
                response = enforce.refusal(request)
            if response is None:
                policy = _path_policy(request.path_info)
                response = refusal(request, policy) if policy else None
            if response is None:
                response = self.get_response(request)
            _record_activity(request)
            recall.forget_bad_cookie(request, response)
            return response
        finally:
            current_request.reset(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        _install(request, _verify, _averify)
        request.otp_state = AuthState(request)  # type: ignore[attr-defined]
        token = current_request.set(request)
        try:
            response = None
            if app_settings.OTP_ENFORCE_FOR is not None:
                response = await sync_to_async(enforce.refusal)(request)
            if response is None:
                policy = _path_policy(request.path_info)
                response = await sync_to_async(refusal)(request, policy) if policy else None
            if response is None:
                response = await self.get_response(request)
            _record_activity(request)
            recall.forget_bad_cookie(request, response)
            return response
        finally:
            current_request.reset(token)
