"""URLs of django-otp-ng's own pages: ``include("django_otp.urls")`` at any prefix.

The namespace is ``otp``: ``otp:step-up`` is the step-up page that unmet policies lead to;
``otp:login`` and ``otp:login-verify`` are the two steps of the sign-in, and
``otp:login-setup`` is enforcement's reminder (see :mod:`django_otp.signin.views`).
"""

from django.urls import path

from django_otp import views
from django_otp.signin import views as signin

app_name = "otp"

urlpatterns = [
    path("step-up/", views.step_up, name="step-up"),
    path("login/", signin.sign_in, name="login"),
    path("login/verify/", signin.verify, name="login-verify"),
    path("login/setup/", signin.setup, name="login-setup"),
]
