"""Sphinx configuration of the django-otp-ng documentation (``make docs``)."""

import sys
from pathlib import Path

# The pages document django_otp.oath only through autodoc, and that module does not need
# Django settings, so no Django set-up happens here.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

project = "django-otp-ng"
author = "django-otp-ng developers"
copyright = "django-otp-ng developers"
release = "0.1.0"

extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = "django-otp-ng"
