"""URLs of django-otp-ng's own pages: ``include("django_otp.urls")`` at any prefix.

The namespace is ``otp``; ``otp:step-up`` is the step-up page that unmet policies lead to,
``otp:security`` the overview of the account pages (:mod:`django_otp.account.urls`);
``otp:login`` and ``otp:login-verify`` are the two steps of the sign-in, and
``otp:login-setup`` is enforcement's reminder (see :mod:`django_otp.signin.views`).
With the otp_webauthn plugin installed, the JSON endpoints of its ceremonies are here too:
``otp:webauthn-register-begin`` / ``-complete``, ``otp:webauthn-verify-begin`` /
``-complete`` and ``otp:webauthn-login-begin`` / ``-complete``.
"""

from django.apps import apps
from django.urls import path

from django_otp import views
from django_otp.account import urls as account_urls
from django_otp.signin import views as signin

app_name = "otp"

urlpatterns = [
    path("step-up/", views.step_up, name="step-up"),
    path("login/", signin.sign_in, name="login"),
    path("login/verify/", signin.verify, name="login-verify"),
    path("login/setup/", signin.setup, name="login-setup"),
    *account_urls.urlpatterns,
]

if apps.is_installed("django_otp.plugins.otp_webauthn"):
    from django_otp.plugins.otp_webauthn import views as webauthn

    urlpatterns += [
        path("webauthn/register/begin/", webauthn.register_begin, name="webauthn-register-begin"),
        path(
            "webauthn/register/complete/",
            webauthn.register_complete,
            name="webauthn-register-complete",
        ),
        path("webauthn/verify/begin/", webauthn.verify_begin, name="webauthn-verify-begin"),
        path(
            "webauthn/verify/complete/", webauthn.verify_complete, name="webauthn-verify-complete"
        ),
        path("webauthn/login/begin/", webauthn.login_begin, name="webauthn-login-begin"),
        path("webauthn/login/complete/", webauthn.login_complete, name="webauthn-login-complete"),
    ]
