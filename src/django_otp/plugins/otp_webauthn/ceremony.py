"""The relying party's side of WebAuthn L3: options out, and the checks of 7.1 and 7.2 in.

Options are made with py_webauthn and written as its ``options_to_json`` writes them. The
checks run in the order of the specification, each refusal with a stable code (see
:data:`REFUSALS`) so that the failure accounting and the signals can say what went wrong.
Nothing here reads or writes the database: the flows hand in what was stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.crypto import constant_time_compare

from django_otp.app_settings import app_settings
from django_otp.plugins.otp_webauthn.py_webauthn import (
    AuthenticatorAttestationResponse,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CollectedClientData,
    COSEAlgorithmIdentifier,
    InvalidSignature,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
    WebAuthnException,
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_registration_response,
    verify_signature,
)
from django_otp.plugins.otp_webauthn.wire import Assertion, Attestation

__all__ = [
    "CHALLENGE_BYTES",
    "REFUSALS",
    "Checked",
    "Refused",
    "Registered",
    "authentication_options",
    "check_assertion",
    "new_challenge",
    "origins",
    "registration_options",
    "rp_id",
    "verify_registration",
]

#: Bytes of randomness in each challenge (WebAuthn asks for at least 16).
CHALLENGE_BYTES = 32

#: Every refusal code, and what it protects against.
REFUSALS = {
    "wrong_ceremony": "a response of another ceremony type (a registration used to sign in)",
    "challenge_mismatch": "a response made for another challenge: replay of an old response",
    "origin_mismatch": "a response collected by another site: phishing",
    "cross_origin": "a response collected inside a frame of another site",
    "rp_id_mismatch": "a credential of another relying party",
    "user_not_present": "an authenticator that signed without a touch (malware, a key left in)",
    "user_not_verified": "no PIN or biometric check where one is required",
    "backup_flags": "authenticator data that claims a backup of a device-bound credential",
    "backup_eligibility_changed": "a credential that changed from device-bound to synced",
    "user_handle_mismatch": "a credential presented for an account it does not belong to",
    "no_credential_data": "a registration without a credential in it",
    "credential_id_mismatch": "a registration whose credential id differs from its data",
    "unsupported_key": "a public key that cannot be read",
    "algorithm_not_allowed": "a key of an algorithm the site does not accept",
    "attestation_invalid": "an attestation statement that does not verify",
    "bad_signature": "a forged or altered response",
    "sign_count_regression": "a cloned authenticator: its counter went backwards",
}


class Refused(Exception):
    """A ceremony response failed a check; ``code`` is a key of :data:`REFUSALS`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def rp_id() -> str:
    """The relying-party id of ``OTP_WEBAUTHN_RP_ID``."""
    return str(app_settings.OTP_WEBAUTHN_RP_ID or "")


def origins() -> list[str]:
    """The exact origins ceremonies may come from: the setting, else ``https://<RP id>``."""
    return list(app_settings.OTP_WEBAUTHN_ORIGINS) or [f"https://{rp_id()}"]


def new_challenge() -> bytes:
    """A fresh random challenge."""
    return secrets.token_bytes(CHALLENGE_BYTES)


def _user_verification(required: bool) -> UserVerificationRequirement:
    if required:
        return UserVerificationRequirement.REQUIRED
    return UserVerificationRequirement(app_settings.OTP_WEBAUTHN_USER_VERIFICATION)


def uv_required() -> bool:
    """Whether the settings demand user verification in every ceremony."""
    return app_settings.OTP_WEBAUTHN_USER_VERIFICATION == "required"


def _descriptors(credentials: Iterable[tuple[bytes, list[str]]]) -> list[Any]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=credential_id,
            transports=[AuthenticatorTransport(t) for t in transports if t in known] or None,
        )
        for credential_id, transports in credentials
    ]


def _algorithms() -> list[COSEAlgorithmIdentifier]:
    return [COSEAlgorithmIdentifier(value) for value in app_settings.OTP_WEBAUTHN_ALGORITHMS]


def _timeout_ms() -> int:
    return int(app_settings.OTP_WEBAUTHN_TIMEOUT) * 1000


def registration_options(
    *,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    exclude: Iterable[tuple[bytes, list[str]]],
    require_uv: bool,
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for a new credential of a user."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=str(app_settings.OTP_WEBAUTHN_RP_NAME or rp_id()),
        user_name=user_name,
        user_id=user_handle,
        user_display_name=display_name,
        challenge=challenge,
        timeout=_timeout_ms(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=_user_verification(require_uv),
        ),
        exclude_credentials=_descriptors(exclude),
        supported_pub_key_algs=_algorithms(),
    )
    data: dict[str, Any] = json.loads(options_to_json(options))
    data["extensions"] = {"credProps": True}
    return data


