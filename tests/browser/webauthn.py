"""Chromium's virtual WebAuthn authenticators, driven over the DevTools protocol (CDP).

A virtual authenticator answers ``navigator.credentials.create()`` and ``get()`` in one page
as a passkey or a security key would, without a person touching anything. The page must be
served from ``http://localhost``: ``127.0.0.1`` is a secure context too, but an IP address is
not a valid relying-party id, so Chromium refuses the ceremonies there with a SecurityError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import CDPSession


@dataclass(frozen=True)
class AuthenticatorOptions:
    """The options of ``WebAuthn.addVirtualAuthenticator``; the defaults make a passkey."""

    protocol: str = "ctap2"  # or "u2f"
    transport: str = "internal"  # "usb", "nfc", "ble", "cable" or "internal"
    has_resident_key: bool = True
    has_user_verification: bool = True
    is_user_verified: bool = True
    #: Answer user-presence checks at once, as if the person had touched the key.
    automatic_presence_simulation: bool = True

    def to_cdp(self) -> dict[str, Any]:
        """The ``options`` parameter of ``WebAuthn.addVirtualAuthenticator``."""
        return {
            "protocol": self.protocol,
            "transport": self.transport,
            "hasResidentKey": self.has_resident_key,
            "hasUserVerification": self.has_user_verification,
            "isUserVerified": self.is_user_verified,
            "automaticPresenceSimulation": self.automatic_presence_simulation,
        }


#: A platform passkey: CTAP2, built in, discoverable credentials, user verification.
PASSKEY = AuthenticatorOptions()

#: A U2F security key on USB: no discoverable credentials, no user verification.
SECURITY_KEY = AuthenticatorOptions(
    protocol="u2f",
    transport="usb",
    has_resident_key=False,
    has_user_verification=False,
    is_user_verified=False,
)


class VirtualAuthenticator:
    """One virtual authenticator of a page; the methods wrap the CDP ``WebAuthn`` domain."""

    def __init__(self, cdp: CDPSession, options: AuthenticatorOptions) -> None:
        self.cdp = cdp
        self.options = options
        reply = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options.to_cdp()})
        self.id: str = reply["authenticatorId"]

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``WebAuthn.<method>`` for this authenticator and return CDP's reply."""
        return self.cdp.send(f"WebAuthn.{method}", {"authenticatorId": self.id, **params})

    def credentials(self) -> list[dict[str, Any]]:
        """The credentials the authenticator holds, as ``WebAuthn.getCredentials`` lists them."""
        return self.send("getCredentials")["credentials"]

    def set_response_override_bits(
        self, *, bogus_signature: bool = False, bad_uv: bool = False, bad_up: bool = False
    ) -> None:
        """Make later responses carry a wrong signature or clear the UV or UP flag."""
        self.send(
            "setResponseOverrideBits",
            isBogusSignature=bogus_signature,
            isBadUV=bad_uv,
            isBadUP=bad_up,
        )

    def remove(self) -> None:
        """Remove the authenticator from the page."""
        self.send("removeVirtualAuthenticator")
