"""A login view that asks for what the user still has to prove: password and token, or token."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.functional import cached_property

from django_otp.forms import OTPAuthenticationForm, OTPTokenForm
from django_otp.middleware import request_is_verified


class LoginView(auth_views.LoginView):
    """Django's ``LoginView`` with a one-time token; suitable as ``OTP_LOGIN_URL``.

    Anonymous (or already verified) users get username, password and token; a user who is
    logged in but not verified gets the token form only. ``next`` is honoured only when it
    points to an allowed host, as in Django's ``LoginView``.
    """

    otp_authentication_form = OTPAuthenticationForm
    otp_token_form = OTPTokenForm

    @cached_property
    def authentication_form(self) -> Any:  # type: ignore[override]
        """The form class for this request's user (chosen once per view instance)."""
        user = self.request.user
        if user.is_anonymous or request_is_verified(self.request):
            return self.otp_authentication_form
        return functools.partial(self.otp_token_form, user)

    def form_valid(self, form: Any) -> HttpResponse:
        """Log the user in; the token-only form reuses the backend of the current login."""
        user = form.get_user()
        backend = self.request.session.get(BACKEND_SESSION_KEY)
        if backend and not hasattr(user, "backend"):
            user.backend = backend
        return super().form_valid(form)


#: The view function, kept for URLconfs written for django-otp.
login = LoginView.as_view()