def authentication_options(
    *, challenge: bytes, allow: Iterable[tuple[bytes, list[str]]], require_uv: bool
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON``; an empty ``allow`` asks for a passkey."""
    options = generate_authentication_options(
        rp_id=rp_id(),
        challenge=challenge,
        timeout=_timeout_ms(),
        allow_credentials=_descriptors(allow),
        user_verification=_user_verification(require_uv),
    )
    data: dict[str, Any] = json.loads(options_to_json(options))
    return data


def _check_client_data(client: CollectedClientData, ceremony: str, challenge: bytes) -> None:
    """Steps 7.1.7-9 / 7.2.11-13: the ceremony type, the challenge and the origin."""
    if client.type != ceremony:
        raise Refused("wrong_ceremony")
    if not challenge or not constant_time_compare(client.challenge, challenge):
        raise Refused("challenge_mismatch")
    if client.origin not in origins():
        raise Refused("origin_mismatch")
    if client.cross_origin:
        raise Refused("cross_origin")


def _check_authenticator(auth: Any, require_uv: bool) -> None:
    """Steps 7.1.13-17 / 7.2.15-18: the RP id hash, UP, UV and the backup flags."""
    expected = hashlib.sha256(rp_id().encode("utf-8")).digest()
    if not constant_time_compare(auth.rp_id_hash, expected):
        raise Refused("rp_id_mismatch")
    if not auth.flags.up:
        raise Refused("user_not_present")
    if require_uv and not auth.flags.uv:
        raise Refused("user_not_verified")
    if auth.flags.bs and not auth.flags.be:
        raise Refused("backup_flags")


@dataclass(frozen=True)
class Registered:
    """A verified new credential, ready to be stored."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    aaguid: str
    backup_eligible: bool
    backup_state: bool
    user_verified: bool
    transports: list[str]
    discoverable: bool | None


def verify_registration(
    attestation: Attestation, *, challenge: bytes, require_uv: bool
) -> Registered:
    """Run the registration checks of L3 7.1; :class:`Refused` names the first that fails."""
    _check_client_data(attestation.client_data, "webauthn.create", challenge)
    auth = attestation.attestation.auth_data
    _check_authenticator(auth, require_uv)
    data = auth.attested_credential_data
    if data is None or not data.credential_public_key:
        raise Refused("no_credential_data")
    if data.credential_id != attestation.credential_id:
        raise Refused("credential_id_mismatch")
    try:
        algorithm = decode_credential_public_key(data.credential_public_key).alg
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise Refused("unsupported_key") from None
    allowed = _algorithms()
    if algorithm not in allowed:
        raise Refused("algorithm_not_allowed")
    credential = RegistrationCredential(
        id=attestation.raw["id"],
        raw_id=attestation.credential_id,
        response=AuthenticatorAttestationResponse(
            client_data_json=attestation.client_data_json,
            attestation_object=attestation.attestation_object,
        ),
    )
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origins(),
            require_user_presence=True,
            require_user_verification=require_uv,
            supported_pub_key_algs=allowed,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise Refused("attestation_invalid") from None
    return Registered(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        backup_eligible=auth.flags.be,
        backup_state=auth.flags.bs,
        user_verified=auth.flags.uv,
        transports=list(attestation.transports),
        discoverable=attestation.discoverable,
    )


@dataclass(frozen=True)
class Checked:
    """What a valid assertion says: its counter and flags."""

    sign_count: int
    user_verified: bool
    backup_state: bool


def check_assertion(
    assertion: Assertion, *, public_key: bytes, stored_count: int, backup_eligible: bool
) -> Checked:
    """Run the authentication checks of L3 7.2 against a stored credential.

    The signature is checked before the counter (as 7.2 orders them), so a forged response
    reads ``bad_signature`` and only a genuine one with a stale counter reads
    ``sign_count_regression``; two counters of 0 mean the authenticator keeps none.
    """
    _check_client_data(assertion.client_data, "webauthn.get", assertion.challenge)
    auth = assertion.authenticator
    _check_authenticator(auth, assertion.require_uv)
    if auth.flags.be != backup_eligible:
        raise Refused("backup_eligibility_changed")
    expected_handle = assertion.user_handle_expected
    if (
        assertion.user_handle is not None
        and expected_handle is not None
        and not constant_time_compare(assertion.user_handle, expected_handle)
    ):
        raise Refused("user_handle_mismatch")
    signed = assertion.authenticator_data + hashlib.sha256(assertion.client_data_json).digest()
    try:
        decoded = decode_credential_public_key(public_key)
        verify_signature(
            public_key=decoded_public_key_to_cryptography(decoded),
            signature_alg=decoded.alg,
            signature=assertion.signature,
            data=signed,
        )
    except (InvalidSignature, WebAuthnException, ValueError, TypeError):
        raise Refused("bad_signature") from None
    count = auth.sign_count
    if (count or stored_count) and count <= stored_count:
        raise Refused("sign_count_regression")
    return Checked(count, auth.flags.uv, auth.flags.bs)
