"""Drive the demo site with Django's test client and print what it saw, as JSON.

Run by ``tests/test_demo.py`` in a subprocess with ``DJANGO_SETTINGS_MODULE=demo_site.settings``
(the test suite's own settings cannot be swapped in-process). Arguments: the demo phone's hex
key and two backup codes printed by ``seed_demo``.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _seen(response: Any) -> dict[str, Any]:
    """Reduce a response to its status, redirect target and body text."""
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "body": response.content.decode(),
    }


def run(key_hex: str, *backup_codes: str) -> dict[str, Any]:
    """Sign in to the demo site in the ways a visitor can and record every response."""
    import re

    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.test import Client

    from django_otp.oath import totp
    from django_otp.plugins.otp_email.models import EmailDevice
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    phone = TOTPDevice.objects.get(user__username="demo", name="demo-phone")
    backup = StaticDevice.objects.get(user__username="demo", name="backup-codes")
    email = EmailDevice.objects.get(user__username="demo", name="demo-email")
    seen: dict[str, Any] = {"phone_id": phone.persistent_id, "backup_id": backup.persistent_id}

    visitor = Client()
    seen["anonymous_secret"] = _seen(visitor.get("/secret/"))
    seen["classic_login_page"] = _seen(visitor.get("/classic-login/"))
    credentials = {"username": "demo", "password": "demo"}
    code = f"{totp(bytes.fromhex(key_hex)):06d}"
    visitor.post("/otp/login/", {**credentials, "next": "/secret/"})
    seen["trust_page"] = _seen(
        visitor.get(f"/otp/login/verify/?factor={phone.persistent_id}&next=/secret/")
    )
    seen["password_and_code"] = _seen(
        visitor.post(
            "/otp/login/verify/",
            {
                "factor": phone.persistent_id,
                "otp_token": code,
                "otp_remember": "on",
                "next": "/secret/",
            },
        )
    )
    seen["verified_secret"] = _seen(visitor.get("/secret/"))
    seen["verified_recent"] = _seen(visitor.get("/recent/"))
    seen["verified_strong"] = _seen(visitor.get("/strong/"))
    seen["verified_home"] = _seen(visitor.get("/"))
    seen["verified_security"] = _seen(visitor.get("/otp/security/"))
    seen["verified_admin"] = _seen(visitor.get("/admin/"))
    seen.update(_passkey(visitor))
    seen["logout"] = _seen(visitor.post("/logout/"))
    seen["after_logout_secret"] = _seen(visitor.get("/secret/"))
    # The browser was trusted at sign-in: the password alone signs it in again, verified.
    seen["remembered_login"] = _seen(
        visitor.post("/otp/login/", {**credentials, "next": "/secret/"})
    )
    seen["remembered_secret"] = _seen(visitor.get("/secret/"))
    seen["remembered_recent"] = _seen(visitor.get("/recent/"))
    seen["remembered_admin_list"] = _seen(visitor.get("/admin/otp_remember/rememberedbrowser/"))

    two_step = Client()
    seen["anonymous_login_page"] = _seen(two_step.get("/otp/login/?next=/secret/"))
    seen["wrong_password"] = _seen(
        two_step.post("/otp/login/", {**credentials, "password": "nope", "next": "/secret/"})
    )
    seen["password_step"] = _seen(two_step.post("/otp/login/", {**credentials, "next": "/secret/"}))
    seen["second_step"] = _seen(two_step.get(seen["password_step"]["location"]))
    seen["two_step_code"] = _seen(
        two_step.post(
            "/otp/login/verify/",
            {"factor": backup.persistent_id, "otp_token": backup_codes[1], "next": "/secret/"},
        )
    )
    seen["two_step_secret"] = _seen(two_step.get("/secret/"))

    by_email = Client()
    by_email.post("/otp/login/", {**credentials, "next": "/strong/"})
    send = {"factor": email.persistent_id, "action": "send", "next": "/strong/"}
    seen["email_sent"] = _seen(by_email.post("/otp/login/verify/", send))
    emailed = re.search(r"\d{6}", mail.outbox[-1].body).group(0)  # type: ignore[union-attr]
    seen["email_code"] = _seen(
        by_email.post(
            "/otp/login/verify/",
            {"factor": email.persistent_id, "otp_token": emailed, "next": "/strong/"},
        )
    )
    seen["email_strong"] = _seen(by_email.get("/strong/"))

    unverified = Client()
    seen["password_login"] = unverified.login(**credentials)
    seen["unverified_secret"] = _seen(unverified.get("/secret/"))
    seen["unverified_admin"] = _seen(unverified.get("/admin/"))
    seen["unverified_home"] = _seen(unverified.get("/"))
    seen["token_form"] = _seen(unverified.get("/otp/login/?next=/secret/"))
    seen["token_page"] = _seen(
        unverified.get(f"/otp/login/verify/?factor={backup.persistent_id}&next=/secret/")
    )
    seen["backup_code"] = _seen(
        unverified.post(
            "/otp/login/verify/",
            {"factor": backup.persistent_id, "otp_token": backup_codes[0], "next": "/secret/"},
        )
    )
    seen["backup_secret"] = _seen(unverified.get("/secret/"))

    staff = get_user_model().objects.create_user("staff", password="staff", is_staff=True)
    staff_client = Client()
    staff_client.force_login(staff)
    seen["staff_reminded"] = _seen(staff_client.get("/admin/"))
    seen["staff_reminder"] = _seen(staff_client.get(seen["staff_reminded"]["location"]))
    seen["staff_skip"] = _seen(
        staff_client.post(seen["staff_reminded"]["location"], {"next": "/admin/"})
    )
    seen["staff_admin"] = _seen(staff_client.get("/admin/"))
    seen["staff_admin_login"] = _seen(staff_client.get("/admin/login/?next=/admin/"))
    seen.update(_enrolment())
    seen.update(_walled_newcomer())
    seen.update(_first_superuser())
    seen.update(_sign_out_everywhere(by_email, two_step))
    return seen


def _sign_out_everywhere(here: Any, there: Any) -> dict[str, Any]:
    """The demo user, signed in in two browsers, signs out everywhere from one of them."""
    return {
        "there_before": _seen(there.get("/secret/")),
        "sign_out_page": _seen(here.get("/otp/security/sign-out/")),
        "signed_out": _seen(here.post("/otp/security/sign-out/")),
        "there_after": _seen(there.get("/secret/")),
    }


def _enrolment() -> dict[str, Any]:
    """The seeded user without a device opens the account pages and begins adding an app."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    newcomer = get_user_model().objects.get(username="newcomer")
    client = Client()
    client.force_login(newcomer)
    return {
        "newcomer_security": _seen(client.get("/otp/security/")),
        "newcomer_add_app": _seen(client.get("/otp/security/app/")),
    }


