"""Abstract device models and the mixins that plugins combine into concrete devices.

Field definitions here are a compatibility contract: third-party migrations encode them, so
they match django-otp 1.7.5 exactly. Behaviour beyond that contract (atomic consumption,
strict input, audit signals) lives in :mod:`django_otp.verification`, which
:meth:`Device.verify_token` delegates to.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_otp import tokens, verification
from django_otp.internal.db import select_for_verify
from django_otp.util import random_number_token
from django_otp.verification import TokenMatch

#: The longest throttling delay, in seconds (36500 days).
MAX_THROTTLE_DELAY_SECONDS = datetime.timedelta(days=36500).total_seconds()


class DeviceManager(models.Manager):
    """The default manager of every device model."""

    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> models.QuerySet:
        """Return this model's devices of ``user``, optionally filtered on ``confirmed``."""
        devices = self.filter(user=user)
        if confirmed is not None:
            devices = devices.filter(confirmed=bool(confirmed))
        return devices


def _set_fields(instance: models.Model, commit: bool, **values: Any) -> None:
    """Assign ``values``; when ``commit``, save them, and only them once the row exists.

    The helpers below change one or two fields of a device that the caller may have loaded
    long ago; a full save would write back its other, stale values (an old ``last_t`` or
    ``counter``, say) and undo what verification recorded meanwhile.
    """
    for name, value in values.items():
        setattr(instance, name, value)
    if not commit:
        return
    if instance._state.adding or instance.pk is None:
        instance.save()
    else:
        instance.save(update_fields=list(values))


def _wait_ends(since: datetime.datetime | None, seconds: float) -> datetime.datetime | None:
    """The end of a wait of ``seconds`` that began at ``since``, while it is still running."""
    if since is None or seconds <= 0:
        return None
    if (timezone.now() - since).total_seconds() < seconds:
        return since + datetime.timedelta(seconds=seconds)
    return None


def parse_persistent_id(persistent_id: Any) -> tuple[type[Device], int] | None:
    """Split ``"<app_label>.<model_name>/<id>"`` into a device model and an id, or ``None``."""
    if not isinstance(persistent_id, str):
        return None
    try:
        label, _, raw_id = persistent_id.rpartition("/")
        app_label, model_name = label.split(".")
        model = apps.get_model(app_label, model_name)
        device_id = int(raw_id)
    except (ValueError, LookupError):
        return None
    if not issubclass(model, Device) or not -(2**63) <= device_id < 2**63:
        return None
    return model, device_id


