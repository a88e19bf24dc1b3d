"""``manage.py addstatictoken``: give a user one backup code from the command line."""

from __future__ import annotations

import textwrap
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_otp import tokens
from django_otp.plugins.otp_static.lib import add_static_token, get_user_model


class Command(BaseCommand):
    """Add one static token to a user, creating their static device when they have none."""

    help = textwrap.fill(
        "Adds one static OTP token to the given user. The token goes to one of the user's "
        "static devices, chosen arbitrarily; a static device is created if the user has none.",
        width=78,
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "-t",
            "--token",
            dest="token",
            help=(
                "The token to add: up to 16 characters from a-z and 0-9; case, spaces and "
                "hyphens are ignored when it is typed. A random token is generated when omitted."
            ),
        )
        parser.add_argument("username", help="The user to give the token to.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        token = options.get("token")
        if token is not None:
            token = "".join(token.split())
        if token is not None and (len(token) > 16 or tokens.normalize_static(token) is None):
            raise CommandError(
                "The token must be 1 to 16 characters from a-z and 0-9 "
                "(either case; hyphens are allowed and ignored when the code is typed)."
            )
        try:
            static_token = add_static_token(username, token)
        except get_user_model().DoesNotExist:
            raise CommandError(f'User "{username}" does not exist.') from None
        self.stdout.write(str(static_token.token))
