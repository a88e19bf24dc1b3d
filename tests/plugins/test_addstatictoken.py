"""Tests of the ``addstatictoken`` management command."""

import re
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from django_otp.plugins.otp_static.management.commands.addstatictoken import Command
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken


class AddStaticTokenCommandTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("alice", password="password")

    def run_command(self, *args):
        out = StringIO()
        call_command("addstatictoken", *args, stdout=out)
        return out.getvalue()

    def test_random_token_is_written_and_stored(self):
        output = self.run_command("alice")
        assert re.fullmatch(r"[a-z2-7]{8}\n", output)
        token = StaticToken.objects.get()
        assert token.token == output.strip()
        assert token.device.user == self.user
        assert token.device.name == "Backup Code"

    def test_given_token(self):
        assert self.run_command("--token", "my-backup-1", "alice") == "my-backup-1\n"
        assert self.run_command("-t", "second", "alice") == "second\n"
        assert sorted(StaticToken.objects.values_list("token", flat=True)) == [
            "my-backup-1",
            "second",
        ]
        assert StaticDevice.objects.count() == 1

    def test_given_token_is_stored_without_whitespace(self):
        assert self.run_command("-t", " AB CD ", "alice") == "ABCD\n"
        device = StaticDevice.objects.get()
        assert device.verify_token("ab-cd") is True

    def test_sixteen_characters_accepted(self):
        assert self.run_command("-t", "a" * 16, "alice") == "a" * 16 + "\n"

    def test_unknown_user(self):
        with self.assertRaisesMessage(CommandError, 'User "nobody" does not exist.'):
            self.run_command("nobody")
        assert StaticToken.objects.count() == 0

    def test_bad_tokens_are_refused_before_the_database(self):
        for token in ["a" * 17, "abc_def", "caf\u00e9", "", "  "]:
            with (
                self.subTest(token=token),
                self.assertRaisesMessage(CommandError, "16 characters"),
            ):
                self.run_command("-t", token, "alice")
        assert StaticToken.objects.count() == 0
        assert StaticDevice.objects.count() == 0

    def test_help(self):
        command = Command()
        parser = command.create_parser("manage.py", "addstatictoken")
        help_text = parser.format_help()
        assert "-t TOKEN, --token TOKEN" in help_text
        assert "username" in help_text
        assert all(len(line) <= 78 for line in Command.help.splitlines())
        assert "static" in Command.help
