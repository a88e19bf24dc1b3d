"""django_otp.assurance.aal: NIST SP 800-63B rev. 4 levels for every kind of proof and mix."""

from __future__ import annotations

import pytest

from django_otp.assurance.aal import LIMITS, factor_kinds, level
from django_otp.assurance.proofs import Proof, password_proof

NOW = 1_800_000_000.0
HOUR = 3600


def pwd(at: float = NOW) -> Proof:
    return password_proof(at)


def device(method: str, *properties: str, at: float = NOW, amr: tuple = ("otp",)) -> Proof:
    return Proof(method, f"app.{method}/1", at, amr, frozenset(properties))


TOTP = device("totp")
HOTP = device("hotp")
BACKUP = device("static", "recovery")
EMAIL = device("email", "out_of_band")
KEY_UV = device("webauthn", "phishing_resistant", "hardware_bound", "user_verified")
KEY = device("webauthn", "phishing_resistant", "hardware_bound")
SYNCED_UV = device("webauthn", "phishing_resistant", "user_verified")
SYNCED = device("webauthn", "phishing_resistant")
REMEMBERED = device("totp", "remembered")


@pytest.mark.parametrize(
    ("proofs", "expected"),
    [
        ([], 0),
        ([pwd()], 1),
        ([pwd(), TOTP], 2),
        ([pwd(), HOTP], 2),
        ([pwd(), BACKUP], 2),
        ([pwd(), EMAIL], 1),
        ([EMAIL], 1),
        ([TOTP], 1),
        ([TOTP, EMAIL], 1),
        ([KEY_UV], 3),
        ([SYNCED_UV], 2),
        ([KEY], 1),
        ([SYNCED], 1),
        ([pwd(), KEY], 3),
        ([pwd(), SYNCED], 2),
        ([pwd(), SYNCED_UV], 2),
        ([TOTP, KEY], 1),  # two things one has are one kind of factor
        ([pwd(), TOTP, SYNCED_UV], 2),
        ([pwd(), REMEMBERED], 1),
        ([REMEMBERED], 1),
    ],
)
def test_level_of_each_mix(proofs, expected):
    assert level(proofs, NOW) == expected


def test_email_never_counts_as_a_factor():
    assert factor_kinds([EMAIL]) == frozenset()
    assert factor_kinds([pwd(), EMAIL]) == {"knowledge"}


def test_aal2_overall_limit_is_24_hours():
    old = [pwd(NOW - 24 * HOUR), device("totp", at=NOW - 24 * HOUR)]
    assert level(old, NOW, last_activity=NOW) == 2
    assert level(old, NOW + 1, last_activity=NOW + 1) == 1


def test_aal2_idle_limit_is_one_hour():
    proofs = [pwd(NOW - 2 * HOUR), device("totp", at=NOW - 2 * HOUR)]
    assert level(proofs, NOW, last_activity=NOW - HOUR) == 2
    assert level(proofs, NOW, last_activity=NOW - HOUR - 1) == 1


def test_aal3_overall_limit_is_12_hours_then_aal2():
    key = device("webauthn", "phishing_resistant", "hardware_bound", "user_verified", at=NOW)
    assert level([key], NOW + 12 * HOUR, last_activity=NOW + 12 * HOUR) == 3
    assert level([key], NOW + 12 * HOUR + 1, last_activity=NOW + 12 * HOUR + 1) == 2
    assert level([key], NOW + 24 * HOUR + 1, last_activity=NOW + 24 * HOUR + 1) == 1


def test_aal3_idle_limit_is_15_minutes_then_aal2():
    assert level([KEY_UV], NOW, last_activity=NOW - 15 * 60) == 3
    assert level([KEY_UV], NOW, last_activity=NOW - 15 * 60 - 1) == 2


def test_a_password_for_aal3_must_be_recent_too():
    assert level([pwd(NOW - 13 * HOUR), KEY], NOW) == 2


def test_limits_are_the_nist_figures():
    assert (LIMITS[2].overall, LIMITS[2].idle) == (24 * HOUR, HOUR)
    assert (LIMITS[3].overall, LIMITS[3].idle) == (12 * HOUR, 15 * 60)
