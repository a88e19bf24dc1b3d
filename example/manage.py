#!/usr/bin/env python
"""Command-line entry point of the django-otp-ng demo site."""

import os
import sys


def main() -> None:
    """Run a Django management command with the demo settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
