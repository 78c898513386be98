"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against a live server.

While Playwright's sync API is started, the test thread counts as running an asyncio event loop,
so Django's "async unsafe" guard refuses every ORM call made from fixtures and tests.
``DJANGO_ALLOW_ASYNC_UNSAFE`` switches that guard off, for exactly as long as Playwright runs.

That is why ``browser`` lives for the tests of this package and not for the whole session: one
Chromium serves all browser tests, and it is stopped (and the variable removed) before pytest
goes on to other packages. A session-long browser would leave the flag set for every later test
and for the processes they start, and ``manage.py check --deploy`` fails on it (async.E001).
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import CI, PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000

GROUP_NAME = "Offenes Plenum Kassel"
GROUP_RHYTHM = "alle 2 Monate"
EVENT_TITLE = "Mitgliederversammlung Frühjahr"


def _chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="package")
def browser():
    executable = _chromium_path()
    if executable is None:
        message = "Chromium is not installed (/usr/bin/chromium); apt-get install chromium"
        if CI:
            pytest.fail(message)
        pytest.skip(message)

    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser):
    """new_context(viewport=PHONE) → a fresh browser context (German locale), closed afterwards."""
    contexts = []

    def _new(viewport: dict | None = None, **kwargs):
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="de-DE", timezone_id="Europe/Berlin", **kwargs
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    context = new_context()
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def kassel_content(world):
    """Give Kassel a public group and an upcoming public event for its Mitmachen page."""
    from mitmachen.events.models import Event
    from mitmachen.events.services import event_create
    from mitmachen.groups.models import Group
    from mitmachen.groups.services import group_create

    group = group_create(organisation=world.kassel, name=GROUP_NAME, kind=Group.Kind.PLENUM,
                         actor=None, rhythm=GROUP_RHYTHM,
                         audience=Group.Audience.MEMBERS_AND_INTERESTED)
    starts_at = (timezone.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0,
                                                               microsecond=0)
    event = event_create(organisation=world.kassel, title=EVENT_TITLE, kind=Event.Kind.ASSEMBLY,
                         starts_at=starts_at, actor=None, place=world.kassel_office)
    return group, event


def login_with_form(page, base_url: str, persona: str):
    """Log in through the real login form and wait for the dashboard."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=username]").fill(f"{persona}@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/dashboard/")


def login_with_session(context, base_url: str, user):
    """Log in by handing the browser the session cookie of Client.force_login()."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": cookie.value,
        "url": base_url,
        "httpOnly": True,
        "sameSite": "Lax",
    }])
