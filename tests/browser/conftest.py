"""Fixtures of the browser tests: Chromium, a page on the live server, sign-in, WebAuthn.

One Chromium runs while the tests of this package run; each test gets a fresh browser
context (cookies, storage) with one page whose base URL is the live server, and a folder
under ``tests/browser/output/`` for its screenshots. A failed test leaves a screenshot, the
page's HTML and its console there.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from django_otp.models import Device
from tests.browser.sessions import signed_in_session_key
from tests.browser.tools import CHROMIUM, CHROMIUM_ARGS, OUTPUT_DIR, missing
from tests.browser.webauthn import PASSKEY, AuthenticatorOptions, VirtualAuthenticator

#: How long Playwright waits for a page or an element before failing the test.
TIMEOUT_MS = 10_000

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so that fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh temporary profile, for this package's tests.

    Playwright's synchronous API keeps an asyncio loop running in the main thread while it is
    started, and Django refuses database calls where a loop runs; the tests here make such
    calls on purpose, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for exactly that time. The
    package scope stops Playwright before the rest of the suite, whose async tests need the
    thread without a loop.
    """
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} not found; install Debian's package chromium")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def base_url(django_db_setup: None, live_server: LiveServer) -> str:
    """The live server's URL; its host must be ``localhost`` for WebAuthn (see webauthn.py).

    The test database is set up first: a live server started before it would take the
    settings' in-memory name for the database and share one connection among its threads,
    which SQLite does not survive once the name points to the test file.
    """
    assert urlsplit(live_server.url).hostname == "localhost", live_server.url
    return live_server.url


def _output_folder(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    return OUTPUT_DIR / request.node.path.stem / name


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """An empty folder for this test's files: ``output/<module>/<test name>/``."""
    folder = _output_folder(request)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A new browser context (no cookies, no storage) whose relative URLs go to the server."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The test's page; if the test fails, its screenshot, HTML and console are written to
    the test's output folder (files of an earlier run of the test are removed first)."""
    folder = _output_folder(request)
    shutil.rmtree(folder, ignore_errors=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    yield page
    report = request.node.stash.get(_reports, {}).get("call")
    if report is not None and report.failed and not page.is_closed():
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / "failure.png", full_page=True)
        (folder / "failure.html").write_text(page.content(), encoding="utf-8")
        (folder / "console.txt").write_text("\n".join(console) + "\n", encoding="utf-8")


@pytest.fixture
def screenshot(page: Page, output_dir: Path) -> Callable[[str], Path]:
    """``screenshot(name)`` saves the whole page as ``output_dir/NN-name.png``, in order taken."""
    taken = 0

    def take(name: str) -> Path:
        nonlocal taken
        taken += 1
        path = output_dir / f"{taken:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(context: BrowserContext, base_url: str) -> Callable[..., None]:
    """``sign_in(user, device=None)`` gives the context a session of ``user``, OTP-verified
    by ``device`` when one is given, without going through a login page."""

    def sign_in_as(user: Any, device: Device | None = None) -> None:
        key = signed_in_session_key(user, device)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": base_url}])

    return sign_in_as


@pytest.fixture
def cdp(context: BrowserContext, page: Page) -> CDPSession:
    """A DevTools protocol session attached to the test's page."""
    return context.new_cdp_session(page)


@pytest.fixture
def virtual_authenticator(cdp: CDPSession) -> Callable[..., VirtualAuthenticator]:
    """``virtual_authenticator(options=PASSKEY)`` adds a virtual authenticator to the page.

    The ``WebAuthn`` domain is enabled once, without Chromium's dialogs; the authenticators go
    away with the page's context at the end of the test.
    """
    cdp.send("WebAuthn.enable", {"enableUI": False})

    def add(options: AuthenticatorOptions = PASSKEY) -> VirtualAuthenticator:
        return VirtualAuthenticator(cdp, options)

    return add
