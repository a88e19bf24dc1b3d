"""django_otp.assurance.proofs: what each device type proves, and the session form."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_otp.assurance.proofs import (
    STRENGTHS,
    Proof,
    device_proof,
    method_of,
    password_proof,
    strength,
)
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.models import SimpleDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("alice", password="pw")


@pytest.mark.parametrize(
    ("model", "method", "properties", "factors"),
    [
        (TOTPDevice, "totp", set(), {"possession"}),
        (HOTPDevice, "hotp", set(), {"possession"}),
        (StaticDevice, "static", {"recovery"}, {"possession"}),
        (EmailDevice, "email", {"out_of_band"}, set()),
        (SimpleDevice, "tests", set(), {"possession"}),
    ],
)
def test_each_device_type_declares_its_proof(user, model, method, properties, factors):
    device = model.objects.create(user=user, name="d")
    proof = device_proof(device, 100.0)
    assert proof.method == method == method_of(device)
    assert proof.device_id == device.persistent_id
    assert proof.amr == ("otp",)
    assert proof.properties == properties
    assert proof.factors() == factors


def test_a_device_class_without_a_declaration_gets_the_safe_default(user):
    class Foreign:
        persistent_id = "foreign.device/1"

        class _meta:
            app_label = "foreign"

    proof = device_proof(Foreign(), 1.0)
    assert (proof.method, proof.amr, proof.properties) == ("foreign", ("otp",), frozenset())


def test_password_proof():
    proof = password_proof(5.0)
    assert (proof.method, proof.device_id, proof.amr) == ("pwd", None, ("pwd",))
    assert proof.factors() == {"knowledge"}


def test_remembered_proofs_count_as_no_factor(user):
    device = TOTPDevice.objects.create(user=user, name="d")
    proof = device_proof(device, 1.0, extra={"remembered"})
    assert proof.remembered
    assert proof.factors() == frozenset()


def test_user_verification_adds_a_factor():
    proof = Proof("webauthn", "x/1", 1.0, ("hwk", "user"), frozenset({"user_verified"}))
    assert proof.factors() == {"possession", "verification"}


def test_session_form_round_trips_and_rejects_garbage():
    proof = Proof("totp", "otp_totp.totpdevice/3", 12.5, ("otp",), frozenset({"recovery"}))
    assert Proof.from_session(proof.to_session()) == proof
    for garbage in [None, "x", [1, 2], ["m", None, "not a time", [], []], 5]:
        assert Proof.from_session(garbage) is None
    unknown = Proof.from_session(["totp", None, 1, ["otp"], ["made_up", "recovery"]])
    assert unknown is not None and unknown.properties == {"recovery"}


def test_strength_classes():
    def at(method, *properties):
        return Proof(method, "x/1", 1.0, (), frozenset(properties))

    assert strength(password_proof(1.0)) == 0
    assert strength(at("totp", "remembered")) == 0
    assert strength(at("email", "out_of_band")) == 1
    assert strength(at("static", "recovery")) == 1
    assert strength(at("totp")) == strength(at("hotp")) == 2
    assert strength(at("webauthn", "phishing_resistant")) == 3
    assert strength(at("webauthn", "phishing_resistant", "hardware_bound")) == 3
    assert STRENGTHS == (0, 1, 2, 3)
