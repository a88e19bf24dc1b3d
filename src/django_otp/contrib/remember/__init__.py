"""Remembered browsers: "trust this browser for N days", listed and revocable by its user.

Install ``django_otp.contrib.remember`` and set ``OTP_REMEMBER_DAYS`` to offer it; see the
"Authentication state and policies" page of the docs for its security model.
"""
