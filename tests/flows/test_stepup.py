"""Step-up end to end: policies on views, the step-up page, RFC 9470 answers, path rules."""

from __future__ import annotations

import datetime
import json
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import TestCase, override_settings
from django.urls import resolve
from freezegun import freeze_time

from django_otp import DEVICE_ID_SESSION_KEY, signals
from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.test_sessions import FOREIGN_NEXT

PASSWORD = "correct horse"
KEY = bytes(range(20))
JSON = {"HTTP_ACCEPT": "application/json"}


def code() -> str:
    return str(totp(KEY)).zfill(6)


class StepUpTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.alice = User.objects.create_user("alice", password=PASSWORD)
        cls.bob = User.objects.create_user("bob", password=PASSWORD)
        cls.totp = TOTPDevice.objects.create(user=cls.alice, name="phone", key=KEY.hex())
        cls.mail = EmailDevice.objects.create(user=cls.alice, name="mail", email="a@x.example")
        cls.backup = StaticDevice.objects.create(user=cls.alice, name="backup")
        cls.bobs = TOTPDevice.objects.create(user=cls.bob, name="bob phone", key=KEY.hex())

    def sign_in(
        self, device: Any = None, client: Any = None, fields: Any = None, **headers: Any
    ) -> Any:
        """Password and a TOTP code through the login view, as a person signs in, with more
        ``fields`` and ``headers`` if given; returns the response."""
        device = device or self.totp
        response = (client or self.client).post(
            "/login/",
            {
                "username": "alice",
                "password": PASSWORD,
                "otp_device": device.persistent_id,
                "otp_token": code(),
            }
            | (fields or {}),
            **headers,
        )
        assert response.status_code == 302, response.content
        return response

    def step_up(self, policy: str, next_url: str, device: Any = None, token: str | None = None):
        return self.client.post(
            f"/otp/step-up/?policy={policy}",
            {
                "policy": policy,
                "next": next_url,
                "otp_device": (device or self.totp).persistent_id,
                "otp_token": token or code(),
            },
        )


