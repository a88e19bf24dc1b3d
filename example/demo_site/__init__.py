"""A small site that shows django-otp-ng in use: password plus one-time password."""
