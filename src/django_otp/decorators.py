"""View decorators that require a session verified by a device."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth.decorators import user_passes_test
from django.utils.functional import lazy

from django_otp import user_has_device
from django_otp.app_settings import app_settings
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


def otp_required(
    view: Callable[..., Any] | None = None,
    redirect_field_name: str | None = "next",
    login_url: str | None = None,
    if_configured: bool = False,
) -> Any:
    """Like ``login_required``, but the user must also be verified by a device.

    ``login_url`` defaults to ``OTP_LOGIN_URL``. With ``if_configured=True`` an authenticated
    user without a confirmed device passes too. Usable bare, with arguments, or called with
    the view as its first argument.
    """

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
