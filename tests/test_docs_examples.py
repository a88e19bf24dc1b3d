"""The examples of the README and the installation page work exactly as shown.

The LoginView URLconf and the admin's ``AdminConfig`` are taken from the documents' code
blocks, and the login template from ``docs/examples/templates`` (which the installation page
includes and the README repeats), so the documents cannot drift from what is tested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.template import TemplateDoesNotExist
from django.test import TestCase, override_settings

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
INSTALLATION = ROOT / "docs" / "installation.rst"
TEMPLATE_DIR = ROOT / "docs" / "examples" / "templates"
TEMPLATE = TEMPLATE_DIR / "registration" / "login.html"
CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]


def markdown_blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in a Markdown file."""
    return re.findall(rf"^```{language}\n(.*?)^```$", path.read_text(), re.MULTILINE | re.DOTALL)


def rst_python_blocks(path: Path) -> list[str]:
    """The ``code-block:: python`` blocks of a reStructuredText file, dedented."""
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", path.read_text(), re.MULTILINE
    )
    return [textwrap.dedent(block).rstrip("\n") + "\n" for block in blocks]


def only(blocks: list[str], marker: str) -> str:
    """The one block that contains ``marker``."""
    found = [block for block in blocks if marker in block]
    assert len(found) == 1, found
    return found[0]


def urlconf(source: str) -> types.ModuleType:
    """A URLconf module made by running ``source``."""
    module = types.ModuleType("login_example_urls")
    exec(compile(source, "login_example_urls", "exec"), module.__dict__)  # noqa: S102 (our docs)
    return module


EXAMPLES = {
    "README": lambda: only(markdown_blocks(README, "python"), "LoginView.as_view()"),
    "installation": lambda: only(rst_python_blocks(INSTALLATION), "LoginView.as_view()"),
}


def test_the_readme_shows_the_docs_template() -> None:
    assert only(markdown_blocks(README, "html"), "{% csrf_token %}") == TEMPLATE.read_text()


def test_the_installation_page_includes_the_template() -> None:
    text = INSTALLATION.read_text()
    assert ".. literalinclude:: examples/templates/registration/login.html" in text


def test_the_readme_and_the_installation_page_show_the_same_urlconf() -> None:
    assert EXAMPLES["README"]() == EXAMPLES["installation"]()


def with_template_dirs(*dirs: Path) -> Any:
    return override_settings(
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(path) for path in dirs],
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
            }
        ]
    )


