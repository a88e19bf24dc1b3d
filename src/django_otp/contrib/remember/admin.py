"""Admin for remembered browsers (list and revoke; nothing secret shown) and resets (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_otp.admin import user_model_search_fields
from django_otp.contrib.remember.models import AssuranceReset, RememberedBrowser
from django_otp.flows import remember

_SEARCH_FIELDS, _SEARCH_HELP = user_model_search_fields([get_user_model().USERNAME_FIELD, "email"])

#: What the "state" column says.
STATES = {"active": _("active"), "expired": _("expired"), "revoked": _("revoked")}


class StateFilter(admin.SimpleListFilter):
    """Active, expired or revoked browsers."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(STATES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class RememberedBrowserAdmin(admin.ModelAdmin):
    """Browsers that users chose to trust; the "revoke" action ends them at once.

    Rows are made only by "trust this browser", and the selector and hashes are never shown,
    so every field is read-only.
    """

    list_display = ["browser", "user", "created_at", "last_used_at", "expires_at", "state"]
    list_filter = [StateFilter]
    list_select_related = ["user"]
    search_fields = _SEARCH_FIELDS
    search_help_text = _SEARCH_HELP
    date_hierarchy = "created_at"
    readonly_fields = [
        "user",
        "label",
        "device_id",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "why_revoked",
    ]
    actions = ["revoke_selected"]

    @admin.display(description=_("browser"), ordering="label")
    def browser(self, browser: RememberedBrowser) -> str:
        """The label, or "unknown browser"."""
        return str(browser)

    @admin.display(description=_("why revoked"))
    def why_revoked(self, browser: RememberedBrowser) -> str:
        """Who or what revoked the browser."""
        return browser.why_revoked

    @admin.display(description=_("state"))
    def state(self, browser: RememberedBrowser) -> Any:
        """Active, expired or revoked."""
        return STATES[browser.status]

    @admin.action(description=_("Revoke the selected browsers"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Revoke each selected browser still active, as its user could."""
        count = sum(
            remember.revoke(browser.user, browser.pk, reason="admin")
            for browser in queryset.filter(revoked_at__isnull=True).select_related("user")
        )
        message = ngettext("%(count)d browser revoked.", "%(count)d browsers revoked.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AssuranceResetAdmin(admin.ModelAdmin):
    """When each user last revoked everything and signed out everywhere; read-only (a deleted
    reset would revive proofs and sessions)."""

    list_display = ["user", "at", "signed_out_at"]
    list_select_related = ["user"]
    search_fields = _SEARCH_FIELDS
    search_help_text = _SEARCH_HELP

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# A site that registered its own admin for these models keeps it.
if not admin.site.is_registered(RememberedBrowser):
    admin.site.register(RememberedBrowser, RememberedBrowserAdmin)
if not admin.site.is_registered(AssuranceReset):
    admin.site.register(AssuranceReset, AssuranceResetAdmin)
