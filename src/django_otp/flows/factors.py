"""The second factors a user can sign in with, as the sign-in offers them.

Every confirmed device of the user is one :class:`Factor`. Its ``kind`` says how the page
asks for it: ``code`` (the device shows a code: an authenticator app, a hardware token),
``challenge`` (the site sends a code: email, or any device that generates a challenge) and
``backup`` (a backup code). A device type declares another kind with the class attribute
``otp_signin_kind``, and ships the template ``otp/login/factor_<kind>.html`` that renders it
(the passkey plugin's ``passkey``, say). Factors come strongest first: passkeys, codes,
challenges, backup codes last; within a kind the most recently used first.

A device type that can sign a person in without a password (a passkey) offers it on the
password page through :func:`passwordless_templates`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from django_otp import device_classes, devices_for_user
from django_otp.assurance.proofs import method_of
from django_otp.models import Device

__all__ = [
    "KINDS",
    "LABELS",
    "Factor",
    "choose",
    "factors_for",
    "has_factors",
    "kind_of",
    "passwordless_templates",
    "resend_at",
]

#: The kind of each built-in method.
KINDS = {
    "totp": "code",
    "hotp": "code",
    "email": "challenge",
    "static": "backup",
    "webauthn": "passkey",
}

#: What a person calls each built-in method.
LABELS = {
    "totp": _("Authenticator app"),
    "hotp": _("Hardware token"),
    "email": _("Email code"),
    "static": _("Backup code"),
}

#: The order kinds are offered in; a kind not listed comes after ``code``.
_RANK = {"passkey": 0, "code": 1, "challenge": 3, "backup": 4}
_OTHER_RANK = 2

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def kind_of(device: Device | type[Device]) -> str:
    """How the sign-in asks for ``device``, a device or a device model (see the module
    docstring)."""
    declared = getattr(device, "otp_signin_kind", None)
    if declared:
        return str(declared)
    known = KINDS.get(method_of(device))
    if known:
        return known
    model = device if isinstance(device, type) else type(device)
    interactive = model.generate_challenge is not Device.generate_challenge
    return "challenge" if interactive else "code"


@dataclass(frozen=True)
class Factor:
    """One device the user may sign in with."""

    device: Device
    kind: str

    @property
    def id(self) -> str:
        """The device's persistent id, which the pages and JSON views name it by."""
        return self.device.persistent_id

    @property
    def method(self) -> str:
        """The device's method name (``totp``, ``email``, ...)."""
        return method_of(self.device)

    @property
    def label(self) -> Any:
        """What a person calls this kind of device."""
        return LABELS.get(self.method) or capfirst(self.device._meta.verbose_name)

    @property
    def name(self) -> str:
        """The name the user gave the device."""
        return self.device.name

    @property
    def named(self) -> bool:
        """Whether the name tells the person more than the label (a static device called
        "Backup codes" under the label "Backup code" does not)."""
        return self.name.casefold().rstrip("s") != str(self.label).casefold().rstrip("s")

    @property
    def template(self) -> str:
        """The template that asks for this factor."""
        return f"otp/login/factor_{self.kind}.html"

    def _sort_key(self) -> tuple[int, float]:
        used = getattr(self.device, "last_used_at", None) or _NEVER
        return _RANK.get(self.kind, _OTHER_RANK), -used.timestamp()


def factors_for(user: Any) -> list[Factor]:
    """Every confirmed device of ``user`` as a factor, strongest and most recently used first."""
    found = [Factor(device, kind_of(device)) for device in devices_for_user(user)]
    return sorted(found, key=Factor._sort_key)


def has_factors(user: Any) -> bool:
    """Whether :func:`factors_for` would offer ``user`` anything (one ``SELECT`` per device
    model until a device is found)."""
    return any(
        model.objects.devices_for_user(user, confirmed=True).exists() for model in device_classes()
    )


def passwordless_templates() -> list[str]:
    """The snippets that sign a person in without a password, for the password page.

    A device model offers one with ``otp_passwordless_template``: a template name, or a
    callable (such as a class method) that returns one, or nothing while the feature is off
    (the passkey plugin's follows ``OTP_WEBAUTHN_PASSWORDLESS``). No query is made.
    """
    found = []
    for model in device_classes():
        offer = getattr(model, "otp_passwordless_template", None)
        template = offer() if callable(offer) else offer
        if template:
            found.append(str(template))
    return found


def choose(factors: list[Factor], factor_id: Any) -> Factor | None:
    """The factor named ``factor_id``, or the first one when none is named."""
    if not factor_id:
        return factors[0] if factors else None
    return next((factor for factor in factors if factor.id == factor_id), None)


def resend_at(device: Device) -> datetime.datetime | None:
    """When ``device`` may send a new code, while its cooldown runs; else ``None``."""
    allowed, data = device.generate_is_allowed()
    if allowed:
        return None
    value = (data or {}).get("next_generation_at")
    return value if isinstance(value, datetime.datetime) else None