def _passkey(visitor: Any) -> dict[str, Any]:
    """Add a passkey in the verified session, then sign in with it alone in a new one."""
    from pathlib import Path

    from django.test import Client

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.plugins.webauthn.authenticator import Authenticator

    def post(client: Any, url: str, body: Any) -> Any:
        return client.post(url, json.dumps(body), content_type="application/json")

    seen: dict[str, Any] = {"passkeys_page": _seen(visitor.get("/otp/security/passkey/"))}
    key = Authenticator()
    options = post(visitor, "/otp/webauthn/register/begin/", {}).json()
    body = {**key.register(options), "name": "demo-passkey"}
    seen["passkey_register"] = _seen(post(visitor, "/otp/webauthn/register/complete/", body))
    seen["passkeys_after"] = _seen(visitor.get("/otp/security/passkey/added/", follow=True))
    stranger = Client()
    seen["login_page"] = _seen(stranger.get("/otp/login/?next=/secret/"))
    options = post(stranger, "/otp/webauthn/login/begin/", {"next": "/secret/"}).json()
    seen["passkey_login"] = _seen(
        post(stranger, "/otp/webauthn/login/complete/", key.assertion(options))
    )
    seen["passkey_secret"] = _seen(stranger.get("/secret/"))
    # The password, then the passkey as the second factor: nobody is signed in in between.
    second = Client()
    second.post("/otp/login/", {"username": "demo", "password": "demo", "next": "/secret/"})
    seen["passkey_factor_page"] = _seen(second.get("/otp/login/verify/?next=/secret/"))
    seen["passkey_factor_pending"] = _seen(second.get("/secret/"))
    options = post(second, "/otp/webauthn/verify/begin/", {"next": "/secret/"}).json()
    seen["passkey_factor"] = _seen(
        post(second, "/otp/webauthn/verify/complete/", key.assertion(options))
    )
    seen["passkey_factor_secret"] = _seen(second.get("/secret/"))
    return seen


