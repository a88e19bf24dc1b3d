"""The two-step sign-in pages and enforcement's reminder; each only calls flows.

* ``otp:login`` (:class:`SignInView`): username and password, and the device types' sign-in
  without a password (a passkey) when it is enabled.
* ``otp:login-verify`` (:class:`VerifyView`): the second factor, one of the user's factors at
  a time (``?factor=<id>``), with links to the others; a factor that sends its code (email)
  has a button for it, and a passkey its ceremony. "Trust this browser" is offered when
  remembered browsers are enabled.
* ``otp:login-setup`` (:class:`SetupView`): enforcement's reminder, or its wall.

Every page keeps a safe ``next`` (a URL of this site, else ``LOGIN_REDIRECT_URL``).
Templates are under ``otp/login/``; a site overrides them like any app template.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from django_otp import user_has_device
from django_otp.app_settings import app_settings
from django_otp.assurance.verified import request_is_verified
from django_otp.flows import enforce, remember, signin
from django_otp.flows.factors import choose, factors_for, passwordless_templates, resend_at
from django_otp.flows.limits import wait_text
from django_otp.flows.stepup import safe_next
from django_otp.forms import REMEMBER_FIELD
from django_otp.signin.forms import CodeForm, PasswordForm


def next_url(request: HttpRequest) -> str:
    """Where to go once signed in: ``next`` if it is a URL of this site."""
    value = request.POST.get("next") or request.GET.get("next")
    return safe_next(request, value) or resolve_url(settings.LOGIN_REDIRECT_URL)


def page_url(name: str, **query: Any) -> str:
    """The URL of the page ``otp:<name>`` with ``query``."""
    return f"{reverse(f'otp:{name}')}?{urlencode(query)}"


_protected = [sensitive_post_parameters(), csrf_protect, never_cache]


@method_decorator(_protected, name="dispatch")
class SignInView(FormView):
    """The first step: the password. A signed-in user goes on to the second step, or on."""

    template_name = "otp/login/password.html"
    form_class = PasswordForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.next_url = next_url(request)
        user = request.user
        if user.is_authenticated:
            if request_is_verified(request) or not user_has_device(user):
                return HttpResponseRedirect(self.next_url)
            return HttpResponseRedirect(page_url("login-verify", next=self.next_url))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(request=self.request, passwordless=bool(self.passwordless))
        return kwargs

    @cached_property
    def passwordless(self) -> list[str]:
        """The snippets that sign in without a password (a passkey), when enabled."""
        return passwordless_templates()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            next=self.next_url,
            expired=bool(self.request.GET.get("expired")),
            passwordless=self.passwordless,
        )
        return context

    def form_valid(self, form: PasswordForm) -> HttpResponse:
        if signin.start(self.request, form.get_user()) is None:
            return HttpResponseRedirect(self.next_url)  # no device, or a remembered browser
        return HttpResponseRedirect(page_url("login-verify", next=self.next_url))


@method_decorator(_protected, name="dispatch")
class VerifyView(TemplateView):
    """The second step: a code from one of the user's factors, or a code sent on request."""

    template_name = "otp/login/verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.next_url = next_url(request)
        subject, error = signin.current(request)
        if subject is None:
            if error in ("expired", "missing"):
                query = {"next": self.next_url, **({"expired": "1"} if error == "expired" else {})}
                return HttpResponseRedirect(page_url("login", **query))
            return HttpResponseRedirect(self.next_url)  # verified, or nothing to verify
        self.subject = subject
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(CodeForm(request, self.subject), request.GET.get("factor"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        factor_id = request.POST.get("factor")
        if request.POST.get("action") == "send":
            sent = signin.send_code(request, self.subject, factor_id)
            form = CodeForm(request, self.subject)
            return self.render(form, factor_id, notice=signin.describe_sent(sent), sent=sent)
        form = CodeForm(request, self.subject, data=request.POST)
        if form.is_valid() and form.result is not None and form.result.device is not None:
            return self.signed_in(form.result.device, bool(form.cleaned_data.get(REMEMBER_FIELD)))
        return self.render(form, factor_id)

    def signed_in(self, device: Any, trust: bool = False) -> HttpResponse:
        """The response once the user is signed in with ``device``; with ``trust`` ("trust
        this browser" was ticked) it sets the remembered-browser cookie."""
        response = HttpResponseRedirect(self.next_url)
        if trust:
            remember.remember(self.request, response, device)
        return response

    def render(self, form: CodeForm, factor_id: Any, **extra: Any) -> HttpResponse:
        """The page for ``form``, asking for the factor ``factor_id`` (the first if unknown)."""
        factors = factors_for(self.subject.user)
        factor = choose(factors, factor_id) or choose(factors, None)
        resend = resend_at(factor.device) if factor is not None else None
        context = self.get_context_data(
            form=form,
            factor=factor,
            others=[other for other in factors if other is not factor],
            resend_wait=wait_text(resend) if resend is not None else None,
            subject=self.subject,
            next=self.next_url,
            **extra,
        )
        return self.render_to_response(context)


@method_decorator(_protected, name="dispatch")
class SetupView(TemplateView):
    """Enforcement's page: set up a device, or (during the grace period) not now."""

    template_name = "otp/login/setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.next_url = next_url(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("otp:login"))
        self.status = enforce.status(request)
        if self.status.action == "verify":
            return HttpResponseRedirect(page_url("login-verify", next=self.next_url))
        if self.status.action == "none":
            return HttpResponseRedirect(self.next_url)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if enforce.skip(request):
            return HttpResponseRedirect(self.next_url)
        return self.get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        setup_url = enforce.url_or_none(app_settings.OTP_ENFORCE_SETUP_URL)
        if setup_url is not None:
            setup_url = f"{setup_url}?{urlencode({'next': self.next_url})}"
        context.update(
            status=self.status,
            setup_url=setup_url,
            logout_url=enforce.url_or_none(app_settings.OTP_ENFORCE_LOGOUT_URL),
            next=self.next_url,
        )
        return context


sign_in = SignInView.as_view()
verify = VerifyView.as_view()
setup = SetupView.as_view()
