"""The session keys this package writes (``otp_device_id`` is django-otp's, unchanged)."""

#: The persistent id of the device that verified the session (django-otp's key).
DEVICE_ID_SESSION_KEY = "otp_device_id"
#: The proofs of the session (see :mod:`django_otp.assurance.state`).
PROOFS_SESSION_KEY = "otp_proofs"
#: The last recorded activity of the session, a Unix time.
ACTIVITY_SESSION_KEY = "otp_activity"
#: When the session signed in (Django's ``login()``), a Unix time: "sign out everywhere" ends
#: the sessions that signed in before it.
SIGNED_IN_SESSION_KEY = "otp_signed_in"
#: Enrolments begun and not yet confirmed: model label -> persistent id of the device.
ENROL_SESSION_KEY = "otp_enrol"
#: Set once the session has looked at its remembered-browser cookie (see
#: :mod:`django_otp.flows.remember`), so that later requests do not look again.
REMEMBER_CHECKED_SESSION_KEY = "otp_remember_checked"

__all__ = [
    "ACTIVITY_SESSION_KEY",
    "DEVICE_ID_SESSION_KEY",
    "ENROL_SESSION_KEY",
    "PROOFS_SESSION_KEY",
    "REMEMBER_CHECKED_SESSION_KEY",
    "SIGNED_IN_SESSION_KEY",
]
