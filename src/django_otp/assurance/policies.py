"""Policies: named requirements on a session's proofs, such as "a device within 5 minutes".

A policy is a Python object with ``unmet(state)``: ``None`` when the state satisfies it,
else an :class:`Unmet` that says why (and so what a step-up must prove). Sites name policies
in ``OTP_POLICIES``, as dicts with the keys of :class:`Requirement` or as objects, and
combine objects with :class:`AnyOf` and :class:`AllOf`. The built-in names can be redefined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from django_otp.app_settings import app_settings
from django_otp.assurance.proofs import PASSWORD, Proof, strength
from django_otp.internal.policy_rules import policy_problem

if TYPE_CHECKING:
    from django_otp.assurance.state import AuthState

__all__ = [
    "BUILTIN",
    "AllOf",
    "AnyOf",
    "Policy",
    "Requirement",
    "Unmet",
    "Verified",
    "accepted_by",
    "get_policy",
    "policies",
]


@dataclass(frozen=True)
class Unmet:
    """Why a state does not satisfy a policy.

    ``reason`` is ``"verification"`` (no device proved at all), ``"method"`` (no proof of
    an accepted method or property), ``"freshness"`` (the right proof, but too old),
    ``"factors"`` or ``"level"``. ``max_age`` and ``acr_values`` are what RFC 9470 asks a
    client to obtain; ``description`` is a sentence for the person.
    """

    policy: str
    reason: str
    description: Any
    max_age: int | None = None
    acr_values: str | None = None


class Policy(Protocol):
    """What every policy has: a name, ``unmet(state)`` and ``accepts(proof)``."""

    name: str

    def unmet(self, state: AuthState) -> Unmet | None: ...

    def accepts(self, proof: Proof) -> bool:
        """Whether a new proof like ``proof`` can help to satisfy the policy (for step-up)."""
        ...


@dataclass(frozen=True)
class Verified:
    """The session is verified by a device, exactly as ``user.is_verified()`` says."""

    name: str = "default"

    def unmet(self, state: AuthState) -> Unmet | None:
        if state.is_verified:
            return None
        return Unmet(self.name, "verification", _("Confirm it is you with one of your devices."))

    def accepts(self, proof: Proof) -> bool:
        return proof.method != PASSWORD


@dataclass(frozen=True)
class Requirement:
    """A requirement on the proofs of the session; every key is optional.

    ``methods``: the methods that may satisfy it (device type names such as ``"totp"``,
    ``"webauthn"``, an app label, or ``"pwd"``); any device when omitted.
    ``max_age``: seconds since that proof. ``min_aal``: the session's AAL (1 to 3).
    ``phishing_resistant``: the proof must be phishing-resistant. ``factors``: distinct kinds
    of factor, the password included. ``remembered``: whether a remembered browser may count
    (never towards ``max_age``: it proves nothing new). ``min_strength``: the proof's strength
    class (1 to 3, see :data:`django_otp.assurance.proofs.STRENGTHS`): 2 refuses emailed and
    backup codes.
    """

    name: str
    methods: tuple[str, ...] | None = None
    max_age: float | None = None
    min_aal: int | None = None
    phishing_resistant: bool = False
    factors: int | None = None
    remembered: bool = False
    min_strength: int | None = None

    @property
    def acr(self) -> str:
        """The ``acr_values`` a client is asked for: ``phr`` when phishing-resistant."""
        return "phr" if self.phishing_resistant else self.name

    def accepts(self, proof: Proof) -> bool:
        if self.methods is not None:
            if proof.method not in self.methods:
                return False
        elif proof.method == PASSWORD:
            return False
        if proof.remembered and not self.remembered:
            return False
        if self.min_strength is not None and strength(proof) < self.min_strength:
            return False
        return not (self.phishing_resistant and not proof.has("phishing_resistant"))

    def unmet(self, state: AuthState) -> Unmet | None:
        candidates = [proof for proof in state.proofs if self.accepts(proof)]
        if not candidates:
            if self.phishing_resistant or (self.min_strength or 0) >= 3:
                text = _("Confirm it is you with a passkey or a security key.")
            elif (self.min_strength or 0) == 2:
                text = _("Confirm it is you with a device other than an emailed or backup code.")
            else:
                text = _("Confirm it is you with one of your devices.")
            return Unmet(self.name, "method", text, acr_values=self.acr)
        now = state.now
        if self.max_age is not None:
            fresh = [
                proof
                for proof in candidates
                if not proof.remembered and now - proof.at <= self.max_age
            ]
            if not fresh:
                return Unmet(
                    self.name,
                    "freshness",
                    _("For your security, confirm it is you again."),
                    max_age=int(self.max_age),
                )
            candidates = fresh
        if self.factors is not None:
            passwords = [
                proof
                for proof in state.proofs
                if proof.method == PASSWORD
                and (self.max_age is None or now - proof.at <= self.max_age)
            ]
            kinds: frozenset[str] = frozenset()
            for proof in [*candidates, *passwords]:
                kinds |= proof.factors()
            if len(kinds) < self.factors:
                return Unmet(
                    self.name,
                    "factors",
                    _("Confirm it is you with another kind of sign-in method."),
                    acr_values=self.acr,
                )
        if self.min_aal is not None and state.aal < self.min_aal:
            return Unmet(
                self.name,
                "level",
                _("This page needs a stronger sign-in: confirm it is you with a device."),
                acr_values=self.acr,
            )
        return None


@dataclass(frozen=True)
class AnyOf:
    """Satisfied when any of ``members`` is; unmet with the first member's reason."""

    name: str
    members: tuple[Any, ...]

    def unmet(self, state: AuthState) -> Unmet | None:
        first = None
        for member in self.members:
            unmet = member.unmet(state)
            if unmet is None:
                return None
            first = first or unmet
        return first

    def accepts(self, proof: Proof) -> bool:
        return any(member.accepts(proof) for member in self.members)


