"""The JSON forms of WebAuthn credentials, read strictly: anything malformed is refused here.

A browser sends ``RegistrationResponseJSON`` or ``AuthenticationResponseJSON`` (what
``PublicKeyCredential.toJSON()`` gives): base64url fields around a CBOR attestation object or
binary authenticator data. Every field is decoded before any check or any write, so bad input
(wrong base64url, CBOR, JSON, a missing field) is answered with :class:`Malformed` and never
reaches the database or the failure counters.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from django_otp.plugins.otp_webauthn.py_webauthn import (
    AttestationObject,
    AuthenticatorData,
    CollectedClientData,
    WebAuthnException,
    parse_attestation_object,
    parse_authenticator_data,
    parse_client_data_json,
)

__all__ = [
    "MAX_CREDENTIAL_ID",
    "Assertion",
    "Attestation",
    "Malformed",
    "b64url",
    "from_b64url",
    "parse_assertion",
    "parse_attestation",
]

#: The longest credential id WebAuthn allows (L3 5.1, ``credentialIdLength``), in bytes.
MAX_CREDENTIAL_ID = 1023

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class Malformed(ValueError):
    """The request does not hold a well-formed credential; ``field`` names what is wrong."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def b64url(data: bytes) -> str:
    """``data`` in unpadded base64url, as WebAuthn's JSON forms write binary fields."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(value: Any, field: str) -> bytes:
    """Decode unpadded base64url strictly; :class:`Malformed` for anything else."""
    if not isinstance(value, str) or not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise Malformed(field)
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _member(data: Any, key: str, field: str | None = None) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise Malformed(field or key)
    return data[key]


def _credential_id(data: Any) -> bytes:
    """The credential id: ``rawId``, equal to ``id``, at most 1023 bytes."""
    raw_id = from_b64url(_member(data, "rawId"), "rawId")
    if _member(data, "id") != b64url(raw_id) or not raw_id or len(raw_id) > MAX_CREDENTIAL_ID:
        raise Malformed("id")
    if _member(data, "type") != "public-key":
        raise Malformed("type")
    return raw_id


def _client_data(response: Any) -> tuple[bytes, CollectedClientData]:
    field = "response.clientDataJSON"
    raw = from_b64url(_member(response, "clientDataJSON", field), "clientDataJSON")
    try:
        parsed = parse_client_data_json(raw)
    except (WebAuthnException, ValueError, TypeError, UnicodeDecodeError):
        raise Malformed("clientDataJSON") from None
    if not all(isinstance(value, str) for value in (parsed.type, parsed.origin)):
        raise Malformed("clientDataJSON")
    return raw, parsed


@dataclass(frozen=True)
class Attestation:
    """A decoded ``RegistrationResponseJSON``: what ``navigator.credentials.create()`` made."""

    credential_id: bytes
    client_data_json: bytes
    client_data: CollectedClientData
    attestation_object: bytes
    attestation: AttestationObject
    transports: tuple[str, ...]
    discoverable: bool | None
    raw: dict[str, Any]


def parse_attestation(data: Any) -> Attestation:
    """Decode a registration response; :class:`Malformed` names the first bad field."""
    credential_id = _credential_id(data)
    response = _member(data, "response")
    client_raw, client = _client_data(response)
    object_raw = from_b64url(
        _member(response, "attestationObject", "response.attestationObject"), "attestationObject"
    )
    try:
        attestation = parse_attestation_object(object_raw)
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError):
        raise Malformed("attestationObject") from None
    if not isinstance(attestation.fmt, str):
        raise Malformed("attestationObject")
    transports = response.get("transports", [])
    if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
        raise Malformed("response.transports")
    extensions = data.get("clientExtensionResults") or {}
    props = extensions.get("credProps") if isinstance(extensions, dict) else None
    discoverable = props.get("rk") if isinstance(props, dict) else None
    return Attestation(
        credential_id=credential_id,
        client_data_json=client_raw,
        client_data=client,
        attestation_object=object_raw,
        attestation=attestation,
        transports=tuple(sorted(set(transports)))[:8],
        discoverable=discoverable if isinstance(discoverable, bool) else None,
        raw=data,
    )


@dataclass(frozen=True)
class Assertion:
    """A decoded ``AuthenticationResponseJSON``, the "token" a passkey device verifies.

    The flow that received it fills in what the ceremony expects (``challenge``,
    ``require_uv``, ``user_handle_expected``) before handing it to the verification path.
    """

    credential_id: bytes
    user_handle: bytes | None
    client_data_json: bytes
    client_data: CollectedClientData
    authenticator_data: bytes
    authenticator: AuthenticatorData
    signature: bytes
    challenge: bytes = b""
    require_uv: bool = False
    user_handle_expected: bytes | None = None


def parse_assertion(data: Any) -> Assertion:
    """Decode an authentication response; :class:`Malformed` names the first bad field."""
    credential_id = _credential_id(data)
    response = _member(data, "response")
    client_raw, client = _client_data(response)
    auth_raw = from_b64url(
        _member(response, "authenticatorData", "response.authenticatorData"), "authenticatorData"
    )
    try:
        authenticator = parse_authenticator_data(auth_raw)
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError):
        raise Malformed("authenticatorData") from None
    signature = from_b64url(_member(response, "signature", "response.signature"), "signature")
    if not signature:
        raise Malformed("signature")
    handle = response.get("userHandle")
    user_handle = None if handle in (None, "") else from_b64url(handle, "userHandle")
    return Assertion(
        credential_id=credential_id,
        user_handle=user_handle,
        client_data_json=client_raw,
        client_data=client,
        authenticator_data=auth_raw,
        authenticator=authenticator,
        signature=signature,
    )


def loads(body: bytes) -> Any:
    """Parse a request body as JSON; :class:`Malformed` for invalid JSON or UTF-8."""
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise Malformed("body") from None
