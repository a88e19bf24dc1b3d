"""Settings for the test suite; ``DB`` picks the database (sqlite, postgres or mysql)."""

import os
import tempfile

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_DB = os.environ.get("DB", "sqlite")
if _DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "TEST": {"NAME": os.environ.get("TEST_DB_NAME", "test_django_otp")},
        }
    }
elif _DB == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "test",
            "USER": "root",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("TEST_DB_NAME", "test_django_otp"),
                "CHARSET": "utf8mb4",
            },
        }
    }
elif _DB == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_NAME", ":memory:"),
            # A file, not memory, so that concurrency tests can open real extra connections.
            "TEST": {
                "NAME": os.environ.get("SQLITE_TEST_NAME")
                or os.path.join(tempfile.gettempdir(), f"django-otp-ng-test-{os.getpid()}.sqlite3")
            },
            "OPTIONS": {"timeout": 30},
        }
    }
else:
    raise RuntimeError(f"DB must be sqlite, postgres or mysql, not {_DB!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_hotp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "django_otp.plugins.otp_webauthn",
    "django_otp.contrib.remember",
    "django_otp.contrib.limits",
    "tests",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

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
            ]
        },
    }
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STATIC_URL = "/static/"
LOGIN_URL = "/login/"

OTP_HOTP_THROTTLE_FACTOR = 1
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_EMAIL_THROTTLE_FACTOR = 1
OTP_EMAIL_COOLDOWN_DURATION = 10

# Passkeys: the browser tests' live server runs on localhost (they set the exact origin).
OTP_WEBAUTHN_RP_ID = "localhost"
OTP_WEBAUTHN_ORIGINS = ["http://localhost:8000"]

# The shared-cache tests (OTP_CACHE) pick one of these; the default cache is local memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": f"django-otp-ng-tests-{os.getpid()}",
    },
    "file": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.path.join(tempfile.gettempdir(), f"django-otp-ng-cache-{os.getpid()}"),
    },
}
