"""Backup codes: how many are left, new ones shown once, and a download of them as text."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.functional import cached_property

from django_otp.account.base import SecurityView
from django_otp.flows import manage

__all__ = ["BackupCodesView", "DownloadBackupCodesView"]

#: Salt of the signed value that carries new codes from their page to the download.
SALT = "django_otp.account.backup_codes"
#: Seconds during which the codes' page can download them.
DOWNLOAD_SECONDS = 15 * 60


class BackupCodesView(SecurityView):
    """The codes left; posting generates new ones, replacing them all, and shows them once.

    The new codes are in the answer to that post and nowhere else: the page is not stored
    by the browser or the server, and coming back shows only how many are left.
    """

    change = manage.ADD
    template_name = "otp/account/backup_codes.html"
    new_codes_template_name = "otp/account/backup_codes_new.html"
    #: How many codes to generate.
    count = 10

    @cached_property
    def has_other_factor(self) -> bool:
        """Whether the user has a sign-in method that backup codes can back up."""
        static = "otp_static.staticdevice"
        return any(device._meta.label_lower != static for device in self.devices)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            codes_left=manage.backup_codes_left(self.request.user),
            has_other_factor=self.has_other_factor,
            count=self.count,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result = manage.generate_backup_codes(request, self.count)
        response = self.refused(result)
        if response is not None:
            return response
        if not result.ok:
            return self.get(request, *args, **kwargs)
        codes = result.data["codes"]
        signed = signing.dumps({"user": request.user.pk, "codes": codes}, salt=SALT)
        context = self.get_context_data(codes=codes, signed=signed)
        return self.response_class(
            request=request, template=[self.new_codes_template_name], context=context
        )


class DownloadBackupCodesView(SecurityView):
    """The codes just shown, as a text file; posted from their page, for 15 minutes.

    The signed value of that page is what allows it (it names the user and expires), so
    the session needs no policy beyond being signed in.
    """

    http_method_names = ["post"]
    template_name = "otp/account/backup_codes.txt"

    def refusal(self) -> HttpResponse | None:
        return None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            data = signing.loads(request.POST.get("codes", ""), salt=SALT, max_age=DOWNLOAD_SECONDS)
        except signing.BadSignature:
            return HttpResponseBadRequest("These codes can no longer be downloaded.")
        if not isinstance(data, dict) or data.get("user") != request.user.pk:
            return HttpResponseBadRequest("These codes can no longer be downloaded.")
        text = render_to_string(
            self.template_name,
            {"codes": data.get("codes") or [], "user": request.user, "request": request},
        )
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="backup-codes.txt"'
        return response
