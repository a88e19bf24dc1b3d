"""The rows behind remembered browsers, and the instant a user revoked everything.

A browser's cookie holds a selector and a secret; the row keeps the selector and a hash of
the secret, so neither a stolen cookie without the row nor the row without the cookie is
enough. A row is bound to one user, to the device that was proved when it was made, and to
the user's password (``account_hash``). The operations on these rows are in
:mod:`django_otp.flows.remember`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Why a browser was revoked (``revoke_reason``, and the ``reason`` of ``browser_revoked``).
REVOKE_REASONS = {
    "user": _("revoked by its user"),
    "admin": _("revoked by an administrator"),
    "everything": _("revoked with everything else"),
    "device_removed": _("its device was removed or disabled"),
    "password_changed": _("the password changed"),
    "replaced": _("replaced by a newer one"),
}


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
        verbose_name=_("user"),
    )
    selector = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    device_id = models.CharField(
        _("device"),
        max_length=255,
        help_text=_("The persistent id of the device proved when it was remembered."),
    )
    account_hash = models.CharField(max_length=64, editable=False)
    label = models.CharField(_("browser"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("remembered at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True, editable=False)

    objects = RememberedBrowserQuerySet.as_manager()

    class Meta:
        verbose_name = _("remembered browser")
        verbose_name_plural = _("remembered browsers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="otp_remember_user_idx")]

    def __str__(self) -> str:
        return self.label or str(_("unknown browser"))

    @property
    def is_active(self) -> bool:
        """Whether the browser still counts (not revoked, not expired)."""
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def why_revoked(self) -> str:
        """Why the browser was revoked, in words (empty while it is not)."""
        return str(REVOKE_REASONS.get(self.revoke_reason, self.revoke_reason))

    @property
    def status(self) -> str:
        """``"active"``, ``"expired"`` or ``"revoked"``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class AssuranceReset(models.Model):
    """The last time a user revoked everything: proofs made before it no longer count; and
    the last time they signed out everywhere: sessions signed in before it end."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="otp_assurance_reset",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("everything revoked at"))
    signed_out_at = models.DateTimeField(_("signed out everywhere at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assurance reset")
        verbose_name_plural = _("assurance resets")

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"
