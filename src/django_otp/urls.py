"""URLs of django-otp-ng's own pages: ``include("django_otp.urls")`` at any prefix.

The namespace is ``otp``; ``otp:step-up`` is the step-up page that unmet policies lead to,
``otp:security`` the overview of the account pages (:mod:`django_otp.account.urls`).
"""

from django.urls import path

from django_otp import views
from django_otp.account import urls as account_urls

app_name = "otp"

urlpatterns = [
    path("step-up/", views.step_up, name="step-up"),
    *account_urls.urlpatterns,
]
