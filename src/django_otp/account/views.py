"""The security overview, and renaming or removing one of the user's devices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from django_otp.account.base import SecurityView, user_device
from django_otp.account.forms import RemoveForm, RenameForm
from django_otp.account.sections import section_for, sections
from django_otp.flows import manage
from django_otp.models import Device

__all__ = ["OverviewView", "RemoveView", "RenameView"]


class OverviewView(SecurityView):
    """The user's sign-in methods by section, with links to add, rename and remove them.

    One query per section whatever the number of devices (backup codes are counted in the
    same query), and the gate uses the devices the sections loaded.
    """

    template_name = "otp/account/overview.html"

    @cached_property
    def sections(self) -> list[tuple[Any, dict[str, Any]]]:
        """Each installed section with its context for the user."""
        return [(section, section.context_for(self.request)) for section in sections()]

    @cached_property
    def devices(self) -> list[Device]:
        return [device for _, data in self.sections for device in data.get("devices", ())]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(sections=self.sections, has_devices=bool(self.devices))
        return context


class DeviceView(SecurityView):
    """A page about one of the user's confirmed devices, named in the URL."""

    @cached_property
    def device(self) -> Device:
        """The device of the URL; other users' devices and unknown ones give 404."""
        return user_device(self.request, self.kwargs["label"], self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            self.device  # noqa: B018 (404 before anything else)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(device=self.device, section=section_for(self.device))
        return context


class RenameView(DeviceView):
    """Give a device a new name (needs the ``recent`` policy)."""

    change = manage.RENAME
    template_name = "otp/account/rename.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("form", RenameForm(initial={"name": self.device.name}))
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RenameForm(request.POST)
        if form.is_valid():
            result = manage.rename(request, self.device, form.cleaned_data["name"])
            response = self.answer(result, _("The name was changed."))
            if response is not None:
                return response
            form.add_error("name", _("Enter a name of 64 characters at most."))
        return self.render_to_response(self.get_context_data(form=form))


class RemoveView(DeviceView):
    """Remove a device after confirmation; removing the last one warns and asks twice."""

    change = manage.REMOVE
    template_name = "otp/account/remove.html"

    @cached_property
    def last(self) -> bool:
        """Whether the device is the user's last confirmed device."""
        return all(d.persistent_id == self.device.persistent_id for d in self.devices)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("form", RemoveForm(last=self.last))
        persistent_id = self.device.persistent_id
        verified_by = getattr(self.request.user, "otp_device", None)
        own = verified_by is not None and verified_by.persistent_id == persistent_id
        alone = own and not manage.proved_besides(self.request, persistent_id)
        kwargs.update(last=self.last, signed_in_with=alone)
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RemoveForm(request.POST, last=self.last)
        if form.is_valid():
            confirmed = bool(form.cleaned_data.get("confirm"))
            result = manage.remove(request, self.device, confirmed=confirmed)
            done = _("“%(name)s” was removed.") % {"name": self.device.name}
            response = self.answer(result, done)
            if response is not None:
                return response
            form = RemoveForm(request.POST, last=True)
            form.add_error("confirm", _("Tick the box to remove your last sign-in method."))
        return self.render_to_response(self.get_context_data(form=form))
