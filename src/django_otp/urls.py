"""URLs of django-otp-ng's own pages: ``include("django_otp.urls")`` at any prefix.

The namespace is ``otp``; ``otp:step-up`` is the step-up page that unmet policies lead to.
"""

from django.urls import path

from django_otp import views

app_name = "otp"

urlpatterns = [
    path("step-up/", views.step_up, name="step-up"),
]
