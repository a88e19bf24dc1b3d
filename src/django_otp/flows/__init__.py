"""Request-level operations that every entry point calls: the forms, the login views, the
admin login, :func:`django_otp.login` and JSON views alike.

Each flow returns a small typed result with a stable error code, so an HTML form and a JSON
endpoint explain the same outcome in their own way without repeating the operation:
:mod:`django_otp.flows.verify` proves a device for a request, :mod:`django_otp.flows.stepup`
gates policies, :mod:`django_otp.flows.remember` remembers a browser and revokes them, and
:mod:`django_otp.flows.recall` lets a remembered browser verify a new session.
"""
