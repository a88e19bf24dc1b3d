"""Authenticator assurance levels of NIST SP 800-63B rev. 4, derived from a session's proofs.

Pure rules: no Django, no database. A session is rated by the proofs that still count:

* **AAL1**: any authentication.
* **AAL2**: two kinds of factor (a password and a device, or a device that verified the
  person, such as a passkey with user verification), each proved within the last 24 hours,
  with activity in the last hour. An emailed code and a remembered browser add no factor.
* **AAL3**: a phishing-resistant, hardware-bound authenticator (a device-bound passkey or
  security key) that, with user verification or together with a password, makes two kinds
  of factor, within 12 hours, with activity in the last 15 minutes. A synced passkey is
  not hardware-bound, so it reaches AAL2 at most; other devices do not take part in AAL3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django_otp.assurance.proofs import PASSWORD, Proof

__all__ = ["LIMITS", "Limits", "factor_kinds", "level"]


@dataclass(frozen=True)
class Limits:
    """Reauthentication limits of a level: seconds since the proof, and since activity."""

    overall: float
    idle: float


#: NIST SP 800-63B rev. 4 reauthentication limits for AAL2 and AAL3.
LIMITS = {2: Limits(24 * 3600, 3600), 3: Limits(12 * 3600, 15 * 60)}


def factor_kinds(proofs: Iterable[Proof]) -> frozenset[str]:
    """The distinct kinds of factor that ``proofs`` make up together."""
    kinds: frozenset[str] = frozenset()
    for proof in proofs:
        kinds |= proof.factors()
    return kinds


def _within(proofs: Sequence[Proof], now: float, seconds: float) -> list[Proof]:
    return [proof for proof in proofs if now - proof.at <= seconds]


def level(proofs: Sequence[Proof], now: float, last_activity: float | None = None) -> int:
    """The AAL (0 to 3) that ``proofs`` give a session at Unix time ``now``.

    ``last_activity`` is when the session was last active; ``None`` means now.
    """
    if not proofs:
        return 0
    live = [proof for proof in proofs if not proof.remembered]
    idle = 0.0 if last_activity is None else max(0.0, now - last_activity)
    strong = LIMITS[3]
    if idle <= strong.idle:
        recent = _within(live, now, strong.overall)
        passwords = [proof for proof in recent if proof.method == PASSWORD]
        for proof in recent:
            strong_key = proof.has("phishing_resistant") and proof.has("hardware_bound")
            if strong_key and len(factor_kinds([proof, *passwords])) >= 2:
                return 3
    if idle <= LIMITS[2].idle and len(factor_kinds(_within(live, now, LIMITS[2].overall))) >= 2:
        return 2
    return 1
