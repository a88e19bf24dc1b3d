"""Who may change the factors of an account: the policy each change needs.

* A signed-in user with no confirmed device may see the account and enrol a first device.
* Once the user has one, seeing the account needs a verified session (``default``), renaming
  and forgetting remembered browsers need ``recent``, and adding, removing or replacing a
  factor needs a recent proof of the account's strongest class (:func:`policy_for`): a
  session proved by an emailed or backup code cannot remove or replace an authenticator app,
  nor one proved by an app a passkey.

Every entry point asks :func:`permission`: the account pages and their flows
(:mod:`django_otp.flows.manage`, which re-exports these names), and the plugins' own
enrolment endpoints (passkeys), so that they agree. No plugin is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from django_otp import devices_for_user
from django_otp.assurance.proofs import device_proof, strength
from django_otp.assurance.state import state_for
from django_otp.models import Device

__all__ = [
    "ADD",
    "BROWSERS",
    "REMOVE",
    "RENAME",
    "STRENGTH_POLICIES",
    "VIEW",
    "Result",
    "account_strength",
    "confirmed_devices",
    "permission",
    "policy_for",
]

#: The changes :func:`permission` knows (``BROWSERS``: forget remembered browsers).
VIEW, RENAME, ADD, REMOVE, BROWSERS = "view", "rename", "add", "remove", "browsers"

#: The policy that asks for a recent proof of a strength class, by class.
STRENGTH_POLICIES: Mapping[int, str] = {
    0: "recent",
    1: "recent",
    2: "recent_strong",
    3: "recent_phishing_resistant",
}


@dataclass(frozen=True)
class Result:
    """What a change did: the device it concerned, and an error code unless it happened."""

    device: Device | None = None
    error: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the change happened (or, from :func:`permission`, may happen)."""
        return self.error is None


def confirmed_devices(user: Any) -> list[Device]:
    """The user's confirmed devices of every type (one query per installed device model)."""
    return list(devices_for_user(user))


def account_strength(devices: Sequence[Device]) -> int:
    """The strongest class among ``devices`` (:data:`~django_otp.assurance.proofs.STRENGTHS`)."""
    return max((strength(device_proof(device, 0)) for device in devices), default=0)


def policy_for(change: str, devices: Sequence[Device]) -> str | None:
    """The policy ``change`` needs for a user with the confirmed ``devices``.

    ``None`` means a signed-in session is enough: the user has no device yet.
    """
    if not devices:
        return None
    if change == VIEW:
        return "default"
    if change in (RENAME, BROWSERS):
        return "recent"
    return STRENGTH_POLICIES[account_strength(devices)]


def permission(
    request: HttpRequest, change: str, devices: Sequence[Device] | None = None
) -> Result:
    """Whether the session of ``request`` may make ``change`` now.

    ``devices`` are the user's confirmed devices when the caller has them already.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Result(error="login_required")
    if devices is None:
        devices = confirmed_devices(user)
    policy = policy_for(change, devices)
    if policy is not None and state_for(request).unmet(policy) is not None:
        return Result(error="step_up_required", data={"policy": policy})
    return Result()
