"""The package data that django-otp ships at fixed paths, and the typing marker."""

from importlib.resources import files
from pathlib import Path

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


#: Hosts of package registries; no link to them belongs in the repository (the names are
#: assembled here so that this file does not contain them either).
REGISTRY_HOSTS = [
    f"{name}.{tld}".encode()
    for name, tld in (("pypi", "org"), ("pythonhosted", "org"), ("npmjs", "com"))
]
#: Directories that are not part of the repository: tool caches, virtual environments, builds.
NOT_SOURCES = {".git", "__pycache__", "_build", "build", "dist", ".hypothesis", ".node", "output"}


def _repository_files(root: Path) -> list[Path]:
    """Every file under ``root`` except caches, virtual environments and build output."""
    found = []
    for path in root.iterdir():
        if path.name in NOT_SOURCES or path.name.endswith((".egg-info", "_cache")):
            continue
        if path.name.startswith(".venv"):
            continue
        if path.is_dir():
            found.extend(_repository_files(path))
        elif path.is_file() and path.suffix != ".sqlite3":
            found.append(path)
    return found


def test_no_package_registry_url_anywhere_in_the_repository():
    root = Path(__file__).resolve().parent.parent
    files = _repository_files(root)
    assert root / "README.md" in files
    offenders = [
        str(path.relative_to(root))
        for path in files
        if any(host in path.read_bytes().lower() for host in REGISTRY_HOSTS)
    ]
    assert offenders == []
