"""Add a passkey or security key: the plugin's registration ceremony on an account page.

The page embeds ``otp_webauthn/register.html`` (its ES module runs the ceremony against the
plugin's JSON endpoints). The endpoints apply the same rule as this page
(:func:`django_otp.flows.manage.permission` for an added factor), and send ``factor_added``.
Once the key is stored, the module goes to :class:`PasskeyAddedView`, which says so on the
overview.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_otp.account.base import SecurityView
from django_otp.flows import manage
from django_otp.models import Device

__all__ = ["AddPasskeyView", "PasskeyAddedView"]

#: A key added at most this long ago (seconds) is announced on the overview.
ANNOUNCE_SECONDS = 600


def webauthn_model() -> type[Device]:
    """The passkey device model; 404 when its app is not installed."""
    if not apps.is_installed("django_otp.plugins.otp_webauthn"):
        raise Http404("Passkeys are not enabled.")
    return apps.get_model("otp_webauthn", "WebAuthnDevice")


class AddPasskeyView(SecurityView):
    """The registration ceremony, with a name field, behind the rule of an added factor."""

    change = manage.ADD
    template_name = "otp/account/passkey.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        webauthn_model()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["added_url"] = reverse("otp:security-passkey-added")
        return context


class PasskeyAddedView(SecurityView):
    """Where the ceremony ends: the overview, saying which key was just added.

    Only a key of the user's that is at most :data:`ANNOUNCE_SECONDS` old is named, so the
    message is true whoever opens the link.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        since = timezone.now() - timedelta(seconds=ANNOUNCE_SECONDS)
        model: Any = webauthn_model()
        rows = model._default_manager.filter(
            user=request.user.pk, confirmed=True, created_at__gte=since
        )
        device = rows.order_by("-pk").first()
        if device is None:
            return self.done()
        return self.done(_("“%(name)s” was added.") % {"name": device.name})
