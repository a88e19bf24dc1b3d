"""Proofs: what one successful factor check says about the person who made it.

A proof records the method (``pwd`` for a password, else the device type's name), the device
(its persistent id), when it happened, the RFC 8176 ``amr`` values and properties such as
``phishing_resistant``. Proofs are stored in the session in a compact list form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KNOWLEDGE",
    "PASSWORD",
    "POSSESSION",
    "PROPERTIES",
    "STRENGTHS",
    "VERIFICATION",
    "Proof",
    "device_proof",
    "method_of",
    "password_proof",
    "strength",
]

#: Method name of a password login.
PASSWORD = "pwd"  # noqa: S105 (a method name, not a secret)

#: The properties a proof can have.
PROPERTIES = frozenset(
    {
        "phishing_resistant",  # bound to the site's origin (WebAuthn)
        "hardware_bound",  # the secret cannot leave the authenticator
        "user_verified",  # the authenticator verified the person (PIN, biometrics)
        "out_of_band",  # a code delivered by a channel such as email
        "recovery",  # a backup code
        "remembered",  # carried over from a remembered browser, not proved now
    }
)

#: Kinds of factor (NIST SP 800-63B): what counts towards ``factors`` and the AAL.
KNOWLEDGE = "knowledge"
POSSESSION = "possession"
VERIFICATION = "verification"  # the user verification of a multi-factor authenticator


@dataclass(frozen=True)
class Proof:
    """One verified factor of this session."""

    method: str
    device_id: str | None
    at: float
    amr: tuple[str, ...] = ()
    properties: frozenset[str] = field(default_factory=frozenset)

    def has(self, name: str) -> bool:
        """Whether the proof has the property ``name``."""
        return name in self.properties

    @property
    def remembered(self) -> bool:
        """True for a proof carried over from a remembered browser."""
        return "remembered" in self.properties

    def factors(self) -> frozenset[str]:
        """The kinds of factor this proof counts as.

        A password is knowledge; a device is possession, plus verification when it verified
        the person; an emailed code and a remembered browser count as no factor at all (an
        email inbox is not an authenticator: NIST SP 800-63B rev. 4, 3.1.3.1).
        """
        if self.method == PASSWORD:
            return frozenset({KNOWLEDGE})
        if self.remembered or self.has("out_of_band"):
            return frozenset()
        if self.has("user_verified"):
            return frozenset({POSSESSION, VERIFICATION})
        return frozenset({POSSESSION})

    def to_session(self) -> list[Any]:
        """The JSON-friendly form kept in the session."""
        return [
            self.method,
            self.device_id,
            round(self.at, 3),
            list(self.amr),
            sorted(self.properties),
        ]

    @classmethod
    def from_session(cls, data: Any) -> Proof | None:
        """Read a proof back from the session; ``None`` for anything malformed."""
        try:
            method, device_id, at, amr, properties = data
            proof = cls(
                str(method),
                None if device_id is None else str(device_id),
                float(at),
                tuple(str(value) for value in amr),
                frozenset(str(value) for value in properties) & PROPERTIES,
            )
        except (TypeError, ValueError):
            return None
        return proof


def method_of(device: Any) -> str:
    """The method name of a device: its class's ``otp_method``, else its app label."""
    return getattr(device, "otp_method", None) or device._meta.app_label


def device_proof(device: Any, at: float, *, extra: Iterable[str] = ()) -> Proof:
    """The proof of a successful verification with ``device`` at Unix time ``at``.

    What it proves comes from the device's ``otp_proof()`` (see
    :meth:`django_otp.models.Device.otp_proof`); a device class without it proves ``otp``
    and nothing more.
    """
    declare = getattr(device, "otp_proof", None)
    amr, properties = declare() if callable(declare) else (("otp",), ())
    return Proof(
        method_of(device),
        device.persistent_id,
        at,
        tuple(amr),
        (frozenset(properties) | frozenset(extra)) & PROPERTIES,
    )


def password_proof(at: float) -> Proof:
    """The proof of a password login at Unix time ``at``."""
    return Proof(PASSWORD, None, at, ("pwd",))


#: Strength classes of a proof, weakest first: 0 no device (a password, a remembered
#: browser), 1 an emailed or backup code, 2 another device (an authenticator app, a hardware
#: token), 3 a phishing-resistant one (a passkey, a security key). A session may change only
#: the factors of an account that are no stronger than what it proved (see ``min_strength``
#: of :class:`django_otp.assurance.policies.Requirement`).
STRENGTHS = (0, 1, 2, 3)


def strength(proof: Proof) -> int:
    """The strength class of ``proof`` (see :data:`STRENGTHS`)."""
    if proof.method == PASSWORD or proof.remembered:
        return 0
    if proof.has("phishing_resistant"):
        return 3
    if proof.has("out_of_band") or proof.has("recovery"):
        return 1
    return 2
