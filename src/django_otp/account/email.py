"""Add an email address: send it a code, and confirm the address with that code."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_otp.account.base import SecurityView, flash
from django_otp.account.forms import CodeForm, EmailForm
from django_otp.flows import enrol, manage
from django_otp.flows.verify import describe
from django_otp.models import Device

__all__ = ["AddEmailView", "ConfirmEmailView"]


def email_model() -> type[Device]:
    """The email device model; 404 when its app is not installed."""
    if not apps.is_installed("django_otp.plugins.otp_email"):
        raise Http404("Email codes are not enabled.")
    return apps.get_model("otp_email", "EmailDevice")


def wait_message(seconds: int) -> str:
    """Tell the person how long to wait before the next code."""
    return ngettext(
        "You can ask for a new code in %(seconds)d second.",
        "You can ask for a new code in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


class EmailView(SecurityView):
    """A step of adding an email device."""

    change = manage.ADD

    @cached_property
    def model(self) -> type[Device]:
        return email_model()

    def send(self, device: Device) -> Any:
        """Send the device its code; return what went wrong for the person, or ``None``."""
        result = enrol.send_code(self.request, device)
        if result.error == "cooldown":
            return wait_message(result.data["seconds"])
        if not result.ok:
            return _("The code could not be sent. Try again later.")
        return None


class AddEmailView(EmailView):
    """Ask for the address, then send it a code."""

    template_name = "otp/account/email.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.model  # noqa: B018 (404 when the plugin is not installed)
        user: Any = request.user
        initial = {"email": getattr(user, user.get_email_field_name(), "")}
        return self.render_to_response(self.get_context_data(form=EmailForm(initial=initial)))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = EmailForm(request.POST)
        if form.is_valid():
            address = form.cleaned_data["email"]
            result = enrol.begin(request, self.model, name=address, email=address)
            response = self.refused(result)
            if response is not None or result.device is None:
                return response or self.done()
            problem = self.send(result.device)
            if problem is None:
                return HttpResponseRedirect(reverse("otp:security-email-confirm"))
            enrol.cancel(request, self.model)
            form.add_error("email", problem)
        return self.render_to_response(self.get_context_data(form=form))


class ConfirmEmailView(EmailView):
    """Ask for the code sent to the address; offer to send another once the cooldown ends."""

    template_name = "otp/account/email_confirm.html"

    @cached_property
    def device(self) -> Device | None:
        return enrol.pending(self.request, self.model)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        seconds = enrol.cooldown_left(self.device) if self.device is not None else 0
        context.update(
            device=self.device, wait=wait_message(seconds) if seconds else "", seconds=seconds
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.device is None:
            return HttpResponseRedirect(reverse("otp:security-email"))
        return self.render_to_response(self.get_context_data(form=CodeForm()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "cancel" in request.POST:
            enrol.cancel(request, self.model)
            return self.done()
        if self.device is None:
            return HttpResponseRedirect(reverse("otp:security-email"))
        if "resend" in request.POST:
            problem = self.send(self.device)
            if problem is None:
                flash(request, _("A new code was sent."))
            else:
                flash(request, problem, messages.WARNING)
            return HttpResponseRedirect(request.path)
        form = CodeForm(request.POST)
        if form.is_valid():
            result = enrol.confirm(request, self.device, form.cleaned_data["otp_token"])
            response = self.answer(result, _("Your email address was added."))
            if response is not None:
                return response
            form.add_error("otp_token", describe(result.data["verification"]))
        return self.render_to_response(self.get_context_data(form=form))
