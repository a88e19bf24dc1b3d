"""The shape of ``OTP_POLICIES`` and ``OTP_PATH_POLICIES``, checked before anything uses them.

Kept below the settings registry so that the registry validates these settings like any
other; :mod:`django_otp.assurance.policies` builds the policy objects from the same keys.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["POLICY_KEYS", "path_policies_problem", "policies_problem", "policy_problem"]

#: The keys a policy dict may have, and what each must hold.
POLICY_KEYS = {
    "methods": "a list of method names (such as 'totp', 'webauthn', 'pwd')",
    "max_age": "a number of seconds greater than 0",
    "min_aal": "1, 2 or 3",
    "phishing_resistant": "True or False",
    "factors": "a whole number from 1 to 3",
    "remembered": "True or False",
    "min_strength": "1, 2 or 3",
}


def _value_problem(key: str, value: Any) -> bool:
    """Whether ``value`` is wrong for the policy key ``key``."""
    if key == "methods":
        return (
            isinstance(value, (str, bytes))
            or not isinstance(value, (list, tuple))
            or not value
            or not all(isinstance(item, str) and item for item in value)
        )
    if key == "max_age":
        return isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
    if key == "min_aal":
        return isinstance(value, bool) or value not in (1, 2, 3)
    if key in ("factors", "min_strength"):
        return isinstance(value, bool) or value not in (1, 2, 3)
    return not isinstance(value, bool)


def policy_problem(name: Any, policy: Any) -> str | None:
    """What is wrong with one entry of ``OTP_POLICIES``, naming the policy and the key."""
    if not isinstance(name, str) or not name:
        return f"has a policy name {name!r}; names are non-empty strings"
    if hasattr(policy, "unmet"):  # a Python policy object
        return None
    if not isinstance(policy, dict):
        return f"policy {name!r} must be a dict or a policy object, not {type(policy).__name__}"
    for key, value in policy.items():
        if key not in POLICY_KEYS:
            known = ", ".join(POLICY_KEYS)
            return f"policy {name!r} has an unknown key {key!r} (known keys: {known})"
        if _value_problem(key, value):
            return f"policy {name!r} key {key!r} must be {POLICY_KEYS[key]}, not {value!r}"
    return None


def policies_problem(value: Any) -> str | None:
    """What is wrong with an ``OTP_POLICIES`` value (a dict of name to policy), if anything."""
    if not isinstance(value, dict):
        return "must be a dict of policy names to policies"
    for name, policy in value.items():
        problem = policy_problem(name, policy)
        if problem:
            return problem
    return None


def path_policies_problem(value: Any) -> str | None:
    """What is wrong with ``OTP_PATH_POLICIES`` (pairs of path regex and policy name)."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        return "must be a list of (path regex, policy name) pairs"
    for position, item in enumerate(value):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            return f"item {position} must be a (path regex, policy name) pair"
        pattern, name = item
        if not isinstance(pattern, str) or not isinstance(name, str) or not name:
            return f"item {position} must pair a regex string with a policy name"
        try:
            re.compile(pattern)
        except re.error as e:
            return f"item {position} has an invalid regex {pattern!r} ({e})"
    return None
