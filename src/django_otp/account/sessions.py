"""Remembered browsers (list, forget one, forget all) and "sign out everywhere"."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_otp.account.base import SecurityView
from django_otp.app_settings import app_settings
from django_otp.flows import browsers, manage, remember

__all__ = ["BrowsersView", "SignOutEverywhereView"]


class BrowsersView(SecurityView):
    """The user's remembered browsers, each with "Forget", and "Forget all browsers".

    Forgetting is a change of the account: the page needs the ``recent`` policy, so the
    step-up comes before the buttons, not after a post. 404 where browsers cannot be
    remembered.
    """

    change = manage.BROWSERS
    template_name = "otp/account/browsers.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not remember.enabled():
            raise Http404("Remembered browsers are not enabled.")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def browsers(self) -> list[Any]:
        return browsers.active(self.request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["browsers"] = self.browsers
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "all" in request.POST:
            result = browsers.forget_browsers(request)
            count = result.data.get("count", 0)
            text = ngettext(
                "%(count)d browser was forgotten.", "%(count)d browsers were forgotten.", count
            ) % {"count": count}
            return self.answer(result, text) or self.done()
        chosen = next(
            (b for b in self.browsers if str(b.pk) == request.POST.get("browser", "")), None
        )
        if chosen is None:  # another user's, or forgotten meanwhile
            return self.done(_("That browser is no longer remembered."))
        result = browsers.forget_browser(request, chosen.pk)
        text = _("“%(name)s” was forgotten.") % {"name": chosen}
        return self.answer(result, text) or self.done(_("That browser is no longer remembered."))


class SignOutEverywhereView(SecurityView):
    """Confirm, then sign the user out of every session, this one included.

    It needs what the overview needs (a verified session once the user has a device): it
    only takes access away, and a person who lost their device must be able to do it.
    """

    change = manage.VIEW
    template_name = "otp/account/sign_out.html"
    signed_out_template_name = "otp/account/signed_out.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not browsers.can_sign_out_everywhere():
            raise Http404("Signing out everywhere needs django_otp.contrib.remember.")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result = browsers.sign_out_everywhere(request)
        if not result.ok:
            return self.refused(result) or self.done()
        context = {"login_url": resolve_url(app_settings.OTP_LOGIN_URL)}
        return self.response_class(
            request=request, template=[self.signed_out_template_name], context=context
        )
