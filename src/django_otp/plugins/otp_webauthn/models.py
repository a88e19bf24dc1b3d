"""Passkeys and security keys: the WebAuthn credential as a device, and the user handle.

A :class:`WebAuthnDevice` is verified by the shared path of :mod:`django_otp.verification`
like any device: its "token" is a decoded assertion (:class:`~.wire.Assertion`), its match
runs the checks of :mod:`.ceremony`, and the signature counter is the replay guard of the
conditional ``UPDATE`` that decides. So throttling, failure counts, lockout and the signals
are the core's.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from django_otp import signals
from django_otp.app_settings import app_settings
from django_otp.models import Device, DeviceManager, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_webauthn import ceremony
from django_otp.plugins.otp_webauthn.wire import MAX_CREDENTIAL_ID, Assertion
from django_otp.verification import TokenMatch, TokenRejected

#: Bytes of a user handle (the most WebAuthn allows), random and free of personal data.
USER_HANDLE_BYTES = 64


def credential_hash(credential_id: bytes) -> str:
    """The hex SHA-256 of a credential id: the unique, indexable column it is found by."""
    return hashlib.sha256(credential_id).hexdigest()


def credential_kind(backup_eligible: bool, discoverable: bool | None, transports: Any) -> str:
    """What a person calls a credential: a passkey or a security key."""
    built_in = bool({"internal", "hybrid"} & set(transports or ()))
    return "passkey" if backup_eligible or discoverable or built_in else "security_key"


class WebAuthnDeviceQuerySet(models.QuerySet):
    """Finds credentials by id, on the hash column that is unique and indexed."""

    def by_credential_id(self, credential_id: bytes) -> WebAuthnDeviceQuerySet:
        """The device (at most one) whose credential id is ``credential_id``."""
        return self.filter(credential_id_sha256=credential_hash(credential_id))


class WebAuthnDeviceManager(DeviceManager.from_queryset(WebAuthnDeviceQuerySet)):  # type: ignore[misc]
    """The default manager: ``devices_for_user`` and ``by_credential_id``."""


class WebAuthnDevice(TimestampMixin, ThrottlingMixin, Device):
    """A passkey or security key: a WebAuthn public-key credential of a user."""

    otp_method = "webauthn"
    otp_ceremony_template = "otp_webauthn/verify.html"

    credential_id = models.BinaryField(
        max_length=MAX_CREDENTIAL_ID, help_text="The credential id the authenticator chose."
    )
    credential_id_sha256 = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256 of the credential id."
    )
    public_key = models.BinaryField(
        max_length=1023, help_text="The credential's public key (a COSE key)."
    )
    sign_count = models.BigIntegerField(
        default=0, help_text="The signature counter of the last accepted assertion."
    )
    transports = models.JSONField(
        default=list, blank=True, help_text="How the browser can reach the authenticator."
    )
    aaguid = models.CharField(
        max_length=36, blank=True, default="", help_text="The authenticator model's AAGUID."
    )
    backup_eligible = models.BooleanField(
        default=False, help_text="The credential can be synced to other devices (a passkey)."
    )
    backup_state = models.BooleanField(
        default=False, help_text="The credential was backed up when last seen."
    )
    user_verified = models.BooleanField(
        default=False, help_text="The authenticator has verified the person (PIN, biometrics)."
    )
    discoverable = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text="The credential is stored on the authenticator (unknown when empty).",
    )

    objects = WebAuthnDeviceManager()  # type: ignore[misc]

    class Meta(Device.Meta):
        verbose_name = _("passkey or security key")
        verbose_name_plural = _("passkeys and security keys")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.credential_id_sha256 = credential_hash(bytes(self.credential_id))
        super().save(*args, **kwargs)

    def get_throttle_factor(self) -> float:
        """The throttle factor from ``OTP_WEBAUTHN_THROTTLE_FACTOR`` (default 1), read now."""
        return app_settings.OTP_WEBAUTHN_THROTTLE_FACTOR

    @classmethod
    def otp_passwordless_template(cls) -> str | None:
        """The snippet "Sign in with a passkey" for the sign-in's password page, while
        ``OTP_WEBAUTHN_PASSWORDLESS`` is on (see ``flows.factors.passwordless_templates``)."""
        return "otp_webauthn/login.html" if app_settings.OTP_WEBAUTHN_PASSWORDLESS else None

    @property
    def kind(self) -> str:
        """``"passkey"`` (synced, stored on the authenticator, or built into the device),
        else ``"security_key"``."""
        return credential_kind(self.backup_eligible, self.discoverable, self.transports)

    def proof_of(self, user_verified: bool) -> tuple[tuple[str, ...], frozenset[str]]:
        """The ``amr`` values and properties of an assertion with or without UV.

        Phishing-resistant always; hardware-bound when the credential cannot leave its
        authenticator (not backup-eligible); ``hwk``/``swk`` by the same rule, ``user``
        for the presence test and ``pin`` for user verification (RFC 8176).
        """
        amr = ["swk" if self.backup_eligible else "hwk", "user"]
        properties = {"phishing_resistant"}
        if user_verified:
            amr.append("pin")
            properties.add("user_verified")
        if not self.backup_eligible:
            properties.add("hardware_bound")
        return tuple(amr), frozenset(properties)

    def otp_proof(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """What the assertion just accepted proved (its UV flag), else what the key can prove."""
        checked = getattr(self, "_otp_checked", None)
        return self.proof_of(checked.user_verified if checked else self.user_verified)

    def normalize_token(self, token: Any) -> Assertion | None:
        """An assertion made with this credential; anything else cannot match."""
        if isinstance(token, Assertion) and token.credential_id == bytes(self.credential_id):
            return token
        return None

    def find_token_match(self, token: Any) -> TokenMatch | None:
        """Check the assertion; consuming it raises the counter unless a parallel one did.

        The counter must grow (or stay 0 where the authenticator keeps none), so of two
        requests with the same counter one takes effect.
        """
        try:
            checked = ceremony.check_assertion(
                token,
                public_key=bytes(self.public_key),
                stored_count=self.sign_count,
                backup_eligible=self.backup_eligible,
            )
        except ceremony.Refused as refusal:
            if refusal.code == "sign_count_regression":
                raise TokenRejected(
                    refusal.code,
                    signal=signals.device_cloned,
                    stored_count=self.sign_count,
                    received_count=token.authenticator.sign_count,
                ) from None
            raise TokenRejected(refusal.code) from None
        self._otp_checked = checked
        changes: dict[str, Any] = {"sign_count": checked.sign_count}
        if checked.backup_state != self.backup_state:
            changes["backup_state"] = checked.backup_state
        if checked.user_verified and not self.user_verified:
            changes["user_verified"] = True
        count = checked.sign_count
        condition = Q(sign_count__lt=count) if count else Q(sign_count=0)
        return TokenMatch(condition=condition, changes=changes)


class WebAuthnUserHandle(models.Model):
    """The user handle of an account in every credential: 64 random bytes, no personal data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="otp_webauthn_handle",
    )
    handle = models.CharField(max_length=2 * USER_HANDLE_BYTES, unique=True, editable=False)

    class Meta:
        verbose_name = _("WebAuthn user handle")
        verbose_name_plural = _("WebAuthn user handles")

    def __str__(self) -> str:
        return f"{self.user_id}"

    @property
    def value(self) -> bytes:
        """The handle as bytes, as credentials carry it."""
        return bytes.fromhex(self.handle)

    @classmethod
    def for_user(cls, user: Any) -> bytes:
        """The user's handle, made on first use (a parallel request's wins)."""
        existing = cls.objects.filter(user=user).values_list("handle", flat=True).first()
        if existing is not None:
            return bytes.fromhex(existing)
        try:
            with transaction.atomic():
                row = cls.objects.create(user=user, handle=secrets.token_hex(USER_HANDLE_BYTES))
        except IntegrityError:
            return bytes.fromhex(cls.objects.get(user=user).handle)
        return row.value

    @classmethod
    def user_of(cls, handle: bytes) -> Any:
        """The user whose handle is ``handle``, or ``None``."""
        row = cls.objects.select_related("user").filter(handle=handle.hex()).first()
        return row.user if row is not None else None
