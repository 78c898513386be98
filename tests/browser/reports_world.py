"""Düsseldorf's reporting channel for the browser tests, built through the services.

`channel(world)` opens the channel: Düsseldorf's officer with an authenticator app and a key, and
a report with a file, an answer each way, a note and a status change, so that every page has
something on it. Two more officers make the access page show both of its cases: Bea got her key
after the report arrived (she cannot read it, and may be granted access), Cem has no app yet.

`open_report_page(page, base, world, name)` brings a page into the state named in PUBLIC or
OFFICER (signed in, unlocked, a form sent, ...), so that the accessibility and phone-width checks
can list the pages by name."""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyotp
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from mitmachen.core import mfa
from mitmachen.core import services as core
from mitmachen.core.models import TotpDevice
from mitmachen.core.roles import Role
from mitmachen.reports import access, services
from mitmachen.reports.models import Category, EntryKind, Report, Status, Wish
from tests.browser.conftest import PHONE, login_with_session
from tests.browser.events_world import de
from tests.conftest import PASSWORD
from tests.reports.conftest import KNOWN_TEXT, PASSPHRASE, PDF, code_for, make_officer, pdf

SLUG = "duesseldorf"
OFFICER = "duesseldorf_officer"
OFFICER_ANSWER = "Danke für deine Meldung. Magst du uns sagen, wann wir dich erreichen können?"
REPORTER_ANSWER = "Abends ab 19 Uhr, am liebsten hier über die Seite."
PDF_NAME = "beleg.pdf"

PUBLIC_PAGES = ["form", "form-sent-empty", "receipt", "follow-up", "follow-up-wrong",
                "conversation"]
OFFICER_PAGES = ["inbox", "detail", "unlock", "setup", "access", "settings", "statistics",
                 "passphrase", "mfa-setup", "mfa-setup-new-app", "login-code"]


@dataclass
class Channel:
    officer: object
    private_key: bytes
    report: Report | None
    receipt: str
    bea: object
    cem: object


def channel(world, *, report: bool = True) -> Channel:
    """Open Düsseldorf's channel; with `report`, one report with a whole case around it."""
    # The rate limits and the two-factor throttle count in the cache, which outlives a
    # transactional test's flush: each test starts with nothing counted.
    cache.clear()
    officer = world.users[OFFICER]
    private_key = make_officer(officer)
    found = receipt = None
    if report:
        found, receipt = services.report_submit(
            organisation=world.duesseldorf, what=KNOWN_TEXT, when="letzten Samstag",
            where="Rheinufer", wish=Wish.MEDIATION, category=Category.SEXISM, files=[pdf()])
        services.officer_reply(report=found, officer=officer, private_key=private_key,
                               text=OFFICER_ANSWER)
        _report, report_key = services.reporter_open(organisation=world.duesseldorf,
                                                     receipt=receipt)
        services.reporter_reply(report=found, report_key=report_key, text=REPORTER_ANSWER)
        services.entry_add(report=found, officer=officer, private_key=private_key,
                           kind=EntryKind.NOTE, text="Rückruf vereinbart.")
        services.report_update(report=found, officer=officer, private_key=private_key,
                               status=Status.IN_PROGRESS, reason="Gespräch läuft")
        found.refresh_from_db()
    # Bea's key is younger than the report: she cannot read it until she is granted access.
    bea = core.user_create(email="bea@example.org", name="Bea Beauftragte", password=PASSWORD)
    core.role_grant(user=bea, organisation=world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    make_officer(bea)
    cem = core.user_create(email="cem@example.org", name="Cem Beauftragter", password=PASSWORD)
    core.role_grant(user=cem, organisation=world.duesseldorf,
                    role=Role.ANTIDISCRIMINATION_OFFICER, actor=None)
    return Channel(officer, private_key, found, receipt, bea, cem)


def next_code(user) -> str:
    """The code of the next 30-second step: valid now (one step of drift is allowed) and newer
    than any code used so far, since a code is accepted only once."""
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time() + 30)


def current_code(user) -> str:
    """The code the app shows now (the login's code step takes it)."""
    return pyotp.TOTP(TotpDevice.objects.get(user=user).secret).now()


def officer_session(context, base: str, user, *, unlocked: bool = True) -> None:
    """Hand the browser a session with a code entered and, with `unlocked`, the key unlocked:
    the session cookie and the key's cookie (path /staff/), as the unlock page sets them."""
    if not unlocked:
        client = Client()
        client.force_login(user)
        session = client.session
        session[mfa.SESSION_VERIFIED] = time.time()
        session.save()
        _copy_cookies(context, base, client)
        return
    client = Client()
    client.force_login(user)
    response = client.post(reverse("reports:unlock", args=[SLUG]),
                           {"passphrase": PASSPHRASE, "code": code_for(user)})
    assert response.status_code == 302, response.content[:2000]
    _copy_cookies(context, base, client)


