"""The package data that django-otp ships at fixed paths, and the typing marker."""

from importlib.resources import files

import pytest

PACKAGE = files("django_otp")

#: Paths the compatibility contract fixes (templates, static files, catalogues).
SHIPPED = [
    "py.typed",
    "templates/otp/admin111/login.html",
    "static/django_otp/css/login.css",
    "plugins/otp_hotp/templates/otp_hotp/admin/config.html",
    "plugins/otp_hotp/static/otp_hotp/css/qrcode.css",
    "plugins/otp_hotp/static/otp_hotp/js/qrcode.js",
    "plugins/otp_totp/templates/otp_totp/admin/config.html",
    "plugins/otp_totp/static/otp_totp/css/qrcode.css",
    "plugins/otp_totp/static/otp_totp/js/qrcode.js",
    "plugins/otp_email/templates/otp/email/token.txt",
    *(
        f"locale/{language}/LC_MESSAGES/django.{kind}"
        for language in ("de", "es", "fr", "pt_BR", "pt_PT")
        for kind in ("po", "mo")
    ),
]


@pytest.mark.parametrize("path", SHIPPED)
def test_package_data_is_in_place(path):
    assert PACKAGE.joinpath(path).is_file()
