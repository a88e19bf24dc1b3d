"""View decorators that require a session verified by a device, or one that meets a policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.utils.functional import lazy

from django_otp import user_has_device
from django_otp.app_settings import app_settings
from django_otp.flows.stepup import refusal
from django_otp.middleware import ensure_verification


def _otp_login_url() -> str:
    return app_settings.OTP_LOGIN_URL


#: ``OTP_LOGIN_URL``, read each time a request is redirected (so ``override_settings`` works).
_lazy_otp_login_url = lazy(_otp_login_url, str)()


def _verifying(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``view`` so that ``request.user.is_verified`` exists even without the middleware."""
    if iscoroutinefunction(view):

        async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            ensure_verification(request)
            return await view(request, *args, **kwargs)

        return functools.wraps(view)(async_wrapper)

    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        ensure_verification(request)
        return view(request, *args, **kwargs)

    return functools.wraps(view)(wrapper)


def _async_gate(check: Callable[..., Any], view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply ``check`` to an async ``view`` where Django's ``user_passes_test`` cannot (< 5.1).

    Django's own check runs in a thread on a stand-in view, so its redirect is the same.
    """
    gate = sync_to_async(check(lambda request, *args, **kwargs: None))

    async def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        refusal = await gate(request, *args, **kwargs)
        if refusal is not None:
            return refusal
        return await view(request, *args, **kwargs)

    return functools.wraps(view)(wrapper)


def policy_gate(
    request: HttpRequest,
    policy: Any,
    *,
    login_url: str | None = None,
    redirect_field_name: str | None = "next",
    if_configured: bool = False,
) -> HttpResponse | None:
    """The refusal of a request that does not meet ``policy`` (see :mod:`django_otp.flows.stepup`).

    With ``if_configured=True`` an authenticated user without a confirmed device passes.
    """
    user = request.user
    if if_configured and user.is_authenticated and not user_has_device(user):
        return None
    return refusal(request, policy, login_url=login_url, redirect_field_name=redirect_field_name)


def _policy_decorator(policy: Any, **options: Any) -> Callable[..., Any]:
    """``otp_required`` with a policy: the step-up gate before the view, sync or async."""

    def decorator(view_func: Callable[..., Any]) -> Callable[..., Any]:
        if iscoroutinefunction(view_func):

            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                ensure_verification(request)
                response = await sync_to_async(policy_gate)(request, policy, **options)
                if response is not None:
                    return response
                return await view_func(request, *args, **kwargs)

            return functools.wraps(view_func)(async_wrapper)

        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            ensure_verification(request)
            response = policy_gate(request, policy, **options)
            if response is not None:
                return response
            return view_func(request, *args, **kwargs)

        return functools.wraps(view_func)(wrapper)

    return decorator


def otp_required(
    view: Callable[..., Any] | None = None,
    redirect_field_name: str | None = "next",
    login_url: str | None = None,
    if_configured: bool = False,
    policy: Any = None,
) -> Any:
    """Like ``login_required``, but the user must also be verified by a device.

    ``login_url`` defaults to ``OTP_LOGIN_URL``. With ``if_configured=True`` an authenticated
    user without a confirmed device passes too. Usable bare, with arguments, or called with
    the view as its first argument. ``policy`` (a name from ``OTP_POLICIES`` or a policy
    object) asks for more than verification: a session that does not meet it is sent to the
    step-up page, or answered ``401`` when the client wants JSON.
    """
    if policy is not None:
        gate = _policy_decorator(
            policy,
            login_url=login_url,
            redirect_field_name=redirect_field_name,
            if_configured=if_configured,
        )
        return gate if view is None else gate(view)

    def test(user: Any) -> bool:
        if user.is_verified():
            return True
        return if_configured and user.is_authenticated and not user_has_device(user)

    check = user_passes_test(
        test,
        login_url=login_url or _lazy_otp_login_url,
        redirect_field_name=redirect_field_name,
    )

    def decorator(view_func: Callable[..., Any]) -> Callable[..., Any]:
        checked = check(view_func)
        if iscoroutinefunction(view_func) and not iscoroutinefunction(checked):
            checked = _async_gate(check, view_func)
        return _verifying(checked)

    return decorator if view is None else decorator(view)
