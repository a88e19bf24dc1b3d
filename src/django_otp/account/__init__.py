"""Ready-made account security pages: the overview of a user's sign-in methods, enrolment of
an authenticator app, an email address and backup codes, renaming and removing devices.

The pages are thin: every change is a flow of :mod:`django_otp.flows.manage` or
:mod:`django_otp.flows.enrol`, and :mod:`django_otp.account.sections` is the registry of the
overview's parts. The URLs are in ``django_otp.urls`` (namespace ``otp``).
"""
