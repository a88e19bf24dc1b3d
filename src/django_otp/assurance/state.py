"""``request.otp_state``: the proofs of this session that still count, and what they allow.

Nothing is read until a property is used, so a request that never asks costs nothing. Proofs
live in the session; a proof made with a device counts only while that device exists, is
confirmed and belongs to the user, and only if it is newer than the user's last "revoke
everything". Activity, for the idle limits of the AAL, is written at most once a minute.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from django_otp import devices
from django_otp.assurance import aal as aal_rules
from django_otp.assurance.policies import Unmet, get_policy
from django_otp.assurance.proofs import Proof
from django_otp.assurance.verified import request_is_verified
from django_otp.internal.session_keys import ACTIVITY_SESSION_KEY, PROOFS_SESSION_KEY

__all__ = [
    "ACTIVITY_SESSION_KEY",
    "PROOFS_SESSION_KEY",
    "AuthState",
    "state_for",
]

#: Activity is recorded at most this often (seconds), so most requests write nothing.
ACTIVITY_INTERVAL = 60
#: The most proofs a session keeps; the oldest go first.
MAX_PROOFS = 12


class AuthState:
    """What the session of one request has proved; see the module docstring."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.now = time.time()

    @property
    def _session(self) -> Any:
        return getattr(self.request, "session", None)

    @property
    def _user(self) -> Any:
        return getattr(self.request, "user", None)

    def _stored(self) -> list[Proof]:
        session = self._session
        raw = session.get(PROOFS_SESSION_KEY) if session is not None else None
        if not isinstance(raw, list):
            return []
        return [proof for proof in map(Proof.from_session, raw) if proof is not None]

    def _device(self, persistent_id: str) -> Any:
        """The device a proof names: the one the middleware loaded, else a lookup."""
        user = self._user
        verified = getattr(user, "otp_device", None)
        if verified is not None and verified.persistent_id == persistent_id:
            return verified
        return devices.load(persistent_id)

    @cached_property
    def proofs(self) -> list[Proof]:
        """The proofs of this session that still count, oldest first."""
        user = self._user
        if user is None or not user.is_authenticated:
            return []
        stored = self._stored()
        valid: dict[str, bool] = {}
        reset_at = None
        for persistent_id in {proof.device_id for proof in stored if proof.device_id}:
            device = self._device(persistent_id)
            valid[persistent_id] = bool(
                device is not None and device.user_id == user.pk and device.confirmed
            )
            device_reset = getattr(device, "otp_reset_at", None)
            if device_reset is not None:
                reset_at = max(reset_at or device_reset, device_reset)
        return [
            proof
            for proof in stored
            if (proof.device_id is None or valid[proof.device_id])
            and (reset_at is None or proof.at >= reset_at)
        ]

    @property
    def is_verified(self) -> bool:
        """``request.user.is_verified()``: what django-otp's verified means, unchanged."""
        return request_is_verified(self.request)

    @property
    def auth_time(self) -> float | None:
        """When this session first authenticated (its oldest proof), as a Unix time."""
        live = [proof.at for proof in self.proofs if not proof.remembered]
        return min(live) if live else None

    @property
    def amr(self) -> list[str]:
        """The RFC 8176 ``amr`` values of the proofs that count, in the order first proved."""
        values: list[str] = []
        for proof in self.proofs:
            values.extend(value for value in proof.amr if value not in values)
        return values

    @property
    def last_activity(self) -> float | None:
        """When the session was last active: its recorded activity or its newest proof."""
        session = self._session
        recorded = session.get(ACTIVITY_SESSION_KEY) if session is not None else None
        times = [proof.at for proof in self.proofs]
        if isinstance(recorded, (int, float)):
            times.append(float(recorded))
        return max(times) if times else None

    @property
    def aal(self) -> int:
        """The NIST SP 800-63B rev. 4 authenticator assurance level of the session, 0 to 3."""
        return aal_rules.level(self.proofs, self.now, self.last_activity)

    @property
    def aal_limits(self) -> aal_rules.Limits | None:
        """The reauthentication limits of the current level (``None`` below AAL2)."""
        return aal_rules.LIMITS.get(self.aal)

    def unmet(self, policy: Any = None) -> Unmet | None:
        """Why the session does not satisfy ``policy`` (a name or object), or ``None``."""
        return get_policy(policy).unmet(self)

    def satisfies(self, policy: Any = None) -> bool:
        """Whether the session satisfies ``policy`` (``None`` is the ``default`` policy)."""
        return self.unmet(policy) is None

    def would_satisfy(self, policy: Any, proof: Proof) -> bool:
        """Whether the session would satisfy ``policy`` once ``proof`` is added to it.

        Asked before a ceremony, to choose what it must prove (a passkey with user
        verification, say); nothing is recorded.
        """
        hypothetical = AuthState(self.request)
        hypothetical.now = self.now
        hypothetical.__dict__["proofs"] = [*self.proofs, proof]
        return get_policy(policy).unmet(hypothetical) is None

    def add(self, proof: Proof) -> None:
        """Record a new proof in the session (replacing an older one of the same device)."""
        session = self._session
        if session is None:
            return
        kept = [
            old
            for old in self._stored()
            if (old.method, old.device_id) != (proof.method, proof.device_id)
        ]
        kept.append(proof)
        session[PROOFS_SESSION_KEY] = [old.to_session() for old in kept[-MAX_PROOFS:]]
        session[ACTIVITY_SESSION_KEY] = int(proof.at)
        self.__dict__.pop("proofs", None)

    def discard(self, predicate: Any) -> None:
        """Forget the proofs for which ``predicate(proof)`` is true."""
        session = self._session
        if session is None:
            return
        stored = self._stored()
        kept = [proof for proof in stored if not predicate(proof)]
        if len(kept) != len(stored):
            session[PROOFS_SESSION_KEY] = [proof.to_session() for proof in kept]
            self.__dict__.pop("proofs", None)

    def record_activity(self) -> None:
        """Note that the session is active, writing it at most once a minute."""
        session = self._session
        if session is None or PROOFS_SESSION_KEY not in session:
            return
        recorded = session.get(ACTIVITY_SESSION_KEY)
        if not isinstance(recorded, (int, float)) or self.now - recorded >= ACTIVITY_INTERVAL:
            session[ACTIVITY_SESSION_KEY] = int(self.now)


def state_for(request: HttpRequest) -> AuthState:
    """``request.otp_state``, created on first use where the middleware did not."""
    state = getattr(request, "otp_state", None)
    if not isinstance(state, AuthState):
        state = AuthState(request)
        request.otp_state = state  # type: ignore[attr-defined]
    return state