def _walled_newcomer() -> dict[str, Any]:
    """The second user, past the grace period that ``seed_demo --end-grace`` ended."""
    import io

    from django.core.management import call_command
    from django.test import Client

    call_command("seed_demo", "--end-grace", "--qr-svg", "/dev/null", stdout=io.StringIO())
    seen: dict[str, Any] = {}
    client = Client()
    seen["newcomer_sign_in"] = _seen(
        client.post("/otp/login/", {"username": "newcomer", "password": "newcomer"})
    )
    seen["newcomer_secret"] = _seen(client.get("/secret/"))
    seen["newcomer_wall"] = _seen(client.get(seen["newcomer_secret"]["location"]))
    seen["newcomer_skip"] = _seen(client.post(seen["newcomer_secret"]["location"]))
    seen["newcomer_step_up"] = _seen(client.get("/otp/step-up/"))
    seen["newcomer_home"] = _seen(client.get("/"))
    seen["newcomer_logout"] = _seen(client.post("/logout/"))
    return seen


def _form_data(form: Any) -> dict[str, Any]:
    """The values an unchanged admin form would post."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    return data


def _first_superuser() -> dict[str, Any]:
    """The documented way in for a superuser without a device: a backup code, then a phone."""
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    seen: dict[str, Any] = {}
    root = get_user_model().objects.create_superuser("root", "root@example.com", "root-pw")
    printed = io.StringIO()
    call_command("addstatictoken", "root", stdout=printed)
    code = printed.getvalue().strip()
    device = StaticDevice.objects.get(user=root)
    seen["root_backup_device"] = {"name": device.name, "id": device.persistent_id}

    client = Client()
    credentials = {"username": "root", "password": "root-pw", "next": "/admin/"}
    seen["root_password_only"] = _seen(client.post("/admin/login/?next=/admin/", credentials))
    seen["root_backup_code"] = _seen(
        client.post(
            "/admin/login/?next=/admin/",
            {**credentials, "otp_device": device.persistent_id, "otp_token": code},
        )
    )
    seen["root_admin"] = _seen(client.get("/admin/"))
    add_page = client.get("/admin/otp_totp/totpdevice/add/")
    seen["root_add_page"] = _seen(add_page)
    data = {**_form_data(add_page.context["adminform"].form), "user": root.pk, "name": "phone"}
    seen["root_add"] = _seen(client.post("/admin/otp_totp/totpdevice/add/", data))
    phone = TOTPDevice.objects.filter(user=root, name="phone").first()
    seen["root_phone"] = None if phone is None else {"confirmed": phone.confirmed}
    if phone is not None:
        seen["root_changelist"] = _seen(client.get("/admin/otp_totp/totpdevice/"))
        seen["root_phone_config"] = _seen(
            client.get(f"/admin/otp_totp/totpdevice/{phone.pk}/config/")
        )
        seen["root_phone_url"] = phone.config_url
    return seen


def main() -> None:
    """Set Django up with the demo settings, run the visits and print the result."""
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    json.dump(run(sys.argv[1], *sys.argv[2:4]), sys.stdout)


if __name__ == "__main__":
    main()
