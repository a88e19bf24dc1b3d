"""Sphinx configuration of the django-otp-ng documentation (``make docs``)."""

import sys
from pathlib import Path

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

# Autodoc imports the model, form and admin modules, which need a configured Django with the
# apps installed (no database is opened).
settings.configure(
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django_otp",
        "django_otp.plugins.otp_hotp",
        "django_otp.plugins.otp_totp",
        "django_otp.plugins.otp_static",
        "django_otp.plugins.otp_email",
        "django_otp.contrib.remember",
    ],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
)
django.setup()

project = "django-otp-ng"
author = "django-otp-ng developers"
copyright = "django-otp-ng developers"
release = "0.1.0"

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = "django-otp-ng"
