"""django_otp.assurance.policies: every key, the combinators, built-ins, settings and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_otp.assurance import aal
from django_otp.assurance.policies import (
    AllOf,
    AnyOf,
    Requirement,
    Verified,
    get_policy,
    policies,
)
from django_otp.assurance.proofs import Proof, password_proof
from django_otp.checks import check_settings

NOW = 1_900_000_000.0


@dataclass
class FakeState:
    """The part of AuthState that policies read."""

    proofs: list[Proof] = field(default_factory=list)
    now: float = NOW
    is_verified: bool = True

    @property
    def aal(self) -> int:
        return aal.level(self.proofs, self.now)


def proof(method: str = "totp", *properties: str, age: float = 0) -> Proof:
    return Proof(method, f"x.{method}/1", NOW - age, ("otp",), frozenset(properties))


def unmet(policy, *proofs: Proof, verified: bool = True):
    return policy.unmet(FakeState(list(proofs), is_verified=verified))


def test_default_is_is_verified():
    policy = get_policy(None)
    assert isinstance(policy, Verified)
    assert unmet(policy, verified=True) is None
    assert unmet(policy, proof(), verified=False).reason == "verification"


def test_any_device_when_methods_are_omitted():
    policy = Requirement("any")
    assert unmet(policy, proof("email", "out_of_band")) is None
    assert unmet(policy, password_proof(NOW)).reason == "method"


def test_methods():
    policy = Requirement("apps", methods=("totp", "hotp"))
    assert unmet(policy, proof("hotp")) is None
    assert unmet(policy, proof("static")).reason == "method"
    assert unmet(Requirement("pw", methods=("pwd",)), password_proof(NOW)) is None


def test_max_age():
    policy = Requirement("fresh", max_age=300)
    assert unmet(policy, proof(age=300)) is None
    result = unmet(policy, proof(age=301))
    assert (result.reason, result.max_age, result.acr_values) == ("freshness", 300, None)


def test_min_aal():
    policy = Requirement("two", min_aal=2)
    assert unmet(policy, password_proof(NOW), proof()) is None
    result = unmet(policy, proof())
    assert (result.reason, result.acr_values) == ("level", "two")


def test_phishing_resistant():
    policy = Requirement("phr", phishing_resistant=True)
    assert unmet(policy, proof("webauthn", "phishing_resistant")) is None
    result = unmet(policy, proof("totp"))
    assert (result.reason, result.acr_values) == ("method", "phr")


def test_factors_count_the_password_and_skip_email():
    policy = Requirement("two-factors", factors=2)
    assert unmet(policy, password_proof(NOW), proof("totp")) is None
    assert unmet(policy, password_proof(NOW), proof("email", "out_of_band")).reason == "factors"
    assert unmet(policy, proof("webauthn", "user_verified")) is None
    fresh = Requirement("fresh-two", factors=2, max_age=60)
    assert unmet(fresh, password_proof(NOW - 61), proof("totp")).reason == "factors"


def test_remembered_proofs_count_only_where_allowed():
    remembered = proof("totp", "remembered")
    assert unmet(Requirement("plain"), remembered).reason == "method"
    assert unmet(Requirement("lenient", remembered=True), remembered) is None
    assert (
        unmet(
            Requirement("fresh", remembered=True, max_age=60), proof("totp", "remembered", age=61)
        ).reason
        == "freshness"
    )
    just_made = Requirement("fresh", remembered=True, max_age=60)
    assert unmet(just_made, proof("totp", "remembered", age=0)).reason == "freshness"


def test_any_of_and_all_of():
    backup = Requirement("backup", methods=("static",))
    fresh = Requirement("fresh", max_age=60)
    either = AnyOf("either", (backup, fresh))
    both = AllOf("both", (backup, fresh))
    assert unmet(either, proof("totp")) is None
    assert unmet(either, proof("static", age=100)) is None
    assert unmet(either, proof("totp", age=100)).policy == "backup"
    assert unmet(both, proof("static")) is None
    assert unmet(both, proof("static", age=100)).policy == "fresh"
    assert either.accepts(proof("static")) and not AnyOf("none", ()).accepts(proof())


def test_min_strength_refuses_weaker_proofs():
    strong = Requirement("strong", max_age=300, min_strength=2)
    assert unmet(strong, proof("totp")) is None
    assert unmet(strong, proof("webauthn", "phishing_resistant")) is None
    for weak in (proof("email", "out_of_band"), proof("static", "recovery")):
        result = unmet(strong, weak)
        assert result.reason == "method"
        assert "other than an emailed or backup code" in str(result.description)
    assert unmet(strong, proof("totp", age=301)).reason == "freshness"
    assert unmet(strong, password_proof(NOW)).reason == "method"
    key = Requirement("key", min_strength=3)
    assert "passkey" in str(unmet(key, proof("totp")).description)


def test_built_in_policies():
    built = policies()
    assert set(built) >= {"default", "recent", "phishing_resistant", "aal2", "aal3"}
    assert built["recent"].max_age == 300
    assert (built["recent_strong"].max_age, built["recent_strong"].min_strength) == (300, 2)
    assert built["recent_phishing_resistant"].phishing_resistant is True
    assert built["phishing_resistant"].phishing_resistant is True
    assert (built["aal2"].min_aal, built["aal3"].min_aal) == (2, 3)
    state = FakeState(
        [password_proof(NOW), proof("webauthn", "phishing_resistant", "hardware_bound")]
    )
    assert state.aal == 3
    assert get_policy("aal3").unmet(state) is None


@override_settings(
    OTP_POLICIES={
        "recent": {"max_age": 60},
        "admin": {"methods": ["totp"], "max_age": 120, "factors": 2},
        "object": AnyOf("object", (Requirement("a"),)),
    }
)
def test_settings_add_and_override():
    assert get_policy("recent").max_age == 60
    admin = get_policy("admin")
    assert (admin.name, admin.methods, admin.factors) == ("admin", ("totp",), 2)
    assert isinstance(get_policy("object"), AnyOf)


def test_a_policy_object_is_used_as_it_is():
    policy = Requirement("inline")
    assert get_policy(policy) is policy


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("not a dict", "must be a dict of policy names"),
        ({"p": {"max_ag": 3}}, "policy 'p' has an unknown key 'max_ag'"),
        ({"p": {"max_age": 0}}, "policy 'p' key 'max_age' must be a number of seconds"),
        ({"p": {"max_age": True}}, "policy 'p' key 'max_age'"),
        ({"p": {"min_aal": 4}}, "policy 'p' key 'min_aal' must be 1, 2 or 3"),
        ({"p": {"methods": "totp"}}, "policy 'p' key 'methods' must be a list"),
        ({"p": {"methods": []}}, "policy 'p' key 'methods'"),
        ({"p": {"factors": 0}}, "policy 'p' key 'factors'"),
        ({"p": {"remembered": "yes"}}, "policy 'p' key 'remembered' must be True or False"),
        ({"p": {"phishing_resistant": 1}}, "policy 'p' key 'phishing_resistant'"),
        ({"p": {"min_strength": 0}}, "policy 'p' key 'min_strength' must be 1, 2 or 3"),
        ({"p": {"min_strength": True}}, "policy 'p' key 'min_strength'"),
        ({"p": 3}, "policy 'p' must be a dict or a policy object"),
        ({"": {}}, "has a policy name ''"),
    ],
)
def test_a_malformed_setting_fails_the_check_naming_policy_and_key(value, fragment):
    with override_settings(OTP_POLICIES=value):
        messages = [m for m in check_settings() if m.msg.startswith("OTP_POLICIES")]
        assert len(messages) == 1
        assert messages[0].id == "django_otp.E002"
        assert fragment in messages[0].msg, messages[0].msg
        if isinstance(value, dict):
            with pytest.raises(ImproperlyConfigured, match="OTP_POLICIES"):
                policies()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("^/x", "must be a list"),
        ([("^/x",)], "item 0 must be a (path regex, policy name) pair"),
        ([("(", "recent")], "item 0 has an invalid regex"),
        ([("^/x", "")], "item 0 must pair"),
    ],
)
def test_malformed_path_policies_fail_the_check(value, fragment):
    with override_settings(OTP_PATH_POLICIES=value):
        messages = [m for m in check_settings() if m.msg.startswith("OTP_PATH_POLICIES")]
        assert len(messages) == 1
        assert fragment in messages[0].msg
