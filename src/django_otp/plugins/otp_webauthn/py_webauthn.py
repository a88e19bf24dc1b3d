"""The one import of py_webauthn (the ``webauthn`` extra), with a clear error when it is missing."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

try:
    from cryptography.exceptions import InvalidSignature
    from webauthn import (
        generate_authentication_options,
        generate_registration_options,
        options_to_json,
        verify_registration_response,
    )
    from webauthn.helpers import (
        decode_credential_public_key,
        decoded_public_key_to_cryptography,
        parse_attestation_object,
        parse_authenticator_data,
        parse_client_data_json,
        verify_signature,
    )
    from webauthn.helpers.cose import COSEAlgorithmIdentifier
    from webauthn.helpers.exceptions import WebAuthnException
    from webauthn.helpers.structs import (
        AttestationObject,
        AuthenticatorAttestationResponse,
        AuthenticatorData,
        AuthenticatorSelectionCriteria,
        AuthenticatorTransport,
        CollectedClientData,
        PublicKeyCredentialDescriptor,
        RegistrationCredential,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )
except ImportError as error:  # pragma: no cover (the dev extra installs it)
    raise ImproperlyConfigured(
        "django_otp.plugins.otp_webauthn needs py_webauthn: install django-otp-ng[webauthn] "
        f"({error})."
    ) from error

__all__ = [
    "AttestationObject",
    "AuthenticatorAttestationResponse",
    "AuthenticatorData",
    "AuthenticatorSelectionCriteria",
    "AuthenticatorTransport",
    "COSEAlgorithmIdentifier",
    "CollectedClientData",
    "InvalidSignature",
    "PublicKeyCredentialDescriptor",
    "RegistrationCredential",
    "ResidentKeyRequirement",
    "UserVerificationRequirement",
    "WebAuthnException",
    "decode_credential_public_key",
    "decoded_public_key_to_cryptography",
    "generate_authentication_options",
    "generate_registration_options",
    "options_to_json",
    "parse_attestation_object",
    "parse_authenticator_data",
    "parse_client_data_json",
    "verify_registration_response",
    "verify_signature",
]