class LoginExampleTests(TestCase):
    """Sign in through the documented URLconf and template."""

    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", "alice@example.com", "alice-password")
        cls.phone = TOTPDevice.objects.create(user=cls.alice, name="phone")
        cls.mail = EmailDevice.objects.create(user=cls.alice, name="mail")

    def setUp(self) -> None:
        settings = override_settings(ROOT_URLCONF=urlconf(EXAMPLES["README"]()), LOGIN_URL="login")
        settings.enable()
        self.addCleanup(settings.disable)
        templates = with_template_dirs(TEMPLATE_DIR)
        templates.enable()
        self.addCleanup(templates.disable)

    def code(self) -> str:
        device = self.phone
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"

    def page(self, response: Any) -> str:
        self.assertEqual(response.status_code, 200)
        self.assertIn(str(TEMPLATE), [template.origin.name for template in response.templates])
        return response.content.decode()

    def assert_verified(self) -> None:
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.phone.persistent_id)

    def test_the_protected_view_sends_visitors_to_the_login_page(self) -> None:
        response = self.client.get("/payroll/")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/login/?next=/payroll/")

    def test_anonymous_visitor_signs_in_with_password_and_totp_code(self) -> None:
        page = self.page(self.client.get("/login/?next=/payroll/"))
        for name in ("username", "password", "otp_token", "next"):
            self.assertIn(f'name="{name}"', page)
        self.assertNotIn('name="otp_device"', page)
        self.assertNotIn('name="otp_challenge"', page)

        credentials = {"username": "alice", "password": "alice-password", "next": "/payroll/"}
        page = self.page(self.client.post("/login/", credentials))
        self.assertIn("Please enter your OTP token.", page)
        self.assertIn(f'<option value="{self.phone.persistent_id}">', page)
        self.assertIn('name="otp_challenge"', page)
        self.assertNotIn("_auth_user_id", self.client.session)

        response = self.client.post(
            "/login/",
            {**credentials, "otp_device": self.phone.persistent_id, "otp_token": self.code()},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/payroll/")
        self.assert_verified()

    def test_the_challenge_button_sends_an_email_code(self) -> None:
        credentials = {"username": "alice", "password": "alice-password"}
        page = self.page(
            self.client.post(
                "/login/",
                {**credentials, "otp_device": self.mail.persistent_id, "otp_challenge": "1"},
            )
        )
        self.assertIn("OTP Challenge: sent by email", page)
        self.assertEqual([message.to for message in mail.outbox], [["alice@example.com"]])

    def test_signed_in_user_verifies_with_the_code_alone(self) -> None:
        self.client.force_login(self.alice)
        page = self.page(self.client.get("/login/?next=/payroll/"))
        self.assertNotIn('name="username"', page)
        self.assertNotIn('name="password"', page)
        self.assertIn(f'<option value="{self.phone.persistent_id}">', page)
        self.assertIn('name="otp_challenge"', page)

        response = self.client.post(
            "/login/",
            {"otp_device": self.phone.persistent_id, "otp_token": self.code(), "next": "/payroll/"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/payroll/")
        self.assert_verified()

    def test_without_the_template_the_page_fails_as_the_docs_warn(self) -> None:
        # Neither Django nor this package ships registration/login.html.
        with with_template_dirs(), pytest.raises(TemplateDoesNotExist):
            self.client.get("/login/")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_document_has_the_example(name: str) -> None:
    module = urlconf(EXAMPLES[name]())
    assert [str(pattern.pattern) for pattern in module.urlpatterns] == ["login/", "payroll/"]


ADMIN_CONFIG = {
    "README": lambda: only(markdown_blocks(README, "python"), "default_site"),
    "installation": lambda: only(rst_python_blocks(INSTALLATION), "default_site"),
}

#: Run in a fresh project whose ``myproject/apps.py`` is the documents' AdminConfig and whose
#: package is an installed app too (so ``default = False`` matters); prints what it found.
ADMIN_PROBE = """
import json
import django
from django.test.utils import setup_test_environment

django.setup()
setup_test_environment()
from django.apps import apps
from django.contrib import admin
from django.test import Client

response = Client().get("/admin/")
login = Client().get("/admin/login/")
print(json.dumps({
    "site": [admin.site.__class__.__module__, admin.site.__class__.__name__],
    "project_app": type(apps.get_app_config("myproject")).__name__,
    "admin_app": type(apps.get_app_config("admin")).__name__,
    "admin_redirect": [response.status_code, response.get("Location")],
    "login_templates": [t.name for t in login.templates],
    "login_has_token": 'name="otp_token"' in login.content.decode(),
}))
"""

ADMIN_SETTINGS = """
SECRET_KEY = "docs-example"
INSTALLED_APPS = [
    "myproject.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "myproject",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "myproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""


def test_the_readme_and_the_installation_page_show_the_same_admin_config() -> None:
    assert ADMIN_CONFIG["README"]() == ADMIN_CONFIG["installation"]()
    settings_and_urls = [
        only(markdown_blocks(README, "python"), "admin.site.urls"),
        only(rst_python_blocks(INSTALLATION), "admin.site.urls"),
    ]
    assert settings_and_urls[0] == settings_and_urls[1]


def test_the_documented_admin_config_makes_admin_site_an_otp_admin_site(tmp_path: Path) -> None:
    package = tmp_path / "myproject"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "apps.py").write_text(ADMIN_CONFIG["README"]())
    (package / "settings.py").write_text(ADMIN_SETTINGS)
    urls = only(markdown_blocks(README, "python"), "admin.site.urls").split("# urls.py\n")[1]
    (package / "urls.py").write_text(urls)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myproject.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-c", ADMIN_PROBE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["site"] == ["django_otp.admin", "OTPAdminSite"]
    assert found["project_app"] == "AppConfig"
    assert found["admin_app"] == "OTPAdminConfig"
    assert found["admin_redirect"] == [302, "/admin/login/?next=/admin/"]
    assert "otp/admin111/login.html" in found["login_templates"]
    assert found["login_has_token"] is True
