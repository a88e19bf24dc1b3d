"""Admin classes shared by the device plugins: the common list, and the key/QR code pages.

A plugin's admin subclasses :class:`DeviceAdmin` (list, search and filters on the device's
user) or :class:`SecretKeyDeviceAdmin` (adds the configuration page and QR code of an OATH
device), and only names its own fields and template.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from django_otp.admin import user_model_search_fields
from django_otp.app_settings import app_settings
from django_otp.qr import write_qrcode_image


class DeviceAdmin(admin.ModelAdmin):
    """The list, search and filters every built-in device admin has."""

    User = get_user_model()
    candidate_search_field = [User.USERNAME_FIELD, "email"]
    search_fields, search_help_text = user_model_search_fields(candidate_search_field)
    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    list_filter = ["created_at", "last_used_at", "confirmed"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "last_used_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """The devices with their users, loaded in the same query."""
        return super().get_queryset(request).select_related("user")

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        """Pick the user with a search box where this admin site can search users.

        Otherwise (no searchable user admin on the site) the ``raw_id_fields`` widget that
        django-otp used is kept.
        """
        user_admin = self.admin_site._registry.get(get_user_model())
        return ["user"] if user_admin is not None and user_admin.search_fields else []


class SecretKeyDeviceAdmin(DeviceAdmin):
    """An OATH device admin with a configuration page and a QR code that provisions an app.

    Both show the secret key, so they are refused (403) when ``OTP_ADMIN_HIDE_SENSITIVE_DATA``
    is set and to staff without view or change permission.
    """

    readonly_fields = ["created_at", "last_used_at", "qrcode_link"]
    radio_fields = {"digits": admin.HORIZONTAL}
    #: The subclass's fields after ``key`` in the "Configuration" section.
    configuration_fields: list[str] = []
    #: The subclass's fields in the "State" section.
    state_fields: list[str] = []
    #: The template of the configuration page.
    config_template = ""

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        """The list columns, with the QR code link unless sensitive data is hidden."""
        columns = list(self.list_display)
        if not app_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA:
            columns.append("qrcode_link")
        return columns

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """The form sections; the key and QR code link are left out when hiding secrets."""
        hide = app_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA
        configuration = list(self.configuration_fields)
        if not (hide and obj):
            configuration.insert(0, "key")
        fieldsets: list[Any] = [
            (_("Identity"), {"fields": ["user", "name", "confirmed"]}),
            (_("Timestamps"), {"fields": ["created_at", "last_used_at"]}),
            (_("Configuration"), {"fields": configuration}),
            (_("State"), {"fields": list(self.state_fields)}),
            (
                _("Throttling"),
                {"fields": ["throttling_failure_timestamp", "throttling_failure_count"]},
            ),
        ]
        if obj and not hide:
            fieldsets.append((None, {"fields": ["qrcode_link"]}))
        return fieldsets

    @admin.display(description=_("QR Code"))
    def qrcode_link(self, device: Any) -> str:
        """A link to the device's configuration page on the admin site showing this list."""
        try:
            url = reverse(
                f"{self.admin_site.name}:{self._url_name('config')}", kwargs={"pk": device.pk}
            )
        except NoReverseMatch:
            return ""
        return format_html('<a href="{}">qrcode</a>', url)

    def get_urls(self) -> list[URLPattern]:
        """The configuration and QR code views, ahead of the standard admin URLs."""
        return [
            path(
                "<int:pk>/config/",
                self.admin_site.admin_view(self.config_view),
                name=self._url_name("config"),
            ),
            path(
                "<int:pk>/qrcode/",
                self.admin_site.admin_view(self.qrcode_view),
                name=self._url_name("qrcode"),
            ),
            *super().get_urls(),
        ]

    def _sensitive_device(self, request: HttpRequest, pk: int) -> Any:
        """Load a device for a page that shows its key: 403 if not allowed, 404 if unknown."""
        if app_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA or not self.has_view_or_change_permission(
            request
        ):
            raise PermissionDenied
        device = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_or_change_permission(request, device):
            raise PermissionDenied
        return device

    def config_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        """Show the device's QR code and provisioning URL."""
        device = self._sensitive_device(request, pk)
        request.current_app = self.admin_site.name
        qrcode_url = reverse(
            f"{self.admin_site.name}:{self._url_name('qrcode')}", kwargs={"pk": device.pk}
        )
        context = {
            **self.admin_site.each_context(request),
            "device": device,
            "opts": self.opts,
            "title": _("Configuration"),
            "qrcode_url": qrcode_url,
        }
        return TemplateResponse(request, self.config_template, context)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Return the provisioning QR code as SVG; 503 if no QR code library is installed."""
        device = self._sensitive_device(request, pk)
        response = HttpResponse(content_type="image/svg+xml")
        try:
            write_qrcode_image(device.config_url, response)
        except ModuleNotFoundError:
            return HttpResponse(status=503)
        return response
