"""The login view that asks for what the user still has to prove, the step-up page, and the
mixin that puts a class-based view behind a policy."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from django_otp.assurance.policies import get_policy
from django_otp.assurance.state import state_for
from django_otp.decorators import otp_required, policy_gate
from django_otp.flows import recall, remember, stepup
from django_otp.flows.verify import NO_PASSWORD
from django_otp.forms import (
    REMEMBER_FIELD,
    OTPAuthenticationForm,
    OTPTokenForm,
    StepUpForm,
    offer_remember,
)
from django_otp.middleware import ensure_verification, request_is_verified


class LoginView(auth_views.LoginView):
    """Django's ``LoginView`` with a one-time token; suitable as ``OTP_LOGIN_URL``.

    Anonymous (or already verified) users get username, password and token; a user who is
    logged in but not verified gets the token form only. ``next`` is honoured only when it
    points to an allowed host, as in Django's ``LoginView``. When browsers can be remembered
    both forms also offer "Trust this browser for N days" (the field ``otp_remember``), and
    on a remembered browser of the user the right username and password without a token are
    enough: the session is verified by the browser (see :mod:`django_otp.flows.recall`).
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

    def get_form(self, form_class: Any = None) -> Any:
        """The form, with the "trust this browser" checkbox when it is enabled."""
        form = super().get_form(form_class)
        offer_remember(form)
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        """Log the user in; the token-only form reuses the backend of the current login."""
        user = form.get_user()
        backend = self.request.session.get(BACKEND_SESSION_KEY)
        if backend and not hasattr(user, "backend"):
            user.backend = backend
            setattr(user, NO_PASSWORD, True)  # signed in already: no password this time
        response = super().form_valid(form)
        device = getattr(user, "otp_device", None)
        if form.cleaned_data.get(REMEMBER_FIELD) and device is not None:
            remember.remember(self.request, response, device)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        """Sign in without a token on a remembered browser of the user, else show the errors."""
        recognised = self._remembered_browser(form)
        if recognised is None:
            return super().form_invalid(form)
        response = super().form_valid(form)
        recall.apply(self.request, form.get_user(), recognised)
        return response

    def _remembered_browser(self, form: Any) -> recall.Recognised | None:
        """The remembered browser that may stand in for the missing token, if there is one.

        Only when the password was right and the one error is that no token was given.
        """
        errors = form.errors.as_data()
        if list(errors) != [NON_FIELD_ERRORS] or "password" not in form.fields:
            return None
        if [error.code for error in errors[NON_FIELD_ERRORS]] != ["token_required"]:
            return None
        user = form.get_user()
        return recall.recognise(self.request, user) if user is not None else None


#: The view function, kept for URLconfs written for django-otp.
login = LoginView.as_view()


class OTPRequiredMixin:
    """Put a class-based view behind ``otp_required``: set ``otp_policy`` to ask for more.

    With ``otp_policy = None`` the view behaves as ``otp_required`` (a verified session, or
    the sign-in page); with a policy name or object, an unmet policy leads to the step-up
    page (or to ``401`` for a client that wants JSON).
    """

    otp_policy: Any = None
    otp_login_url: str | None = None
    otp_redirect_field_name: str | None = "next"
    otp_if_configured: bool = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        options: dict[str, Any] = {
            "login_url": self.otp_login_url,
            "redirect_field_name": self.otp_redirect_field_name,
            "if_configured": self.otp_if_configured,
        }
        if self.otp_policy is None:
            view = otp_required(super().dispatch, **options)  # type: ignore[misc]
            return view(request, *args, **kwargs)
        ensure_verification(request)
        response = policy_gate(request, self.otp_policy, **options)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


@method_decorator(never_cache, name="dispatch")
class StepUpView(FormView):
    """Ask a signed-in user to prove a device that meets a policy, then send them back.

    The page names the policy in ``?policy=`` (``default`` when absent) and the page to
    return to in ``?next=`` (ignored unless it is on this site). Only the user's devices
    that can meet the policy are offered.
    """

    template_name = "otp/step_up.html"
    form_class = StepUpForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        ensure_verification(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        self.policy = get_policy(request.GET.get("policy") or request.POST.get("policy"))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def next_url(self) -> str:
        """Where to go afterwards: a URL of this site, else ``LOGIN_REDIRECT_URL``."""
        value = self.request.POST.get("next") or self.request.GET.get("next")
        return stepup.safe_next(self.request, value) or resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, policy=self.policy)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            policy=self.policy,
            unmet=state_for(self.request).unmet(self.policy),
            next=self.next_url,
            resubmit=bool(self.request.GET.get("resubmit")),
            ceremonies=context["form"].ceremonies(),
        )
        return context

    def form_valid(self, form: StepUpForm) -> HttpResponse:
        device = self.request.user.otp_device  # type: ignore[union-attr]
        stepup.complete(self.request, device, self.policy)
        response = HttpResponseRedirect(self.next_url)
        if form.cleaned_data.get(REMEMBER_FIELD):
            remember.remember(self.request, response, device)
        return response


#: The step-up page as a view function.
step_up = StepUpView.as_view()
