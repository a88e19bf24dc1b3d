"""Add an authenticator app: a QR code, the key as text, then the app's code to confirm it."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_otp.account.base import SecurityView
from django_otp.account.forms import AppCodeForm
from django_otp.flows import enrol, manage
from django_otp.flows.verify import describe
from django_otp.models import Device
from django_otp.provisioning import base32_secret
from django_otp.qr import svg_qrcode_element

__all__ = ["AddAuthenticatorView"]


def totp_model() -> type[Device]:
    """The TOTP device model; 404 when its app is not installed."""
    if not apps.is_installed("django_otp.plugins.otp_totp"):
        raise Http404("Authenticator apps are not enabled.")
    return apps.get_model("otp_totp", "TOTPDevice")


def qr_code(uri: str) -> Any:
    """The QR code of ``uri`` as inline SVG markup, or ``None`` without a QR library."""
    try:
        return mark_safe(svg_qrcode_element(uri, gettext("QR code for your authenticator app")))  # noqa: S308 (our own markup, the label escaped)
    except ModuleNotFoundError:
        return None


class AddAuthenticatorView(SecurityView):
    """Show a new (unconfirmed) TOTP device to scan, and confirm it with the app's code.

    The device is made on the first visit and kept for this session, so a reload shows the
    same code; "Cancel" deletes it.
    """

    change = manage.ADD
    template_name = "otp/account/totp.html"

    @cached_property
    def model(self) -> type[Device]:
        return totp_model()

    def pending(self) -> Device | HttpResponse:
        """This session's pending device, made now if there is none."""
        device = enrol.pending(self.request, self.model)
        if device is not None:
            return device
        result = enrol.begin(self.request, self.model, name=gettext("Authenticator app"))
        if result.device is None:
            return self.refused(result) or self.done()
        return result.device

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = self.pending()
        if isinstance(device, HttpResponse):
            return device
        return self.render_to_response(self.get_context_data(device=device, form=AppCodeForm()))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = context["device"]
        uri = device.config_url
        context.update(uri=uri, qr_code=qr_code(uri), secret=base32_secret(device.bin_key))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "cancel" in request.POST:
            enrol.cancel(request, self.model)
            return self.done()
        device = enrol.pending(request, self.model)
        if device is None:  # cancelled or confirmed in another tab: start again
            return HttpResponseRedirect(request.path)
        form = AppCodeForm(request.POST)
        if form.is_valid():
            name = form.cleaned_data.get("name") or ""
            result = enrol.confirm(request, device, form.cleaned_data["otp_token"], name=name)
            response = self.answer(result, _("Your authenticator app was added."))
            if response is not None:
                return response
            form.add_error("otp_token", describe(result.data["verification"]))
        return self.render_to_response(self.get_context_data(device=device, form=form))
