"""The rows behind remembered browsers, and the instant a user revoked everything.

A browser's cookie holds a selector and a secret; the row keeps the selector and a hash of
the secret, so neither a stolen cookie without the row nor the row without the cookie is
enough. A row is bound to one user and to the device that was proved when it was made.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RememberedBrowserQuerySet(models.QuerySet):
    """Queries over remembered browsers."""

    def active(self) -> RememberedBrowserQuerySet:
        """The browsers that still count: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class RememberedBrowser(models.Model):
    """One browser that its user chose to trust, until ``expires_at`` or revocation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="otp_remembered_browsers",
    )
    selector = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    device_id = models.CharField(
        max_length=255, help_text="The persistent id of the device proved when it was made."
    )
    account_hash = models.CharField(
        max_length=64, editable=False, help_text="Changes when the user's password changes."
    )
    label = models.CharField(max_length=200, blank=True, help_text="Browser and system.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RememberedBrowserQuerySet.as_manager()

    class Meta:
        verbose_name = "remembered browser"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="otp_remember_user_idx")]

    def __str__(self) -> str:
        return self.label or f"browser {self.pk}"

    @property
    def is_active(self) -> bool:
        """Whether the browser still counts (not revoked, not expired)."""
        return self.revoked_at is None and self.expires_at > timezone.now()


class AssuranceReset(models.Model):
    """The last time a user revoked everything: proofs made before it no longer count."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="otp_assurance_reset",
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = "assurance reset"

    def __str__(self) -> str:
        return f"{self.user} at {self.at:%Y-%m-%d %H:%M}"
