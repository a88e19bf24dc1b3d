"""Tests of this package together with the packages that build on django-otp."""
