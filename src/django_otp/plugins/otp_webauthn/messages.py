"""What a person reads about each outcome of a ceremony (the JSON endpoints' ``message``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

__all__ = ["ERRORS", "REASONS", "THROTTLED_WAIT", "default_name", "message_for"]

#: Messages by error code of :class:`~django_otp.plugins.otp_webauthn.flows.Result`.
ERRORS: dict[str, Any] = {
    "malformed": _("The browser sent a response that could not be read. Please try again."),
    "login_required": _("Please sign in first."),
    "verification_required": _(
        "For your security, confirm it is you with one of your devices before adding a "
        "passkey or security key."
    ),
    "ceremony_expired": _("This request has expired or was already used. Please try again."),
    "refused": _("Your passkey or security key could not be registered."),
    "credential_exists": _("This passkey or security key is already registered."),
    "unknown_credential": _("This passkey or security key is not registered here."),
    "no_credentials": _("You have no passkey or security key yet."),
    "verification_failed": _("Your passkey or security key could not be verified."),
    "throttled": _("Too many failed attempts. Please wait a little and try again."),
    "passwordless_disabled": _("Signing in with a passkey is not enabled on this site."),
    "account_disabled": _("This account cannot sign in with a passkey."),
    "signin_expired": _("Your sign-in took too long and was stopped. Enter your password again."),
}

#: A refusal by throttling, with how long to wait (``%(wait)s``, "45 seconds").
THROTTLED_WAIT = _("Too many failed attempts. Try again in %(wait)s.")

#: More precise messages for some refusal reasons.
REASONS: dict[str, Any] = {
    "user_not_present": _("Your authenticator did not confirm that you were present."),
    "user_not_verified": _(
        "Your authenticator did not verify you (PIN or biometrics), which this site requires."
    ),
    "sign_count_regression": _(
        "This passkey or security key seems to have been copied, so it was refused. "
        "Please contact the site's support."
    ),
    "algorithm_not_allowed": _("This kind of key is not accepted here; please use another one."),
}


def message_for(error: str, reason: str | None = None) -> Any:
    """The sentence for an error code, precise where the reason allows."""
    if reason in REASONS:
        return REASONS[reason]
    return ERRORS.get(error, ERRORS["verification_failed"])


def default_name(kind: str) -> Any:
    """The name of a new credential of ``kind`` when the person gives none."""
    return _("Passkey") if kind == "passkey" else _("Security key")
