"""Settings of the account-page benchmark: the test suite's, without the test app, with
remembered browsers.

The test app adds device models of its own, which the overview would list too; without it
the overview sees the plugins a site installs.
"""

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "tests"]  # noqa: F405
OTP_REMEMBER_DAYS = 30
