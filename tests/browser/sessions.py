"""Signed-in browser sessions made on the server side, for tests that start past the login."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

import django_otp
from django_otp.models import Device


def signed_in_session_key(user: Any, device: Device | None = None) -> str:
    """Store a session in which ``user`` is logged in, verified by ``device`` if given.

    It goes through ``django.contrib.auth.login`` and ``django_otp.login`` as a login view
    does, so the session holds what a real sign-in leaves there. Returns the session key, the
    value of the session cookie.
    """
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = AnonymousUser()
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        django_otp.login(request, device)
        if getattr(request.user, "otp_device", None) != device:
            raise ValueError(f"{device!r} cannot verify a session of {user!r}")
    request.session.save()
    assert request.session.session_key is not None
    return request.session.session_key
