"""Admin of the sign-in limits: see who is limited, and reset a limit by deleting its row."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from django_otp.admin import user_model_search_fields
from django_otp.contrib.limits.models import AccountLimit, ClientLimit, EnrolmentGrace

_USER_FIELDS = [get_user_model().USERNAME_FIELD, "email"]


class _ResetOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the limits alone; an administrator only reads or deletes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountLimit)
class AccountLimitAdmin(_ResetOnlyAdmin):
    """Accounts with failed codes; deleting a row unlocks the account."""

    list_display = ["user", "failures", "last_failure_at"]
    list_select_related = ["user"]
    ordering = ["-failures"]
    search_fields, search_help_text = user_model_search_fields(_USER_FIELDS)


@admin.register(ClientLimit)
class ClientLimitAdmin(_ResetOnlyAdmin):
    """Clients with failed attempts; deleting a row lets the client try again."""

    list_display = ["client", "scope", "failures", "window_start"]
    list_filter = ["scope"]
    ordering = ["-window_start"]
    search_fields = ["client"]


@admin.register(EnrolmentGrace)
class EnrolmentGraceAdmin(_ResetOnlyAdmin):
    """When each user's grace period started; deleting a row starts it again."""

    list_display = ["user", "started_at"]
    list_select_related = ["user"]
    search_fields, search_help_text = user_model_search_fields(_USER_FIELDS)
