"""Keyed, salted hashes of backup codes, so that a database dump does not reveal them.

A hash is HMAC-SHA256 keyed by ``SECRET_KEY`` over a random per-code salt and the code:
without the secret key an attacker cannot test guesses offline, and equal codes get
different hashes. ``SECRET_KEY_FALLBACKS`` are accepted when checking, so the secret key
can be rotated.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

#: Marks a stored value as a hash made by :func:`hash_token`.
PREFIX = "hmac256$"
_KEY_SALT = "django_otp.token_hashing"


def _digest(salt: str, token: str, secret: str | bytes) -> str:
    return salted_hmac(_KEY_SALT, f"{salt}${token}", secret=secret, algorithm="sha256").hexdigest()


def hash_token(token: str) -> str:
    """Return a keyed, salted hash of a (normalised) backup code."""
    salt = get_random_string(12)
    return f"{PREFIX}{salt}${_digest(salt, token, settings.SECRET_KEY)}"


def check_token(token: str, stored: str) -> bool:
    """True if ``token`` is the code that ``stored`` (a hash from :func:`hash_token`) hides."""
    salt, _, digest = stored[len(PREFIX) :].partition("$")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    matched = False
    for secret in secrets:
        matched |= constant_time_compare(_digest(salt, token, secret), digest)
    return matched
