"""URLs of the demo site; ``admin.site`` is an OTP admin site, so it needs a one-time password.

Signing in is ``otp:login`` (``/otp/login/``), from ``django_otp.urls``. The classic
``LoginView`` stays at ``/login/``, with "trust this browser" and "sign in with a passkey",
which the two-step sign-in does not offer yet.
"""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from django_otp.views import LoginView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("secret/", views.secret, name="secret"),
    path("recent/", views.recent, name="recent"),
    path("strong/", views.strong, name="strong"),
    path("otp/", include("django_otp.urls")),
    path("admin/", admin.site.urls),
]
