"""What every account page shares: the gate in front of it, and finding the user's device.

:class:`SecurityView` asks :func:`django_otp.flows.manage.policy_for` which policy its
``change`` needs and, when the session does not meet it, answers as every policy gate does
(:func:`django_otp.flows.stepup.refusal`: the sign-in page, the step-up page, or ``401`` for
a client that wants JSON). A form posted by a session that fell short is not replayed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from django_otp.flows import manage, stepup
from django_otp.middleware import ensure_verification
from django_otp.models import Device, parse_persistent_id

__all__ = ["SecurityView", "flash", "user_device"]


def user_device(request: HttpRequest, label: str, pk: int) -> Device:
    """The signed-in user's confirmed device ``<label>/<pk>``; ``Http404`` for any other."""
    parsed = parse_persistent_id(f"{label}/{pk}")
    if parsed is None:
        raise Http404("No such device.")
    model, device_id = parsed
    device = model._default_manager.filter(
        pk=device_id, user=request.user.pk, confirmed=True
    ).first()
    if device is None:
        raise Http404("No such device.")
    return device


def flash(request: HttpRequest, text: Any, level: int = messages.SUCCESS) -> None:
    """Show ``text`` on the next page, when the site uses Django's messages framework."""
    messages.add_message(request, level, text, fail_silently=True)


@method_decorator(never_cache, name="dispatch")
class SecurityView(TemplateView):
    """An account page behind the policy its ``change`` needs (see the module docstring)."""

    #: One of :data:`django_otp.flows.manage.VIEW`, ``RENAME``, ``ADD`` and ``REMOVE``.
    change = manage.VIEW

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        ensure_verification(request)
        if not request.user.is_authenticated:
            return stepup.refusal(request)
        response = self.refusal()
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def devices(self) -> list[Device]:
        """The user's confirmed devices, loaded once per request."""
        return manage.confirmed_devices(self.request.user)

    def refusal(self) -> HttpResponse | None:
        """The answer to a session that may not make :attr:`change`, or ``None``."""
        policy = manage.policy_for(self.change, self.devices)
        return stepup.refusal(self.request, policy) if policy else None

    def refused(self, result: manage.Result) -> HttpResponse | None:
        """The answer to a flow that refused for the session's sake (it changed meanwhile)."""
        if result.error == "step_up_required":
            return stepup.refusal(self.request, result.data["policy"])
        if result.error == "login_required":
            return stepup.refusal(self.request)
        if result.error == "device_required":
            raise Http404("No such device.")
        return None

    def done(self, text: Any = None) -> HttpResponse:
        """Back to the overview, with ``text`` shown there."""
        if text is not None:
            flash(self.request, text)
        return HttpResponseRedirect(reverse("otp:security"))

    def answer(self, result: manage.Result, text: Any) -> HttpResponse | None:
        """The response to a change's ``result``: a refusal, or the overview with ``text``
        when it happened; ``None`` when the page should show the form again with an error."""
        if result.ok:
            return self.done(text)
        return self.refused(result)
