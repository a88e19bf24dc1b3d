"""The translation catalogues shipped in ``django_otp/locale`` are complete and load in Django."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

import django_otp

LOCALE_DIR = Path(django_otp.__file__).resolve().parent / "locale"

#: Catalogue directory name -> Django language code that selects it.
LANGUAGES = {"de": "de", "es": "es", "fr": "fr", "pt_BR": "pt-br", "pt_PT": "pt-pt"}

FAILED_ATTEMPTS = (
    "Verification temporarily disabled because of %(failure_count)d failed attempt, "
    "please try again soon.",
    "Verification temporarily disabled because of %(failure_count)d failed attempts, "
    "please try again soon.",
)

CORRECT_ERRORS = ("Please correct the error below.", "Please correct the errors below.")

#: Plural pairs: the form's throttling message and the admin login template's error note.
PLURALS = [FAILED_ATTEMPTS, CORRECT_ERRORS]

#: Every other msgid the spec (section 17) requires.
MSGIDS = [
    "Please enter your OTP token.",
    "Error generating challenge: {0}",
    "The selected OTP device is not interactive",
    "OTP Challenge: {0}",
    "Invalid token. Please make sure you have entered it correctly.",
    "Verification of the token is currently disabled",
    "Please select a device.",
    "sent by email",
    "Token generation cooldown period has not expired yet. Next generation allowed %s.",
    "Token generation is not allowed at this time",
    "You are authenticated as %(username)s, but are not authorized to access this page. "
    "Would you like to login to a different account?",
    "OTP Device:",
    "OTP Token:",
    "Forgotten your password or username?",
    "Log in",
    "Get OTP Challenge",
]

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\d*\}")

catalogue_names = pytest.mark.parametrize("name", sorted(LANGUAGES))


def _shipped(name: str) -> gettext.GNUTranslations:
    with (LOCALE_DIR / name / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        return gettext.GNUTranslations(mo)


def test_catalogues_are_the_ones_the_spec_names() -> None:
    assert sorted(path.name for path in LOCALE_DIR.iterdir()) == sorted(LANGUAGES)


@catalogue_names
def test_compiled_catalogue_matches_its_source(name: str, tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    compiled = tmp_path / "django.mo"
    source = LOCALE_DIR / name / "LC_MESSAGES" / "django.po"
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(source)], check=True)
    with compiled.open("rb") as mo:
        fresh = gettext.GNUTranslations(mo)
    assert fresh._catalog == _shipped(name)._catalog  # type: ignore[attr-defined]


@catalogue_names
def test_every_msgid_is_translated_with_its_placeholders(name: str) -> None:
    catalogue = _shipped(name)
    for msgid in MSGIDS:
        text = catalogue.gettext(msgid)
        assert text != msgid, msgid
        assert PLACEHOLDER.findall(text) == PLACEHOLDER.findall(msgid), msgid
    for plural in PLURALS:
        for count in (1, 2, 5):
            text = catalogue.ngettext(*plural, count)
            assert text not in plural
            assert PLACEHOLDER.findall(text) == PLACEHOLDER.findall(plural[0])


@catalogue_names
def test_plural_forms_follow_the_language(name: str) -> None:
    catalogue = _shipped(name)
    # French and Brazilian Portuguese count zero as singular; the others as plural.
    zero_is_singular = name in {"fr", "pt_BR"}
    for plural in PLURALS:
        one, many = (catalogue.ngettext(*plural, count) for count in (1, 3))
        assert one != many
        assert catalogue.ngettext(*plural, 0) == (one if zero_is_singular else many)


@catalogue_names
def test_django_uses_the_catalogue_for_the_language(name: str) -> None:
    expected = _shipped(name)
    with translation.override(LANGUAGES[name]):
        assert translation.gettext("Please enter your OTP token.") == expected.gettext(
            "Please enter your OTP token."
        )
        assert translation.ngettext(*FAILED_ATTEMPTS, 4) == expected.ngettext(*FAILED_ATTEMPTS, 4)
        assert translation.gettext("Please enter your OTP token.") != "Please enter your OTP token."


@catalogue_names
def test_form_messages_are_translated_when_rendered(name: str) -> None:
    from django_otp.forms import OTPAuthenticationFormMixin

    message = OTPAuthenticationFormMixin.otp_error_messages["token_required"]
    assert str(message) == "Please enter your OTP token."
    with translation.override(LANGUAGES[name]):
        assert str(message) == _shipped(name).gettext("Please enter your OTP token.")


def test_every_string_of_the_package_is_translated_in_every_catalogue(tmp_path: Path) -> None:
    # Extract the strings anew from a copy of the package, as ``make messages`` does, so a
    # string added to the code or a template without a translation fails here.
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None or shutil.which("xgettext") is None:
        pytest.skip("msgfmt and xgettext (GNU gettext) are not installed")
    package = tmp_path / "django_otp"
    shutil.copytree(LOCALE_DIR.parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    languages = [f"-l{name}" for name in sorted(LANGUAGES)]
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", *languages, "--no-obsolete"],
        cwd=package,
        env=environment,
        check=True,
        capture_output=True,
    )
    for name in sorted(LANGUAGES):
        source = package / "locale" / name / "LC_MESSAGES" / "django.po"
        statistics = subprocess.run(
            [msgfmt, "--statistics", "-o", "/dev/null", str(source)],
            check=True,
            capture_output=True,
            text=True,
        ).stderr
        assert "fuzzy" not in statistics and "untranslated" not in statistics, (name, statistics)