@dataclass(frozen=True)
class AllOf:
    """Satisfied when every one of ``members`` is; unmet with the first unmet member's reason."""

    name: str
    members: tuple[Any, ...]

    def unmet(self, state: AuthState) -> Unmet | None:
        for member in self.members:
            unmet = member.unmet(state)
            if unmet is not None:
                return unmet
        return None

    def accepts(self, proof: Proof) -> bool:
        return any(member.accepts(proof) for member in self.members)


#: The built-in policies, by name; ``OTP_POLICIES`` may redefine any of them.
BUILTIN: dict[str, Any] = {
    "default": Verified(),
    "recent": {"max_age": 300},
    "recent_strong": {"max_age": 300, "min_strength": 2},
    "recent_phishing_resistant": {"max_age": 300, "phishing_resistant": True},
    "phishing_resistant": {"phishing_resistant": True},
    "aal2": {"min_aal": 2},
    "aal3": {"min_aal": 3},
}


def _build(name: str, definition: Any) -> Any:
    problem = policy_problem(name, definition)
    if problem:
        raise ImproperlyConfigured(f"OTP_POLICIES {problem}.")
    if not isinstance(definition, dict):
        return definition
    values = dict(definition)
    if "methods" in values:
        values["methods"] = tuple(values["methods"])
    return Requirement(name=name, **values)


#: The last ``OTP_POLICIES`` value seen, and the policies built from it.
_built: tuple[Any, dict[str, Any]] | None = None


def policies() -> dict[str, Any]:
    """Every named policy: the built-in ones, with ``OTP_POLICIES`` on top."""
    global _built
    configured = app_settings.OTP_POLICIES
    if _built is None or _built[0] is not configured:
        definitions = {**BUILTIN, **configured}
        built = {name: _build(name, definition) for name, definition in definitions.items()}
        _built = (configured, built)
    return _built[1]


def get_policy(policy: Any) -> Any:
    """The policy object for a name (``None`` means ``"default"``) or a policy object."""
    if policy is None:
        policy = "default"
    if not isinstance(policy, str):
        return policy
    try:
        return policies()[policy]
    except KeyError:
        known = ", ".join(sorted(policies()))
        raise ImproperlyConfigured(
            f"No policy named {policy!r}: define it in OTP_POLICIES (known: {known})."
        ) from None


def accepted_by(policy: Any, proofs: Iterable[Proof]) -> list[Proof]:
    """The proofs among ``proofs`` that could help to satisfy ``policy``."""
    return [proof for proof in proofs if policy.accepts(proof)]
