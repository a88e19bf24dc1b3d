"""URLs of the demo site; ``admin.site`` is an OTP admin site, so it needs a one-time password.

Signing in is ``otp:login`` (``/otp/login/``), from ``django_otp.urls``: the password or a
passkey, then a second factor, with "trust this browser". django-otp's classic one-form
``LoginView`` stays at ``/classic-login/``, for compatibility only.
"""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from django_otp.views import LoginView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("classic-login/", LoginView.as_view(), name="classic-login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("secret/", views.secret, name="secret"),
    path("recent/", views.recent, name="recent"),
    path("strong/", views.strong, name="strong"),
    path("otp/", include("django_otp.urls")),
    path("admin/", admin.site.urls),
]
