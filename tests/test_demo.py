"""The demo site in ``example/`` boots, seeds itself idempotently and enforces OTP.

Each step runs in a subprocess with the demo's own settings and a throw-away SQLite file
(``DEMO_DB_PATH``), so neither the test settings nor ``example/db.sqlite3`` are involved.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "example"
SCRIPT = Path(__file__).resolve().with_name("demo_script.py")
URI_PATTERN = re.compile(r"otpauth://\S+")
BACKUP_CODES_PATTERN = re.compile(r"New backup codes \(each works once\): (.+)")
EARLIER_CODES_PATTERN = re.compile(r"Backup codes from earlier runs, still unused: (.+)")
#: Run with the demo's settings: keep the first ``argv[1]`` backup codes of the demo user,
#: delete the others (as if they had been used), and print the kept ones as JSON.
USE_BACKUP_CODES = """
import json, sys
import django
django.setup()
from django_otp.plugins.otp_static.models import StaticToken
rows = StaticToken.objects.filter(device__user__username="demo").order_by("pk")
kept = list(rows.values_list("token", flat=True))[: int(sys.argv[1])]
rows.exclude(token__in=kept).delete()
print(json.dumps(kept))
"""


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for running the demo with its own settings and a temporary database."""
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    python_path = os.pathsep.join(filter(None, [str(EXAMPLE_DIR), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "demo_site.settings",
        "DEMO_DB_PATH": str(database),
        "PYTHONPATH": python_path,
    }


def run(env: dict[str, str], *args: str) -> str:
    """Run Python with ``args`` in ``example/``; fail with its output unless it succeeds."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=EXAMPLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def qr_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``seed_demo`` writes its QR code image in these tests (not into ``example/``)."""
    return tmp_path_factory.mktemp("demo-qr") / "demo-qr.svg"


@pytest.fixture(scope="module")
def seed_outputs(demo_env: dict[str, str], qr_image: Path) -> tuple[str, str]:
    """Migrate the temporary database and run ``seed_demo`` twice; return both outputs."""
    run(demo_env, "manage.py", "migrate", "--noinput")
    seed = ("manage.py", "seed_demo", "--qr-svg", str(qr_image))
    return run(demo_env, *seed), run(demo_env, *seed)


@pytest.fixture(scope="module")
def visits(demo_env: dict[str, str], seed_outputs: tuple[str, str]) -> dict[str, Any]:
    """Responses the demo site gave to the visits made by ``demo_script.py``."""
    first, _ = seed_outputs
    key = base64.b32decode(_secret(first)).hex()
    backup_codes = BACKUP_CODES_PATTERN.search(first).group(1).split()[:2]  # type: ignore[union-attr]
    return json.loads(run(demo_env, str(SCRIPT), key, *backup_codes))


def _uri(output: str) -> str:
    match = URI_PATTERN.search(output)
    assert match is not None, output
    return match.group(0)


def _secret(output: str) -> str:
    return parse_qs(urlsplit(_uri(output)).query)["secret"][0]


def test_system_checks_pass(demo_env: dict[str, str]) -> None:
    assert "no issues" in run(demo_env, "manage.py", "check")


def test_seed_prints_provisioning_uri_qr_and_code(seed_outputs: tuple[str, str]) -> None:
    first, _ = seed_outputs
    uri = urlsplit(_uri(first))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/django-otp-ng%20demo%3Ademo"
    assert parse_qs(uri.query)["issuer"] == ["django-otp-ng demo"]
    assert "\u2588" in first or "\u2580" in first or "\u2584" in first  # a drawn QR code
    assert re.search(r"Current code: \d{6} ", first)
    assert len(BACKUP_CODES_PATTERN.search(first).group(1).split()) == 5  # type: ignore[union-attr]


def test_seed_writes_a_qr_code_image_that_scans(
    seed_outputs: tuple[str, str], qr_image: Path
) -> None:
    first, _ = seed_outputs
    assert "drawn for a dark terminal" in first
    assert f"On a light terminal, scan the image instead: {qr_image.resolve()} " in first
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg is not installed (Debian: apt-get install zbar-tools)")
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(qr_image)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == _uri(first)


def test_seed_is_idempotent(seed_outputs: tuple[str, str]) -> None:
    first, second = seed_outputs
    assert "(created)" in first.splitlines()[0]
    assert "kept" in second.splitlines()[0]
    assert _secret(second) == _secret(first)
    assert "New backup codes" not in second
    assert "holds 5 unused codes" in second


def test_anonymous_visitor_must_log_in(visits: dict[str, Any]) -> None:
    assert visits["anonymous_secret"]["status"] == 302
    assert visits["anonymous_secret"]["location"] == "/otp/login/?next=/secret/"
    page = visits["anonymous_login_page"]["body"]
    assert 'name="username"' in page and 'name="password"' in page
    assert 'name="otp_token"' not in page
    assert "Please enter a correct username and password." in visits["wrong_password"]["body"]


def test_the_password_leads_to_the_second_step_with_every_factor(visits: dict[str, Any]) -> None:
    assert visits["password_step"]["status"] == 302
    assert visits["password_step"]["location"] == "/otp/login/verify/?next=%2Fsecret%2F"
    page = visits["second_step"]["body"]
    assert 'data-otp-webauthn="verify"' in page  # the passkey first, the strongest
    assert f'href="?factor={visits["phone_id"]}&amp;next=/secret/"' in page
    assert "Authenticator app (demo-phone)" in page
    assert "Email code (demo-email)" in page
    assert "Backup code (backup-codes)" in page
    code_page = visits["trust_page"]["body"]
    assert 'autocomplete="one-time-code"' in code_page and 'inputmode="numeric"' in code_page
    assert visits["two_step_code"]["location"] == "/secret/"
    assert visits["two_step_secret"]["status"] == 200


def test_password_and_totp_code_reach_the_secret_page(visits: dict[str, Any]) -> None:
    assert visits["password_and_code"]["status"] == 302
    assert visits["password_and_code"]["location"] == "/secret/"
    assert visits["verified_secret"]["status"] == 200
    assert "verified by <strong>demo-phone</strong>" in visits["verified_secret"]["body"]
    assert "Verified with a one-time password" in visits["verified_home"]["body"]
    assert visits["verified_admin"]["status"] == 200


def test_logout_ends_verification(visits: dict[str, Any]) -> None:
    assert visits["logout"]["status"] == 302
    assert visits["after_logout_secret"]["status"] == 302


def test_an_emailed_code_signs_in_and_aal2_asks_for_more(visits: dict[str, Any]) -> None:
    assert "We sent you a code. Enter it below." in visits["email_sent"]["body"]
    assert visits["email_code"]["location"] == "/strong/"
    step_up = visits["email_strong"]
    assert step_up["status"] == 302
    assert step_up["location"] == "/otp/step-up/?policy=aal2&next=%2Fstrong%2F"


def test_a_password_alone_is_sent_to_the_second_step_everywhere(visits: dict[str, Any]) -> None:
    # Enforcement (OTP_ENFORCE_FOR = "everyone") sends a user with a device to prove it.
    assert visits["password_login"] is True
    for name, path in [("unverified_secret", "secret"), ("unverified_admin", "admin")]:
        assert visits[name]["status"] == 302
        assert visits[name]["location"] == f"/otp/login/?next=%2F{path}%2F"
    assert "Not verified" in visits["unverified_home"]["body"]  # an exempt path


def test_a_signed_in_user_gets_the_second_step_and_a_backup_code_works(
    visits: dict[str, Any],
) -> None:
    assert visits["token_form"]["location"] == "/otp/login/verify/?next=%2Fsecret%2F"
    page = visits["token_page"]["body"]
    assert visits["token_page"]["status"] == 200
    assert 'name="username"' not in page
    assert f'value="{visits["backup_id"]}"' in page and 'inputmode="text"' in page
    assert visits["backup_code"]["status"] == 302
    assert visits["backup_code"]["location"] == "/secret/"
    assert visits["backup_secret"]["status"] == 200


def test_staff_without_a_device_are_reminded_then_the_admin_asks_for_a_code(
    visits: dict[str, Any],
) -> None:
    assert visits["staff_reminded"]["location"] == "/otp/login/setup/?next=%2Fadmin%2F"
    assert "Not now" in visits["staff_reminder"]["body"]
    assert visits["staff_skip"]["location"] == "/admin/"
    assert visits["staff_admin"]["status"] == 302
    assert visits["staff_admin"]["location"] == "/admin/login/?next=/admin/"
    login_page = visits["staff_admin_login"]
    assert login_page["status"] == 200
    assert 'name="otp_token"' in login_page["body"]


def test_after_the_grace_period_the_second_user_meets_the_wall(visits: dict[str, Any]) -> None:
    assert visits["newcomer_sign_in"]["status"] == 302
    assert visits["newcomer_secret"]["location"] == "/otp/login/setup/?next=%2Fsecret%2F"
    wall = visits["newcomer_wall"]["body"]
    assert "Set it up to go on." in wall
    assert "Not now" not in wall and "Sign out" in wall
    assert visits["newcomer_skip"]["status"] == 200  # no skipping any more
    assert visits["newcomer_step_up"]["location"].startswith("/otp/login/setup/")
    assert visits["newcomer_home"]["status"] == 200
    assert visits["newcomer_logout"]["status"] == 302


def test_seed_prints_the_second_user(seed_outputs: tuple[str, str]) -> None:
    first, second = seed_outputs
    assert "Second user without a device: newcomer / password: newcomer (created)" in first
    assert "newcomer / password: newcomer (kept, password unchanged)" in second


def _codes(pattern: re.Pattern[str], output: str) -> list[str]:
    match = pattern.search(output)
    assert match is not None, output
    return match.group(1).split()


def test_second_run_shows_the_unused_codes_of_the_first(seed_outputs: tuple[str, str]) -> None:
    first, second = seed_outputs
    assert "earlier runs" not in first
    assert _codes(EARLIER_CODES_PATTERN, second) == _codes(BACKUP_CODES_PATTERN, first)


def test_a_run_after_codes_were_used_shows_the_new_and_the_earlier_ones(
    demo_env: dict[str, str], visits: dict[str, Any]
) -> None:
    # After ``visits`` (which signs in with one of the codes), so that it still finds it.
    kept = json.loads(run(demo_env, "-c", USE_BACKUP_CODES, "2"))
    assert len(kept) == 2
    output = run(demo_env, "manage.py", "seed_demo", "--qr-svg", os.devnull)
    new = _codes(BACKUP_CODES_PATTERN, output)
    assert len(new) == 3
    assert _codes(EARLIER_CODES_PATTERN, output) == kept
    assert not set(new) & set(kept)
    assert 'Backup device "backup-codes" holds 5 unused codes.' in output
    assert "stored hashed" not in output


@pytest.mark.django_db
def test_hashed_codes_are_counted_not_shown(
    monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path
) -> None:
    # In-process with the suite's settings: the demo settings do not turn hashing on.
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    from demo_site.management.commands.seed_demo import Command

    settings.OTP_STATIC_HASH_TOKENS = True
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        call_command(Command(), qr_svg=tmp_path / "demo-qr.svg", stdout=out)
        outputs.append(out.getvalue())
    first, second = outputs
    assert len(_codes(BACKUP_CODES_PATTERN, first)) == 5
    assert "stored hashed" not in first
    assert "New backup codes" not in second
    assert "earlier runs" not in second
    assert "5 more unused codes are stored hashed (OTP_STATIC_HASH_TOKENS)" in second
    assert 'Backup device "backup-codes" holds 5 unused codes.' in second


def test_first_superuser_signs_in_with_a_backup_code_then_adds_a_phone(
    visits: dict[str, Any],
) -> None:
    # The procedure the README and the installation page give for the first superuser.
    assert visits["root_backup_device"]["name"] == "Backup Code"
    page = visits["root_password_only"]
    assert page["status"] == 200
    assert (
        f'<option value="{visits["root_backup_device"]["id"]}">Backup Code</option>'
        in (page["body"])
    )
    assert visits["root_backup_code"]["status"] == 302
    assert visits["root_backup_code"]["location"] == "/admin/"
    assert visits["root_admin"]["status"] == 200
    assert "Authenticator apps (TOTP)" in visits["root_admin"]["body"]
    assert visits["root_add_page"]["status"] == 200
    assert visits["root_add"]["status"] == 302, visits["root_add"]["body"]
    assert visits["root_phone"] == {"confirmed": True}
    assert "QR Code" in visits["root_changelist"]["body"]
    assert visits["root_phone_config"]["status"] == 200
    assert html.escape(visits["root_phone_url"]) in visits["root_phone_config"]["body"]


def test_pages_behind_policies(visits: dict[str, Any]) -> None:
    for name, policy in [("verified_recent", "recent"), ("verified_strong", "aal2")]:
        page = visits[name]
        assert page["status"] == 200, page
        assert f"Behind the <code>{policy}</code> policy" in page["body"]
    assert "<td>2</td>" in visits["verified_strong"]["body"]


def test_the_account_pages_are_linked_and_used_for_enrolment(visits: dict[str, Any]) -> None:
    assert 'href="/otp/security/"' in visits["verified_home"]["body"]
    security = visits["verified_security"]
    assert security["status"] == 200
    assert "demo-phone" in security["body"] and "demo-email" in security["body"]
    assert "You have 5 backup codes left." in security["body"]
    newcomer = visits["newcomer_security"]
    assert newcomer["status"] == 200
    assert "protected by your password alone" in newcomer["body"]
    add_app = visits["newcomer_add_app"]
    assert add_app["status"] == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in add_app["body"]
    assert "otpauth://totp/django-otp-ng%20demo%3Anewcomer" in add_app["body"]


def test_a_trusted_browser_signs_in_with_the_password_alone(visits: dict[str, Any]) -> None:
    assert "Trust this browser for 30 days" in visits["trust_page"]["body"]
    assert visits["password_and_code"]["status"] == 302
    assert visits["remembered_login"]["status"] == 302
    assert visits["remembered_login"]["location"] == "/secret/"
    assert visits["remembered_secret"]["status"] == 200
    assert "verified by <strong>demo-phone</strong>" in visits["remembered_secret"]["body"]
    assert visits["remembered_recent"]["status"] == 302  # a remembered browser is never fresh
    assert visits["remembered_recent"]["location"].startswith("/otp/step-up/?policy=recent")
    admin_list = visits["remembered_admin_list"]
    assert admin_list["status"] == 200
    assert '<td class="field-state">active</td>' in admin_list["body"]


def test_demo_user_adds_a_passkey_and_signs_in_with_it(visits: dict[str, Any]) -> None:
    assert 'href="/otp/security/passkey/"' in visits["verified_security"]["body"]
    assert "demo-passkey" not in visits["verified_security"]["body"]
    page = visits["passkeys_page"]
    assert page["status"] == 200
    assert 'data-otp-webauthn="register"' in page["body"]
    assert 'data-next="/otp/security/passkey/added/"' in page["body"]
    assert visits["passkey_register"]["status"] == 200, visits["passkey_register"]
    after = visits["passkeys_after"]["body"]
    assert "“demo-passkey” was added." in after
    assert '<h3 class="otp-device-name">demo-passkey</h3>' in after
    login_page = visits["login_page"]["body"]
    assert 'data-otp-webauthn="login"' in login_page and 'data-autofill="1"' in login_page
    assert 'autocomplete="username webauthn"' in login_page
    login = visits["passkey_login"]
    assert login["status"] == 200, login
    assert json.loads(login["body"])["redirect"] == "/secret/"
    assert visits["passkey_secret"]["status"] == 200


def test_the_password_then_the_passkey(visits: dict[str, Any]) -> None:
    page = visits["passkey_factor_page"]["body"]
    assert 'data-otp-webauthn="verify"' in page and "Trust this browser for 30 days" in page
    assert visits["passkey_factor_pending"]["location"] == "/otp/login/?next=/secret/"
    factor = visits["passkey_factor"]
    assert factor["status"] == 200, factor
    assert json.loads(factor["body"])["redirect"] == "/secret/"
    assert visits["passkey_factor_secret"]["status"] == 200


def test_the_classic_login_page_stays_for_compatibility(visits: dict[str, Any]) -> None:
    page = visits["classic_login_page"]
    assert page["status"] == 200
    assert 'name="otp_token"' in page["body"] and "Trust this browser for 30 days" in page["body"]
    assert 'href="/classic-login/"' in visits["verified_home"]["body"]


def test_signing_out_everywhere_ends_the_other_session(visits: dict[str, Any]) -> None:
    assert visits["there_before"]["status"] == 200
    assert "Sign out everywhere?" in visits["sign_out_page"]["body"]
    assert "You are signed out everywhere" in visits["signed_out"]["body"]
    assert visits["there_after"]["status"] == 302
    assert visits["there_after"]["location"].startswith("/otp/login/?next=/secret/")
