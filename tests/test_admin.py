"""Tests for django_otp.admin: search helpers, the OTP admin login form and OTPAdminSite."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import translation

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.admin import (
    OTPAdminAuthenticationForm,
    OTPAdminSite,
    _admin_template_for_django_version,
    user_model_search_fields,
)
from tests.models import ChallengeDevice, SimpleDevice

WITHOUT_OTP_MIDDLEWARE = [m for m in settings.MIDDLEWARE if "django_otp" not in m]
AUTHENTICATED_SENTENCE = (
    "You are authenticated as alice, but are not authorized to access this page. "
    "Would you like to login to a different account?"
)


class UserModelSearchFieldsTests(TestCase):
    def test_username_and_email(self) -> None:
        self.assertEqual(
            user_model_search_fields(["username", "email"]),
            (["user__username", "user__email"], "Search by user's username or email address"),
        )

    def test_three_fields(self) -> None:
        self.assertEqual(
            user_model_search_fields(["username", "email", "first_name"]),
            (
                ["user__username", "user__email", "user__first_name"],
                "Search by user's username, email address or first name",
            ),
        )

    def test_one_field(self) -> None:
        self.assertEqual(
            user_model_search_fields(["email"]), (["user__email"], "Search by user's email address")
        )

    def test_unknown_fields_are_skipped(self) -> None:
        self.assertEqual(
            user_model_search_fields(["phone", "username", "logentry"]),
            (["user__username"], "Search by user's username"),
        )
        self.assertEqual(user_model_search_fields(["phone"]), ([], ""))
        self.assertEqual(user_model_search_fields([]), ([], ""))


class AdminPiecesTests(TestCase):
    def test_template(self) -> None:
        self.assertEqual(_admin_template_for_django_version(), "otp/admin111/login.html")
        self.assertEqual(OTPAdminSite.login_template, "otp/admin111/login.html")

    def test_site_names(self) -> None:
        self.assertEqual(OTPAdminSite.name, "otpadmin")
        self.assertEqual(OTPAdminSite().name, "otpadmin")
        self.assertEqual(OTPAdminSite("other").name, "other")
        self.assertEqual(reverse("otpadmin:login"), "/otpadmin/login/")
        self.assertIs(OTPAdminSite.login_form, OTPAdminAuthenticationForm)

    def test_form_fields(self) -> None:
        form = OTPAdminAuthenticationForm()
        self.assertEqual(
            list(form.fields), ["username", "password", "otp_device", "otp_token", "otp_challenge"]
        )
        self.assertIsInstance(form.fields["otp_device"].widget, forms.Select)
        self.assertEqual(form.fields["otp_token"].widget.attrs.get("autocomplete"), "off")

    def test_stylesheet_is_shipped(self) -> None:
        path = finders.find("django_otp/css/login.css")
        self.assertIsNotNone(path)
        with open(path, encoding="utf-8") as css:
            text = css.read()
        self.assertIn("input#id_otp_token", text)
        self.assertIn("select#id_otp_device", text)


class OTPAdminSiteTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.staff = User.objects.create_user("alice", password="alice-password", is_staff=True)
        cls.device = SimpleDevice.objects.create(user=cls.staff, name="phone", code="123456")
        cls.mail = ChallengeDevice.objects.create(user=cls.staff, name="mail", code="654321")
        cls.visitor = User.objects.create_user("bob", password="bob-password")
        cls.visitors_device = SimpleDevice.objects.create(user=cls.visitor, name="b")

    def verify_session(self, device: Any) -> None:
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def log_in(self, **data: Any) -> Any:
        values = {
            "username": "alice",
            "password": "alice-password",
            "otp_device": self.device.persistent_id,
            "otp_token": "123456",
            "next": "/otpadmin/",
        }
        values.update(data)
        return self.client.post("/otpadmin/login/?next=/otpadmin/", values)

    def test_staff_without_otp_is_refused(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get("/otpadmin/")
        self.assertRedirects(response, "/otpadmin/login/?next=/otpadmin/", 302, 200)
        self.assertEqual(self.client.get("/admin/").status_code, 200)

    def test_staff_with_otp_gets_in(self) -> None:
        self.client.force_login(self.staff)
        self.verify_session(self.device)
        self.assertEqual(self.client.get("/otpadmin/").status_code, 200)

    def test_login_page_for_anonymous_user(self) -> None:
        response = self.client.get("/otpadmin/login/")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "otp/admin111/login.html")
        self.assertIsInstance(response.context["form"], OTPAdminAuthenticationForm)
        self.assertContains(
            response, '<label class="required" for="id_otp_token">OTP Token:</label>'
        )
        self.assertContains(response, 'autocomplete="off"')
        self.assertContains(response, "django_otp/css/login.css")
        self.assertContains(response, "admin/css/login.css")
        self.assertContains(response, 'id="login-form"')
        self.assertContains(response, '<input type="submit" value="Log in">', html=True)
        self.assertNotContains(response, "OTP Device:")
        self.assertNotContains(response, "Get OTP Challenge")
        self.assertNotContains(response, AUTHENTICATED_SENTENCE)

    def test_login_page_has_no_inline_style_or_script(self) -> None:
        content = self.client.get("/otpadmin/login/").content.decode()
        self.assertNotIn("<style", content)
        self.assertNotRegex(content, r"\sstyle=")
        for tag in re.findall(r"<script[^>]*>", content):
            self.assertIn("src=", tag)

    def test_password_accepted_shows_device_and_challenge(self) -> None:
        response = self.log_in(otp_token="")
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, '<p class="errornote">Please enter your OTP token.</p>', html=True
        )
        self.assertContains(response, '<label for="id_otp_device">OTP Device:</label>', html=True)
        self.assertContains(
            response,
            f'<option value="{self.device.persistent_id}" selected>phone</option>',
            html=True,
        )
        self.assertContains(
            response,
            '<input type="submit" name="otp_challenge" value="Get OTP Challenge">',
            html=True,
        )
        self.assertContains(response, 'value="alice-password"')

    def test_challenge_from_the_admin_login(self) -> None:
        response = self.log_in(otp_device=self.mail.persistent_id, otp_token="", otp_challenge="1")
        self.assertContains(response, "OTP Challenge: sent")

    def test_field_errors_are_counted(self) -> None:
        response = self.client.post("/otpadmin/login/", {"username": "alice"})
        self.assertContains(response, "Please correct the error below.")
        response = self.client.post("/otpadmin/login/", {})
        self.assertContains(response, "Please correct the errors below.")

    def test_full_login(self) -> None:
        response = self.log_in()
        self.assertRedirects(response, "/otpadmin/", 302, 200)
        self.assertEqual(self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id)

    def test_wrong_token_is_refused(self) -> None:
        response = self.log_in(otp_token="000000")
        self.assertContains(response, "Invalid token. Please make sure you have entered it")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_non_staff_with_otp_is_refused(self) -> None:
        response = self.log_in(
            username="bob",
            password="bob-password",
            otp_device=self.visitors_device.persistent_id,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["form"].errors.as_data()["__all__"][0].code, "invalid_login"
        )

    def test_logged_in_unverified_user_sees_the_sentence(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get("/otpadmin/login/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, AUTHENTICATED_SENTENCE)

    def test_verified_staff_is_sent_on_from_the_login_page(self) -> None:
        self.client.force_login(self.staff)
        self.verify_session(self.device)
        self.assertRedirects(self.client.get("/otpadmin/login/"), "/otpadmin/", 302, 200)

    @override_settings(MIDDLEWARE=WITHOUT_OTP_MIDDLEWARE)
    def test_works_without_the_middleware(self) -> None:
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get("/otpadmin/").status_code, 302)
        self.verify_session(self.device)
        self.assertEqual(self.client.get("/otpadmin/").status_code, 200)


#: Plugin app label -> the readable name the admin shows for it.
READABLE_APP_NAMES = {
    "otp_totp": "Authenticator apps (TOTP)",
    "otp_hotp": "Hardware tokens (HOTP)",
    "otp_static": "Backup codes",
    "otp_email": "Email codes",
}


class ReadableAppNamesTests(TestCase):
    """The admin names the plugin apps for people; labels and tables stay django-otp's."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")

    def test_labels_tables_and_auto_fields_are_unchanged(self) -> None:
        for label, readable in READABLE_APP_NAMES.items():
            config = apps.get_app_config(label)
            self.assertEqual(config.name, f"django_otp.plugins.{label}")
            self.assertEqual(str(config.verbose_name), readable)
            self.assertEqual(config.default_auto_field, "django.db.models.AutoField")
            for model in config.get_models():
                self.assertTrue(model._meta.db_table.startswith(f"{label}_"), model)

    def test_admin_index_and_breadcrumbs_show_the_readable_names(self) -> None:
        self.client.force_login(self.admin)
        index = self.client.get("/admin/")
        self.assertEqual(index.status_code, 200)
        for label, readable in READABLE_APP_NAMES.items():
            self.assertContains(index, f'<a href="/admin/{label}/" class="section"')
            self.assertContains(index, readable)
        page = self.client.get("/admin/otp_totp/totpdevice/")
        self.assertEqual(page.status_code, 200)
        # A <div> up to Django 6.0, an <ol> from Django 6.1 on.
        breadcrumbs = re.search(
            r'<(div|ol) class="breadcrumbs">(.*?)</\1>', page.content.decode(), re.S
        )
        assert breadcrumbs is not None
        self.assertIn("Authenticator apps (TOTP)", breadcrumbs.group(2))
        self.assertNotIn("Otp_Totp", page.content.decode())
        self.assertNotIn("OTP_TOTP", page.content.decode())

    def test_readable_names_are_translated(self) -> None:
        self.client.force_login(self.admin)
        with translation.override("de"):
            index = self.client.get("/admin/")
        self.assertContains(index, "Authenticator-Apps (TOTP)")
