"""A software authenticator for the unit tests: real keys, real CBOR, real signatures.

It answers the options of the JSON endpoints with the JSON forms a browser sends
(``RegistrationResponseJSON``, ``AuthenticationResponseJSON``), and every field can be bent
to make one check fail: the flags, the counter, the origin, the challenge, the signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Authenticator:
    """One credential on a software authenticator."""

    backup_eligible: bool = False
    algorithm: str = "ES256"  # or "EdDSA"
    rp_id: str = RP_ID
    origin: str = ORIGIN
    sign_count: int = 0
    #: Whether the counter grows with each assertion (0 forever when False).
    counts: bool = True
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    user_handle: bytes | None = None

    def __post_init__(self) -> None:
        if self.algorithm == "EdDSA":
            self.key: Any = ed25519.Ed25519PrivateKey.generate()
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())

    def cose_key(self) -> bytes:
        public = self.key.public_key()
        if self.algorithm == "EdDSA":
            raw = public.public_bytes_raw()
            return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})
        numbers = public.public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def flags(self, up: bool, uv: bool, be: bool | None, bs: bool) -> int:
        be = self.backup_eligible if be is None else be
        return (UP if up else 0) | (UV if uv else 0) | (BE if be else 0) | (BS if bs else 0)

    def client_data(
        self, kind: str, challenge: str, origin: str | None, cross_origin: bool = False
    ) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        if cross_origin:
            data["crossOrigin"] = True
        return json.dumps(data).encode()

    def register(
        self,
        options: dict[str, Any],
        *,
        up: bool = True,
        uv: bool = True,
        be: bool | None = None,
        bs: bool = False,
        origin: str | None = None,
        kind: str = "webauthn.create",
        challenge: str | None = None,
        rp_id: str | None = None,
        rk: bool | None = True,
        fmt: str = "none",
        transports: tuple[str, ...] = ("internal",),
    ) -> dict[str, Any]:
        """The ``RegistrationResponseJSON`` of ``navigator.credentials.create(options)``."""
        self.user_handle = unb64url(options["user"]["id"])
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        attested = (
            bytes(16)
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_key()
        )
        auth_data = (
            rp_hash
            + bytes([self.flags(up, uv, be, bs) | AT])
            + self.sign_count.to_bytes(4, "big")
            + attested
        )
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": {}, "authData": auth_data})
        client = self.client_data(kind, challenge or options["challenge"], origin)
        result: dict[str, Any] = {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client),
                "attestationObject": b64url(attestation),
                "transports": list(transports),
            },
            "clientExtensionResults": {} if rk is None else {"credProps": {"rk": rk}},
        }
        return result

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "EdDSA":
            return self.key.sign(data)
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def assertion(
        self,
        options: dict[str, Any],
        *,
        up: bool = True,
        uv: bool = True,
        be: bool | None = None,
        bs: bool = False,
        origin: str | None = None,
        kind: str = "webauthn.get",
        challenge: str | None = None,
        rp_id: str | None = None,
        count: int | None = None,
        bogus_signature: bool = False,
        user_handle: bytes | str | None = "own",
        cross_origin: bool = False,
    ) -> dict[str, Any]:
        """The ``AuthenticationResponseJSON`` of ``navigator.credentials.get(options)``."""
        if count is None:
            if self.counts:
                self.sign_count += 1
            count = self.sign_count
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([self.flags(up, uv, be, bs)]) + count.to_bytes(4, "big")
        client = self.client_data(kind, challenge or options["challenge"], origin, cross_origin)
        signature = self.sign(auth_data + hashlib.sha256(client).digest())
        if bogus_signature:
            signature = self.sign(b"something else")
        handle = self.user_handle if user_handle == "own" else user_handle
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None if handle is None else b64url(handle),  # type: ignore[arg-type]
            },
            "clientExtensionResults": {},
        }