class PolicyOnViewTests(StepUpTestCase):
    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get("/protected/recent/")
        self.assertRedirects(
            response, "/login/?next=/protected/recent/", fetch_redirect_response=False
        )

    def test_a_fresh_sign_in_meets_recent_and_aal2(self) -> None:
        with freeze_time("2026-12-01 10:00:00"):
            self.sign_in()
            assert self.client.get("/protected/recent/").content == b"secret"
            assert self.client.get("/protected/aal2/").content == b"secret"
            state = self.client.get("/assurance/").json()
        assert state["aal"] == 2
        assert state["amr"] == ["pwd", "otp"]
        assert state["methods"] == ["pwd", "totp"]

    def test_after_five_minutes_recent_asks_for_a_step_up(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(seconds=301))
            response = self.client.get("/protected/recent/?x=1")
            assert self.client.get("/protected/bare/").content == b"secret"
        assert response.status_code == 302
        assert response["Location"] == (
            "/otp/step-up/?policy=recent&next=%2Fprotected%2Frecent%2F%3Fx%3D1"
        )

    def test_the_step_up_page_offers_only_devices_that_can_meet_the_policy(self) -> None:
        self.sign_in()
        page = self.client.get("/otp/step-up/?policy=recent&next=/protected/recent/")
        offered = [value for value, _ in page.context["form"].fields["otp_device"].choices]
        assert sorted(offered) == sorted(
            ["", self.totp.persistent_id, self.backup.persistent_id, self.mail.persistent_id]
        )
        assert self.bobs.persistent_id not in offered
        phr = self.client.get("/otp/step-up/?policy=phishing_resistant&next=/")
        assert [v for v, _ in phr.context["form"].fields["otp_device"].choices] == [""]
        assert b"None of your devices can confirm this" in phr.content

    def test_stepping_up_cycles_the_session_and_returns_to_next(self) -> None:
        sent: list[dict[str, Any]] = []
        signals.step_up_succeeded.connect(
            lambda **kw: sent.append(kw), weak=False, dispatch_uid="stepup"
        )
        self.addCleanup(signals.step_up_succeeded.disconnect, dispatch_uid="stepup")
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(minutes=10))
            before = self.client.cookies["sessionid"].value
            with self.captureOnCommitCallbacks(execute=True):
                response = self.step_up("recent", "/protected/recent/")
            self.assertRedirects(response, "/protected/recent/", fetch_redirect_response=False)
            assert self.client.cookies["sessionid"].value != before
            assert self.client.get("/protected/recent/").content == b"secret"
        assert len(sent) == 1
        assert sent[0]["policy"] == "recent"
        assert sent[0]["device"] == self.totp
        assert "token" not in sent[0]

    def test_a_wrong_code_stays_on_the_page(self) -> None:
        self.sign_in()
        response = self.step_up("recent", "/protected/recent/", token="000000")
        assert response.status_code == 200
        assert "Invalid token" in str(response.context["form"].errors)

    def test_another_users_device_is_refused(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(minutes=10))
            response = self.step_up("recent", "/protected/recent/", device=self.bobs)
            assert response.status_code == 200
            assert "otp_device" in response.context["form"].errors
            assert self.client.get("/protected/recent/").status_code == 302

    def test_next_outside_the_site_is_ignored(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            for foreign in FOREIGN_NEXT:
                frozen.tick(datetime.timedelta(seconds=30))  # a new code each time
                with self.subTest(foreign):
                    response = self.step_up("recent", foreign)
                    assert response.status_code == 302
                    assert response["Location"] == "/accounts/profile/", response["Location"]

    def test_a_refused_post_is_not_lost_silently(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(minutes=10))
            response = self.client.post("/protected/class/", {"x": "1"})
            assert response.status_code == 302
            assert "resubmit=1" in response["Location"]
            page = self.client.get(response["Location"])
        assert b"Your form was not sent" in page.content

    def test_the_class_based_mixin(self) -> None:
        assert self.client.get("/protected/class-verified/").status_code == 302
        self.sign_in()
        assert self.client.get("/protected/class/").content == b"class secret"
        assert self.client.get("/protected/class-verified/").content == b"verified secret"

    def test_an_email_code_with_a_password_is_not_aal2(self) -> None:
        self.mail.generate_token()
        response = self.client.post(
            "/login/",
            {
                "username": "alice",
                "password": PASSWORD,
                "otp_device": self.mail.persistent_id,
                "otp_token": EmailDevice.objects.get(pk=self.mail.pk).token,
            },
        )
        assert response.status_code == 302
        assert self.client.get("/protected/bare/").content == b"secret"
        assert self.client.get("/assurance/").json()["aal"] == 1
        assert self.client.get("/protected/aal2/").status_code == 302

    def test_a_python_policy_object(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            assert self.client.get("/protected/object/").content == b"secret"
            frozen.tick(datetime.timedelta(seconds=61))
            response = self.client.get("/protected/object/")
            assert response.status_code == 302
            assert "policy=backup-or-fresh" in response["Location"]

    def test_an_async_view_stays_a_coroutine_function(self) -> None:
        assert iscoroutinefunction(resolve("/protected/async-recent/").func)
        self.sign_in()
        assert self.client.get("/protected/async-recent/").content == b"async secret"

    def test_an_unknown_policy_name_is_a_clear_error(self) -> None:
        from django_otp.assurance.policies import get_policy

        with self.assertRaisesMessage(ImproperlyConfigured, "No policy named 'nope'"):
            get_policy("nope")


class JsonChallengeTests(StepUpTestCase):
    def test_freshness_is_asked_for_with_max_age(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            frozen.tick(datetime.timedelta(minutes=10))
            response = self.client.get("/protected/recent/", **JSON)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == (
            'Bearer error="insufficient_user_authentication", '
            'error_description="For your security, confirm it is you again.", '
            'max_age="300"'
        )
        body = json.loads(response.content)
        assert body["error"] == "insufficient_user_authentication"
        assert body["policy"] == "recent"
        assert body["max_age"] == 300
        assert body["step_up_url"].startswith("/otp/step-up/?policy=recent")

    def test_a_method_is_asked_for_with_acr_values(self) -> None:
        self.sign_in()
        response = self.client.get("/protected/phr/", **JSON)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == (
            'Bearer error="insufficient_user_authentication", '
            'error_description="Confirm it is you with a passkey or a security key.", '
            'acr_values="phr"'
        )
        assert json.loads(response.content)["acr_values"] == "phr"

    def test_a_level_names_the_policy(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/protected/aal2/", **JSON)
        assert response.status_code == 401
        assert 'acr_values="aal2"' in response["WWW-Authenticate"]

    def test_anonymous_json_clients_get_401_not_a_redirect(self) -> None:
        response = self.client.get("/protected/recent/", **JSON)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"

    def test_browsers_that_accept_both_get_the_redirect(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(
            "/protected/aal2/", HTTP_ACCEPT="text/html,application/json;q=0.9"
        )
        assert response.status_code == 302


@override_settings(OTP_PATH_POLICIES=[(r"^/ruled/open", "default"), (r"^/ruled/", "recent")])
class PathPolicyTests(StepUpTestCase):
    def test_the_first_matching_rule_applies(self) -> None:
        with freeze_time("2026-12-01 10:00:00") as frozen:
            self.sign_in()
            assert self.client.get("/ruled/x").status_code == 200
            frozen.tick(datetime.timedelta(minutes=10))
            assert self.client.get("/ruled/x").status_code == 302
            assert self.client.get("/ruled/open/x").status_code == 200

    def test_paths_without_a_rule_are_left_alone(self) -> None:
        assert self.client.get("/untouched/").status_code == 200

    def test_an_unverified_session_is_sent_to_step_up(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/ruled/open/x")
        assert response.status_code == 302
        assert response["Location"].startswith("/otp/step-up/?policy=default")


class ProofRecordingTests(StepUpTestCase):
    def test_a_token_only_login_records_no_password(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/login/", {"otp_device": self.totp.persistent_id, "otp_token": code()}
        )
        assert response.status_code == 302
        methods = self.client.get("/assurance/").json()["methods"]
        assert methods == ["pwd", "totp"]  # the password of force_login, not a second one
        assert self.client.session[DEVICE_ID_SESSION_KEY] == self.totp.persistent_id

    def test_a_deleted_device_takes_its_proof_away(self) -> None:
        self.sign_in()
        TOTPDevice.objects.filter(pk=self.totp.pk).delete()
        assert self.client.get("/assurance/").json()["methods"] == ["pwd"]
