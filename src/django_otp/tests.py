"""Re-exports of :mod:`django_otp.test_utils` for plugins whose tests import them from here.

Older releases of django-otp-twilio and django-otp-yubikey import ``TestCase`` and
``ThrottlingTestMixin`` from ``django_otp.tests``. This module holds no tests of its own.
"""

from django_otp.test_utils import (
    CooldownTestMixin,
    OTPTestCaseMixin,
    TestCase,
    ThrottlingTestMixin,
    TimestampTestMixin,
    TransactionTestCase,
)

__all__ = [
    "CooldownTestMixin",
    "OTPTestCaseMixin",
    "TestCase",
    "ThrottlingTestMixin",
    "TimestampTestMixin",
    "TransactionTestCase",
]
