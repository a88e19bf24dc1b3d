"""Sign-in limits: failed codes per account, failed attempts per client, enrolment grace.

Install ``django_otp.contrib.limits`` to give every verification through the flows an
account-wide limit, and the sign-in pages a per-client limit; see the "Sign-in, limits and
enforcement" page of the docs.
"""
