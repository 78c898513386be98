"""Real browser journeys: log in and out, read a Mitmachen page in two languages, use a phone,
use the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import assemblies_world, events_world
from tests.browser.conftest import (
    EVENT_TITLE,
    GROUP_NAME,
    GROUP_RHYTHM,
    PHONE,
    login_with_form,
    login_with_session,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_login_dashboard_logout(transactional_db, live_server, world, page):
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("link", name="Anmelden").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    page.get_by_label("E-Mail-Adresse").fill("kassel_board@example.org")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()

    expect(page).to_have_url(f"{base}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hallo kassel board")
    expect(page.locator("main .card h2")).to_have_text(["Kassel"])
    expect(page.locator("header.site")).to_contain_text("kassel board")

    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)
    # The session is gone: the dashboard sends us back to the login page.
    page.goto(f"{base}/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/dashboard/$"))


def test_mitmachen_page_in_german_and_english(
    transactional_db, live_server, world, kassel_content, page
):
    base = live_server.url
    page.goto(f"{base}/o/kassel/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kassel")
    expect(page.get_by_role("heading", level=2, name="Wer wir sind")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Formate und Gruppen")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Nächste Treffen")).to_be_visible()
    expect(page.get_by_text("Wir sind die Kasseler.")).to_be_visible()

    groups = page.get_by_role("region", name="Formate und Gruppen")
    expect(groups.get_by_role("heading", name=GROUP_NAME)).to_be_visible()
    expect(groups).to_contain_text(GROUP_RHYTHM)
    events = page.get_by_role("region", name="Nächste Treffen")
    expect(events.get_by_role("heading", name=EVENT_TITLE)).to_be_visible()
    expect(events).to_contain_text("Parteibüro")
    expect(page.get_by_role("link", name="vorstand@kassel.example.org")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{base}/o/kassel/")
    expect(page.get_by_role("heading", level=2, name="Who we are")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Next meetings")).to_be_visible()
    expect(page.get_by_role("heading", name=GROUP_NAME)).to_be_visible()
    expect(page.get_by_role("heading", name=EVENT_TITLE)).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_count(0)

    # The choice sticks for the next page.
    page.reload()
    expect(html).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Deutsch").click()
    expect(html).to_have_attribute("lang", "de")
    expect(page).to_have_url(f"{base}/o/kassel/")
    expect(page.get_by_role("heading", level=2, name="Wer wir sind")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Nächste Treffen")).to_be_visible()


def test_wrong_password_shows_error_and_stays(transactional_db, live_server, world, page):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill("kassel_board@example.org")
    page.locator("input[name=password]").fill("not the password at all")
    page.locator("main form button[type=submit]").click()

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("E-Mail-Adresse")
    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    # The e-mail address is kept, the password is not.
    expect(page.locator("input[name=username]")).to_have_value("kassel_board@example.org")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_phone_viewport(transactional_db, live_server, world, kassel_content, new_context):
    base = live_server.url
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

    page.goto(f"{base}/o/kassel/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kassel")
    expect(page.get_by_role("heading", name=EVENT_TITLE)).to_be_visible()
    width = _scroll_width(page)
    assert width <= PHONE["width"], f"/o/kassel/ scrolls sideways on a phone: {width}px wide"

    page.goto(f"{base}/accounts/login/")
    width = _scroll_width(page)
    assert width <= PHONE["width"], f"/accounts/login/ scrolls sideways on a phone: {width}px"
    login_with_form(page, base, "kassel_board")
    expect(page.locator("main .card h2")).to_have_text(["Kassel"])


def test_keyboard_skip_link(transactional_db, live_server, world, page):
    page.goto(f"{live_server.url}/o/kassel/")
    skip = page.get_by_role("link", name="Zum Inhalt springen")

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, (
        f"the focused skip link is not on screen: {box}")

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/o/kassel/#main$"))
    expect(page.locator("#main")).to_be_focused()


STAFF_PAGES = ["/dashboard/", "/staff/kassel/profile/", "/staff/kassel/places/",
               "/staff/kassel/places/new/", "/staff/kassel/team/", "/staff/kassel/audit/",
               "/accounts/tokens/", "/staff/kassel/contacts/", "/staff/kassel/contacts/import/"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_fit_a_phone(transactional_db, live_server, world, new_context, path):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    login_with_session(context, live_server.url, world.users["kassel_admin"])
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    width = _scroll_width(page)
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone: {width}px wide"


# Events pages with content: an online event, a full event, series, people in every state.
@pytest.mark.parametrize("name", [*events_world.PUBLIC, *events_world.MEMBER,
                                  *events_world.STAFF])
def test_events_pages_fit_a_phone(transactional_db, live_server, world, new_context, name):
    path = events_world.event_pages(world)[name]
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    if name in events_world.STAFF:
        login_with_session(context, live_server.url, world.users["kassel_board"])
    elif name in events_world.MEMBER:
        login_with_session(context, live_server.url, world.users["duesseldorf_member"])
    page = context.new_page()
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == (404 if name == "personal-invalid" else 200), path
    assert page.url == f"{live_server.url}{path}", f"{path} redirected to {page.url}"
    width = _scroll_width(page)
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone: {width}px wide"


# Assemblies with content: the staff pages and the participants' phones (360 px).
@pytest.mark.parametrize("name", [*assemblies_world.STAFF, *assemblies_world.PHONE])
def test_assemblies_pages_fit_a_phone(transactional_db, live_server, world, new_context, name):
    path = assemblies_world.assembly_pages(world)[name]
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    assemblies_world.without_stream(context)
    if name in assemblies_world.STAFF:
        login_with_session(context, live_server.url, world.users["kassel_board"])
    page = context.new_page()
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == (404 if name == "phone-invalid" else 200), path
    assert page.url == f"{live_server.url}{path}", f"{path} redirected to {page.url}"
    if name == "phone":  # the phone's voting panel loads after the page
        expect(page.locator("#voting-panel")).to_be_attached()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone: {width}px wide"
