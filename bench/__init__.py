"""Benchmarks of django-otp-ng, run with ``python -m bench`` (``make bench``)."""
