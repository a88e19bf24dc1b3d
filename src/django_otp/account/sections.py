"""The sections of the security overview: a registry that other apps add to.

Each :class:`Section` has a heading, a template and a :meth:`~Section.context` for one user;
the overview shows the installed ones in ``order``. :class:`DeviceSection` lists the user's
confirmed devices of one model, with a link to add one. Every device model without a section
of its own is listed by :class:`OtherDevicesSection`, so no device is ever hidden.

An app adds its part from its ``AppConfig.ready()`` (a section with the same ``key``
replaces the registered one, so the page that adds a passkey can give the ``webauthn``
section its link)::

    from django_otp.account.sections import DeviceSection, register

    register(DeviceSection(key="webauthn", title=_("Passkeys and security keys"), order=5,
                           model="otp_webauthn.WebAuthnDevice",
                           add_url="otp:security-passkey", add_label=_("Add a passkey")))

A section that is not about devices subclasses :class:`Section` and returns what its
template needs from :meth:`~Section.context`, or from :meth:`~Section.context_for` when it
needs the request: :class:`BrowsersSection` (the remembered browsers) and
:class:`SignOutSection` ("sign out everywhere") do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_otp import device_classes
from django_otp.flows import browsers, remember
from django_otp.models import Device

__all__ = [
    "BackupCodesSection",
    "BrowsersSection",
    "DeviceSection",
    "OtherDevicesSection",
    "Section",
    "SignOutSection",
    "register",
    "section_for",
    "sections",
    "unregister",
]


@dataclass(frozen=True)
class Section:
    """A part of the overview, shown in ``order`` (lowest first) under ``title``."""

    key: str
    title: Any
    template: str = "otp/account/sections/devices.html"
    order: int = 100
    description: Any = ""

    def is_installed(self) -> bool:
        """Whether the section can be shown in this project (its app is installed)."""
        return True

    def context(self, user: Any) -> dict[str, Any]:
        """What the section's template needs for ``user``; ``devices`` lists their devices."""
        return {}

    def context_for(self, request: HttpRequest) -> dict[str, Any]:
        """What the template needs for the request's user (by default :meth:`context`)."""
        return self.context(request.user)


@dataclass(frozen=True)
class DeviceSection(Section):
    """The user's confirmed devices of one model (``"app_label.ModelName"``)."""

    model: str = ""
    add_url: str | None = None
    add_label: Any = ""

    def model_class(self) -> type[Device] | None:
        """The device model, or ``None`` when its app is not installed."""
        try:
            model = apps.get_model(self.model)
        except (LookupError, ValueError):
            return None
        return model if issubclass(model, Device) else None

    def is_installed(self) -> bool:
        return self.model_class() is not None

    def queryset(self, user: Any) -> QuerySet:
        """The user's confirmed devices of the model, oldest first (one query)."""
        model = self.model_class()
        assert model is not None
        return model._default_manager.filter(user=user, confirmed=True).order_by("pk")

    def context(self, user: Any) -> dict[str, Any]:
        return {"devices": list(self.queryset(user))}


@dataclass(frozen=True)
class BackupCodesSection(DeviceSection):
    """Static devices, each with the number of codes it has left (``device.codes_left``)."""

    def queryset(self, user: Any) -> QuerySet:
        return super().queryset(user).annotate(codes_left=Count("token_set"))

    def context(self, user: Any) -> dict[str, Any]:
        devices = list(self.queryset(user))
        return {"devices": devices, "codes_left": sum(device.codes_left for device in devices)}


@dataclass(frozen=True)
class OtherDevicesSection(Section):
    """Devices of every model that no :class:`DeviceSection` lists."""

    def models(self) -> list[type[Device]]:
        """The installed device models without a section of their own."""
        claimed = {
            section.model_class()
            for section in sections()
            if isinstance(section, DeviceSection) and section.is_installed()
        }
        return [model for model in device_classes() if model not in claimed]

    def context(self, user: Any) -> dict[str, Any]:
        devices: list[Device] = []
        for model in self.models():
            rows = model._default_manager.filter(user=user, confirmed=True).order_by("pk")
            devices.extend(rows)
        return {"devices": devices}


@dataclass(frozen=True)
class BrowsersSection(Section):
    """The browsers the user trusts ("trust this browser"), with the one making the request
    marked; shown where browsers can be remembered. One query."""

    def is_installed(self) -> bool:
        return remember.enabled()

    def context_for(self, request: HttpRequest) -> dict[str, Any]:
        return {"browsers": browsers.active(request)}


@dataclass(frozen=True)
class SignOutSection(Section):
    """A link to sign out everywhere (needs ``django_otp.contrib.remember``). No query."""

    def is_installed(self) -> bool:
        return browsers.can_sign_out_everywhere()


_registry: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add ``section`` to the overview, replacing any section with the same ``key``."""
    _registry[section.key] = section


def unregister(key: str) -> None:
    """Remove the section ``key`` from the overview (nothing happens if there is none)."""
    _registry.pop(key, None)


def sections() -> list[Section]:
    """The registered sections that are installed, in their order."""
    installed = [section for section in _registry.values() if section.is_installed()]
    return sorted(installed, key=lambda section: (section.order, section.key))


def section_for(device: Device, among: Iterable[Section] | None = None) -> Section | None:
    """The section that lists ``device``."""
    candidates = list(among if among is not None else sections())
    for section in candidates:
        if isinstance(section, DeviceSection) and section.model_class() is type(device):
            return section
    return next((s for s in candidates if isinstance(s, OtherDevicesSection)), None)


register(
    DeviceSection(
        key="webauthn",
        title=_("Passkeys and security keys"),
        description=_("Your phone, computer or a security key confirms it is you."),
        order=5,
        model="otp_webauthn.WebAuthnDevice",
        add_url="otp:security-passkey",
        add_label=_("Add a passkey or security key"),
    )
)
register(
    DeviceSection(
        key="totp",
        title=_("Authenticator apps"),
        description=_("An app on your phone or computer shows a new code every 30 seconds."),
        order=10,
        model="otp_totp.TOTPDevice",
        add_url="otp:security-totp",
        add_label=_("Add an authenticator app"),
    )
)
register(
    DeviceSection(
        key="email",
        title=_("Email addresses"),
        description=_("A code is sent to the address when you sign in."),
        order=20,
        model="otp_email.EmailDevice",
        add_url="otp:security-email",
        add_label=_("Add an email address"),
    )
)
register(
    DeviceSection(
        key="hotp",
        title=_("Hardware tokens"),
        description=_("A key fob or card that shows a new code each time you press it."),
        order=30,
        model="otp_hotp.HOTPDevice",
    )
)
register(
    BackupCodesSection(
        key="backup_codes",
        title=_("Backup codes"),
        description=_("Codes to print or save, each usable once if you lose your devices."),
        template="otp/account/sections/backup_codes.html",
        order=40,
        model="otp_static.StaticDevice",
        add_url="otp:security-backup-codes",
        add_label=_("Get backup codes"),
    )
)
register(OtherDevicesSection(key="other", title=_("Other sign-in methods"), order=90))
register(
    BrowsersSection(
        key="browsers",
        title=_("Remembered browsers"),
        description=_(
            "Browsers where you chose “Trust this browser”: they ask only for your password "
            "until they expire."
        ),
        template="otp/account/sections/browsers.html",
        order=95,
    )
)
register(
    SignOutSection(
        key="sign_out",
        title=_("Sign out everywhere"),
        description=_(
            "Lost a device, or signed in on a computer that is not yours? Sign out of every "
            "browser and app at once."
        ),
        template="otp/account/sections/sign_out.html",
        order=100,
    )
)