class Device(models.Model):
    """Abstract base of every device: a user's means of proving a second factor."""

    user = models.ForeignKey(
        getattr(settings, "AUTH_USER_MODEL", "auth.User"),
        help_text="The user that this device belongs to.",
        on_delete=models.CASCADE,
    )
    name = models.CharField(max_length=64, help_text="The human-readable name of this device.")
    confirmed = models.BooleanField(default=True, help_text="Is this device ready for use?")

    objects = DeviceManager()

    #: The name of this device type in policies (``"totp"``, ...); ``None``: its app label.
    otp_method: str | None = None
    #: The RFC 8176 ``amr`` values that a verification with this device proves.
    otp_amr: tuple[str, ...] = ("otp",)
    #: What such a verification proves besides: any of ``phishing_resistant``,
    #: ``hardware_bound``, ``user_verified``, ``out_of_band`` and ``recovery``.
    otp_properties: frozenset[str] = frozenset()
    #: A template that proves devices of this type in the browser (a passkey ceremony), for
    #: pages such as the step-up page; ``None``: the device takes a typed code.
    otp_ceremony_template: str | None = None

    class Meta:
        abstract = True

    def __str__(self) -> str:
        try:
            user = self.user
        except ObjectDoesNotExist:
            user = None
        return f"{self.name} ({user})"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)
        # Remembered so that a change to confirmed can be announced (django_otp.lifecycle).
        instance._confirmed_in_db = instance.__dict__.get("confirmed")  # type: ignore[attr-defined]
        return instance

    @property
    def persistent_id(self) -> str:
        """A string that identifies this device across requests: ``"<label>/<id>"``."""
        return f"{self.model_label()}/{self.id}"  # type: ignore[attr-defined]

    @classmethod
    def model_label(cls) -> str:
        """Return ``"<app_label>.<model_name>"`` for this model."""
        return f"{cls._meta.app_label}.{cls._meta.model_name}"

    @classmethod
    def from_persistent_id(cls, persistent_id: str, for_verify: bool = False) -> Device | None:
        """Load any device from its persistent id; ``None`` for anything unknown or malformed."""
        parsed = parse_persistent_id(persistent_id)
        if parsed is None:
            return None
        model, device_id = parsed
        devices = model._default_manager.filter(id=device_id)  # type: ignore[misc]
        if for_verify:
            devices = select_for_verify(devices)
        return devices.first()

    @classmethod
    async def afrom_persistent_id(
        cls, persistent_id: str, for_verify: bool = False
    ) -> Device | None:
        """Async variant of :meth:`from_persistent_id`."""
        parsed = parse_persistent_id(persistent_id)
        if parsed is None:
            return None
        model, device_id = parsed
        devices = model._default_manager.filter(id=device_id)  # type: ignore[misc]
        if for_verify:
            devices = select_for_verify(devices)
        return await devices.afirst()

    def otp_proof(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """The ``amr`` values and properties of the verification that just succeeded.

        Read by :mod:`django_otp.assurance` to record the proof; a device type whose proof
        depends on the credential or on the ceremony (passkeys) overrides it.
        """
        return self.otp_amr, self.otp_properties

    def is_interactive(self) -> bool:
        """True if this device type sends a challenge (overrides :meth:`generate_challenge`)."""
        return type(self).generate_challenge is not Device.generate_challenge

    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Whether a challenge may be generated now: ``(True, None)`` or ``(False, data)``."""
        return True, None

    def generate_challenge(self) -> str | None:
        """Send or prepare a challenge; return a short message, or ``None`` if not interactive."""
        return None

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Whether a token may be verified now: ``(True, None)`` or ``(False, data)``."""
        return True, None

    def verify_token(self, token: Any) -> bool:
        """Return ``True`` if ``token`` is accepted; an accepted token is never accepted again.

        Built-in devices run the shared verification path; a plugin gets it by implementing
        :meth:`find_token_match` (and, if needed, :meth:`normalize_token`).
        """
        if type(self).find_token_match is Device.find_token_match:
            return False
        return verification.verify(self, token)

    # Hooks of the shared verification path.

    def normalize_token(self, token: Any) -> Any:
        """Return ``token`` in canonical form, or ``None`` if it cannot be a valid token.

        The default accepts decimal digits, up to ``self.digits`` (or 16) of them; a device
        whose token is not a code (a passkey's signed assertion) returns its own object.
        """
        return tokens.normalize_digits(token, int(getattr(self, "digits", 16) or 16))

    def find_token_match(self, token: Any) -> TokenMatch | None:
        """Return how to consume ``token`` if it is valid now, else ``None``; never writes.

        A device may raise :class:`~django_otp.verification.TokenRejected` instead of
        returning ``None`` to give the failure a precise reason.
        """
        return None

    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]:
        """Field values written, with the consumption, when a token is accepted."""
        return {}


class SideChannelDevice(Device):
    """Abstract base for devices that deliver a random numeric token out of band."""

    token = models.CharField(max_length=16, blank=True, null=True)
    valid_until = models.DateTimeField(
        default=timezone.now,
        help_text="The timestamp of the moment of expiry of the saved token.",
    )

    class Meta:
        abstract = True

    def generate_token(self, length: int = 6, valid_secs: int = 300, commit: bool = True) -> None:
        """Store a new random token of ``length`` digits, valid for ``valid_secs`` seconds."""
        valid_until = timezone.now() + datetime.timedelta(seconds=valid_secs)
        _set_fields(self, commit, token=random_number_token(length), valid_until=valid_until)

    def normalize_token(self, token: Any) -> str | None:
        """Side-channel tokens are digit strings; an ``int`` never matched in django-otp."""
        if not isinstance(token, str):
            return None
        return tokens.normalize_digits(token, 16)

    def verify_token(self, token: Any) -> bool:
        """Accept the stored token once while it is valid.

        A subclass that overrides this method and calls it (as plugins written for django-otp
        do) checks and counts throttling itself, so then nothing is counted here; otherwise
        the whole shared path runs, throttling included.
        """
        inherited = type(self).verify_token in _SHARED_PATH_VERIFY_TOKENS
        return verification.verify(self, token, throttle=inherited)

    def find_token_match(self, token: str) -> TokenMatch | None:
        """Match the stored token while it is valid; consuming it clears it."""
        stored = self.token
        if stored is None or not constant_time_compare(token, stored):
            return None
        now = timezone.now()
        if not now < self.valid_until:
            return None
        return TokenMatch(condition=Q(token=stored, valid_until__gt=now))

    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]:
        changes = super().verification_success_changes(now)
        changes.update(token=None, valid_until=now)
        return changes


class GenerateNotAllowed(Enum):
    """Reasons why :meth:`Device.generate_is_allowed` refuses."""

    COOLDOWN_DURATION_PENDING = "COOLDOWN_DURATION_PENDING"


class VerifyNotAllowed(Enum):
    """Reasons why :meth:`Device.verify_is_allowed` refuses."""

    N_FAILED_ATTEMPTS = "N_FAILED_ATTEMPTS"


