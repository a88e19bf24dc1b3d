"""Remembered browsers: "trust this browser for N days", listed and revocable by its user.

Install ``django_otp.contrib.remember`` and set ``OTP_REMEMBER_DAYS`` to offer it; the
"Remembered browsers" page of the docs describes its security model. The operations are in
:mod:`django_otp.flows.remember` and :mod:`django_otp.flows.recall`.
"""
