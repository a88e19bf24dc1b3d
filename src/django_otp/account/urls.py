"""The URLs of the account pages, part of ``django_otp.urls`` (namespace ``otp``).

Every name is ``security`` or starts with ``security-``, so that a rule can let a user
without a device reach all of them (and nothing else) to enrol one.
"""

from django.urls import path

from django_otp.account import backup_codes, email, passkeys, sessions, totp, views

urlpatterns = [
    path("security/", views.OverviewView.as_view(), name="security"),
    path("security/app/", totp.AddAuthenticatorView.as_view(), name="security-totp"),
    path("security/passkey/", passkeys.AddPasskeyView.as_view(), name="security-passkey"),
    path(
        "security/passkey/added/",
        passkeys.PasskeyAddedView.as_view(),
        name="security-passkey-added",
    ),
    path("security/email/", email.AddEmailView.as_view(), name="security-email"),
    path(
        "security/email/confirm/",
        email.ConfirmEmailView.as_view(),
        name="security-email-confirm",
    ),
    path(
        "security/backup-codes/",
        backup_codes.BackupCodesView.as_view(),
        name="security-backup-codes",
    ),
    path(
        "security/backup-codes/download/",
        backup_codes.DownloadBackupCodesView.as_view(),
        name="security-backup-codes-download",
    ),
    path(
        "security/devices/<str:label>/<int:pk>/rename/",
        views.RenameView.as_view(),
        name="security-rename",
    ),
    path(
        "security/devices/<str:label>/<int:pk>/remove/",
        views.RemoveView.as_view(),
        name="security-remove",
    ),
    path("security/browsers/", sessions.BrowsersView.as_view(), name="security-browsers"),
    path(
        "security/sign-out/",
        sessions.SignOutEverywhereView.as_view(),
        name="security-sign-out",
    ),
]