def _copy_cookies(context, base: str, client: Client) -> None:
    host = urlsplit(base).hostname
    context.add_cookies([{
        "name": cookie.key, "value": cookie.value, "domain": host,
        "path": cookie["path"] or "/", "httpOnly": True,
        "sameSite": "Strict" if cookie.key == access.COOKIE else "Lax",
    } for cookie in client.cookies.values() if cookie.value])


def send_report(page, *, what: str = KNOWN_TEXT, wish: str = "Mediation",
                category: str = Category.RACISM, with_file: bool = True) -> str:
    """Fill in and send the public form (already open at `page`); → the receipt shown."""
    form = page.locator("main form[enctype='multipart/form-data']")
    form.locator("textarea[name=what]").fill(what)
    form.locator("input[name=when]").fill("letzten Samstag")
    form.locator("input[name=where]").fill("Rheinufer")
    form.get_by_role("radio", name=de(wish), exact=True).check()
    form.locator("select[name=category]").select_option(category)
    if with_file:
        form.locator("input[name=files]").set_input_files(
            {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF})
    form.get_by_role("button", name=de("Send report")).click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    return receipt.inner_text().strip()


def open_follow_up(page, base: str, receipt: str) -> None:
    """The follow-up page, with `receipt` entered: the conversation, or the error for it."""
    page.goto(f"{base}/report/{SLUG}/follow-up/")
    page.locator("input[name=receipt]").fill(receipt)
    page.get_by_role("button", name=de("Open my report")).click()


def open_report_page(page, base: str, world, name: str) -> None:
    """Open the page `name` (one of PUBLIC_PAGES or OFFICER_PAGES) with its content; the page is
    loaded when this returns."""
    context = page.context
    ready = channel(world)
    officer = ready.officer
    staff = f"{base}/staff/{SLUG}/reports"
    if name == "form":
        _goto(page, f"{base}/report/{SLUG}/")
    elif name == "form-sent-empty":
        _goto(page, f"{base}/report/{SLUG}/")
        page.get_by_role("button", name=de("Send report")).click()
        expect(page.get_by_role("alert").first).to_be_visible()
    elif name == "receipt":
        _goto(page, f"{base}/report/{SLUG}/")
        send_report(page)
    elif name == "follow-up":
        _goto(page, f"{base}/report/{SLUG}/follow-up/")
    elif name == "follow-up-wrong":
        open_follow_up(page, base, "AAAA-BBBB-CCCC-DDDD-EEEE")
        expect(page.get_by_role("alert").first).to_be_visible()
    elif name == "conversation":
        open_follow_up(page, base, ready.receipt)
        expect(page.locator("main")).to_contain_text(OFFICER_ANSWER)
    elif name == "unlock":
        officer_session(context, base, officer, unlocked=False)
        _goto(page, f"{staff}/unlock/")
    elif name == "login-code":
        page.goto(f"{base}/accounts/login/")
        page.locator("input[name=username]").fill(officer.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{base}/accounts/login/code/")
    elif name == "mfa-setup":
        # Cem: an officer without an app, told that his role needs one.
        login_with_session(context, base, ready.cem)
        _goto(page, f"{base}/accounts/two-factor/")
    elif name == "mfa-setup-new-app":
        # The officer replaces his app: the QR code, the key to type, and the removal form.
        mfa.totp_begin(user=officer)
        officer_session(context, base, officer, unlocked=False)
        _goto(page, f"{base}/accounts/two-factor/")
        expect(page.locator(".mfa-qr svg")).to_be_visible()
    else:
        officer_session(context, base, officer)
        path = {"inbox": "/", "detail": f"/{ready.report.number}/", "setup": "/setup/",
                "access": "/access/", "settings": "/settings/", "statistics": "/statistics/",
                "passphrase": "/passphrase/"}[name]
        _goto(page, f"{staff}{path}")


def fits_phone(page, when: str) -> None:
    """The page is no wider than a 360 px phone; otherwise say which elements stick out."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], (
        f"{page.url} ({when}) scrolls sideways: {width}px wide; too wide: "
        + ", ".join(page.evaluate(TOO_WIDE, PHONE["width"])))


# The innermost elements reaching past the right edge, to say what makes a page too wide.
TOO_WIDE = """limit => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > limit
               && !Array.from(e.children).some(c => c.getBoundingClientRect().right > limit))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
            + (e.getAttribute("class") ? "." + e.getAttribute("class") : "")
            + ` (${Math.round(e.getBoundingClientRect().right)}px)`)"""


def _goto(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url} answered {response.status}"
    assert page.url == url, f"{url} redirected to {page.url}"