class CooldownMixin(models.Model):
    """Limits how often a challenge can be generated."""

    last_generated_timestamp = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The last time a token was generated for this device.",
    )

    class Meta:
        abstract = True

    def get_cooldown_duration(self) -> int:
        """Seconds to wait between two generations; 0 disables the cooldown."""
        raise NotImplementedError()

    @property
    def cooldown_enabled(self) -> bool:
        """True if the cooldown duration is positive (read from settings on every access)."""
        return self.get_cooldown_duration() > 0

    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Refuse while the cooldown that started at the last generation is pending."""
        ends = _wait_ends(self.last_generated_timestamp, self.get_cooldown_duration())
        if ends is not None:
            return False, {
                "reason": GenerateNotAllowed.COOLDOWN_DURATION_PENDING,
                "next_generation_at": ends,
            }
        return super().generate_is_allowed()  # type: ignore[misc]

    def cooldown_set(self, commit: bool = True) -> None:
        """Start the cooldown now."""
        _set_fields(self, commit, last_generated_timestamp=timezone.now())

    def cooldown_reset(self, commit: bool = True) -> None:
        """End the cooldown."""
        _set_fields(self, commit, last_generated_timestamp=None)

    def verify_token(self, token: Any) -> bool:
        """Verify as the next class does; a success also ends the cooldown, in the same write."""
        return super().verify_token(token)  # type: ignore[misc]

    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]:
        changes = super().verification_success_changes(now)  # type: ignore[misc]
        changes["last_generated_timestamp"] = None
        return changes


class ThrottlingMixin(models.Model):
    """Exponential back-off after failed verifications: delays of c, 2c, 4c, ... seconds."""

    throttling_failure_timestamp = models.DateTimeField(
        null=True,
        blank=True,
        default=None,
        help_text=(
            "A timestamp of the last failed verification attempt. Null if last attempt succeeded."
        ),
    )
    throttling_failure_count = models.PositiveIntegerField(
        default=0, help_text="Number of successive failed attempts."
    )

    class Meta:
        abstract = True

    def get_throttle_factor(self) -> float:
        """The base delay ``c`` in seconds; 0 disables throttling."""
        raise NotImplementedError()

    @property
    def throttling_enabled(self) -> bool:
        """True if the throttle factor is positive (read from settings on every access)."""
        return self.get_throttle_factor() > 0

    def throttle_delay(self, failure_count: int) -> float:
        """Seconds to wait after ``failure_count`` consecutive failures, capped."""
        factor = float(self.get_throttle_factor())
        if failure_count <= 0 or factor <= 0:
            return 0.0
        exponent = min(failure_count - 1, 128)
        return min(factor * 2.0**exponent, MAX_THROTTLE_DELAY_SECONDS)

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Refuse until the delay for the current failure count has passed."""
        count = self.throttling_failure_count
        if count > 0:
            ends = _wait_ends(self.throttling_failure_timestamp, self.throttle_delay(count))
            if ends is not None:
                return False, {
                    "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                    "failure_count": count,
                    "locked_until": ends,
                }
        return super().verify_is_allowed()  # type: ignore[misc]

    def throttle_increment(self, commit: bool = True) -> None:
        """Record one more failure now."""
        _set_fields(
            self,
            commit,
            throttling_failure_timestamp=timezone.now(),
            throttling_failure_count=self.throttling_failure_count + 1,
        )

    def throttle_reset(self, commit: bool = True) -> None:
        """Forget past failures."""
        _set_fields(self, commit, throttling_failure_timestamp=None, throttling_failure_count=0)

    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]:
        changes = super().verification_success_changes(now)  # type: ignore[misc]
        changes.update(throttling_failure_count=0, throttling_failure_timestamp=None)
        return changes


class TimestampMixin(models.Model):
    """Records when a device was created and last used."""

    created_at = models.DateTimeField(
        null=True,
        blank=True,
        auto_now_add=True,
        help_text="The date and time when this device was initially created in the system.",
    )
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The most recent date and time this device was used.",
    )

    class Meta:
        abstract = True

    def set_last_used_timestamp(self, commit: bool = True) -> None:
        """Set ``last_used_at`` to now; save it when ``commit``."""
        _set_fields(self, commit, last_used_at=timezone.now())

    def verification_success_changes(self, now: datetime.datetime) -> dict[str, Any]:
        changes = super().verification_success_changes(now)  # type: ignore[misc]
        changes["last_used_at"] = now
        return changes


#: ``verify_token`` implementations of this module that run the whole shared path.
_SHARED_PATH_VERIFY_TOKENS = (SideChannelDevice.verify_token, CooldownMixin.verify_token)

__all__ = [
    "MAX_THROTTLE_DELAY_SECONDS",
    "CooldownMixin",
    "Device",
    "DeviceManager",
    "GenerateNotAllowed",
    "SideChannelDevice",
    "ThrottlingMixin",
    "TimestampMixin",
    "VerifyNotAllowed",
]
