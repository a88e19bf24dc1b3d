"""The two-step sign-in pages (``otp:login``, ``otp:login-verify``) and enforcement's
reminder (``otp:login-setup``): thin views and forms over :mod:`django_otp.flows.signin`
and :mod:`django_otp.flows.enforce`."""
