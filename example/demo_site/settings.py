"""Settings of the demo site: development only, never for production.

``DEMO_DB_PATH`` in the environment replaces the SQLite file, so tests can use a throw-away
database instead of ``example/db.sqlite3``.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    # django.contrib.admin, with an OTPAdminSite as admin.site (see demo_site/apps.py).
    "demo_site.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_hotp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    # Remembered browsers: "Trust this browser for 30 days" (OTP_REMEMBER_DAYS below).
    "django_otp.contrib.remember",
    "django_otp.plugins.otp_webauthn",
    # The limits of the two-step sign-in, and enforcement's grace periods.
    "django_otp.contrib.limits",
    "demo_site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB_PATH") or BASE_DIR / "db.sqlite3",
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# The two-step sign-in of django_otp.urls is the way in: the password (or a passkey alone),
# then a second factor. Pages behind otp_required send there too.
LOGIN_URL = "otp:login"
OTP_LOGIN_URL = "otp:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Everyone must use a second factor. A user without a device is reminded for a week from
# their first sign-in and may skip; after that they reach only the pages that set one up
# (seed_demo --end-grace ends the week of the demo's second user at once).
OTP_ENFORCE_FOR = "everyone"
OTP_ENFORCE_GRACE_DAYS = 7
# The home page stays open to everyone, to show the state of the session.
OTP_ENFORCE_EXEMPT_PATHS = [r"^/$"]

OTP_TOTP_ISSUER = "django-otp-ng demo"

# The second step of the sign-in and the step-up page offer "Trust this browser for 30
# days"; the admin lists the remembered browsers. (Under DEBUG the cookie is not marked
# Secure, so plain HTTP works.)
OTP_REMEMBER_DAYS = 30

# Passkeys and security keys. Browsers accept a domain as relying-party id, never an IP
# address: open the demo at http://localhost:8000/, not http://127.0.0.1:8000/.
OTP_WEBAUTHN_RP_ID = "localhost"
OTP_WEBAUTHN_RP_NAME = "django-otp-ng demo"
OTP_WEBAUTHN_ORIGINS = ["http://localhost:8000"]
# The sign-in page offers "Sign in with a passkey", and passkeys in the autofill of its
# username field (off by default in a real site).
OTP_WEBAUTHN_PASSWORDLESS = True

# Adding or removing a sign-in method on the account pages sends the user an email.
OTP_NOTIFY_EMAIL = True

# Email codes ("Send me a code", or "Get OTP challenge" on the classic login page) are printed
# by the development server.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "demo@localhost"
