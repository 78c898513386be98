"""Events in a real browser: a visitor on a phone registers for an online event, a second one
moves up from the waiting list when the first cancels; an organiser creates an event,
registers a caller and checks people in on the day."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from mitmachen.events.models import Event, Registration
from tests.browser.conftest import PHONE, login_with_session
from tests.browser.events_world import (
    MEETING_URL,
    ONLINE_TITLE,
    ONSITE_TITLE,
    PASSCODE,
    de,
    online_event,
    onsite_event,
)

pytestmark = pytest.mark.browser

PERSONAL = re.compile(r"/r/\d+-[0-9a-f]+/$")


class Pages:
    """A visitor's tab: `look()` after each step checks the page as it is now (its HTML
    holds no online access data, it fits the phone); `done()` checks nothing was skipped."""

    def __init__(self, page):
        self.page = page
        self.visited: set[str] = set()
        self.checked: set[str] = set()
        # Handlers run late (at the next call into Playwright): they only note addresses.
        page.on("response", self._note)

    def _note(self, response):
        if response.request.resource_type == "document" and not 300 <= response.status < 400:
            self.visited.add(response.url)

    def look(self):
        self.page.wait_for_load_state()
        html = self.page.content()
        for secret in (PASSCODE, MEETING_URL):
            assert secret not in html, f"online access data on {self.page.url}"
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{self.page.url} scrolls sideways: {width}px wide"
        self.checked.add(self.page.url)

    def done(self):
        self.look()
        assert self.visited, "no page was seen"
        assert self.visited <= self.checked, f"not checked: {self.visited - self.checked}"


def _phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def _status(page):
    return page.locator("section[aria-labelledby=status]")


def _register_by_keyboard(page, first, last, email):
    """Fill the registration form with the keyboard only: type, Tab, Space, Enter."""
    page.locator("input[name=first_name]").focus()
    page.keyboard.type(first)
    page.keyboard.press("Tab")
    expect(page.locator("input[name=last_name]")).to_be_focused()
    page.keyboard.type(last)
    page.keyboard.press("Tab")
    expect(page.locator("input[name=email]")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.locator("input[name=phone]")).to_be_focused()
    page.keyboard.press("Tab")
    privacy = page.locator("input[name=privacy]")
    expect(privacy).to_be_focused()
    page.keyboard.press("Space")
    expect(privacy).to_be_checked()
    page.keyboard.press("Tab")  # the honeypot is out of the tab order
    submit = page.locator("main form[method=post] button[type=submit]")
    expect(submit).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_visitor_registers_on_a_phone_and_the_next_one_moves_up(
    transactional_db, live_server, world, new_context
):
    base = live_server.url
    event = online_event(world, capacity=1)
    onsite_event(world)
    register_path = f"/o/kassel/events/{event.pk}/register/"

    # The first visitor finds the online event through the calendar's filter.
    first = _phone(new_context)
    pages = Pages(first)
    first.goto(f"{base}/events/")
    expect(first.get_by_role("heading", level=1)).to_have_text(de("Events"))
    listing = first.locator("ol.events")
    expect(listing.get_by_role("link", name=ONSITE_TITLE)).to_be_visible()
    pages.look()
    first.locator("select[name=where]").select_option("online")
    with first.expect_navigation():
        first.get_by_role("search").get_by_role("button").click()
    expect(first).to_have_url(re.compile(r"[?&]where=online(&|$)"))
    expect(listing.get_by_role("link", name=ONSITE_TITLE)).to_have_count(0)
    expect(first.locator("select[name=where]")).to_have_value("online")
    pages.look()
    listing.get_by_role("link", name=ONLINE_TITLE).click()

    expect(first.get_by_role("heading", level=1)).to_have_text(ONLINE_TITLE)
    expect(first.locator("main")).to_contain_text(
        de("The access data will be sent after registration."))
    pages.look()
    register = first.get_by_role("link", name=de("Register now"))
    expect(register).to_have_attribute("href", register_path)
    register.click()

    expect(first).to_have_url(f"{base}{register_path}")
    pages.look()
    _register_by_keyboard(first, "Frieda", "Erst", "frieda@example.org")
    expect(first).to_have_url(PERSONAL)
    expect(_status(first)).to_contain_text(de("Your registration is confirmed."))
    pages.look()
    frieda = Registration.objects.get(event=event, email="frieda@example.org")
    assert frieda.status == Registration.Status.CONFIRMED
    assert frieda.first_name == "Frieda" and frieda.last_name == "Erst" and frieda.phone == ""
    frieda_page = first.url

    # The only seat is taken: the next visitor is told so and lands on the waiting list.
    second = _phone(new_context)
    pages_second = Pages(second)
    second.goto(f"{base}/o/kassel/events/{event.pk}/")
    expect(second.locator("section[aria-labelledby=registration] .badge.warn")).to_be_visible()
    pages_second.look()
    second.get_by_role("link", name=de("Register now")).click()
    expect(second.locator("main .badge.warn")).to_be_visible()
    pages_second.look()
    _register_by_keyboard(second, "Gustav", "Zweit", "gustav@example.org")
    expect(second).to_have_url(PERSONAL)
    expect(_status(second)).to_contain_text(de(
        "You are on the waiting list at position %(n)s. We write to you when a seat "
        "becomes free.", n=1))
    pages_second.look()
    gustav = Registration.objects.get(event=event, email="gustav@example.org")
    assert gustav.status == Registration.Status.WAITING
    to_frieda = [m for m in mail.outbox if "frieda@example.org" in m.to]
    assert any(PASSCODE in m.body for m in to_frieda), "Frieda never got the access data"
    assert not [m for m in mail.outbox if "gustav@example.org" in m.to and PASSCODE in m.body]

    # Frieda cannot come: she cancels on her page, after a confirmation step.
    first.goto(frieda_page)
    pages.look()
    first.get_by_role("button", name=de("Cancel my registration")).click()
    expect(first.get_by_role("heading", level=1)).to_have_text(de("Really cancel?"))
    frieda.refresh_from_db()
    assert frieda.status == Registration.Status.CONFIRMED, "cancelled without confirmation"
    pages.look()
    first.get_by_role("button", name=de("Yes, cancel my registration")).click()
    expect(first).to_have_url(frieda_page)
    expect(first.get_by_role("status").first).to_contain_text(
        de("Your registration is cancelled."))
    expect(_status(first)).to_contain_text(de("This registration is cancelled."))
    expect(first.get_by_role("button", name=de("Cancel my registration"))).to_have_count(0)
    pages.look()
    frieda.refresh_from_db()
    assert frieda.status == Registration.Status.CANCELLED

    # Gustav's page now offers him the seat; taking it confirms him.
    second.reload()
    expect(_status(second)).to_contain_text(de("A seat has become free for you."))
    gustav.refresh_from_db()
    assert gustav.status == Registration.Status.OFFERED
    pages_second.look()
    second.get_by_role("button", name=de("Accept the seat")).click()
    expect(second.get_by_role("status").first).to_contain_text(
        de("You have taken the seat. See you there!"))
    expect(_status(second)).to_contain_text(de("Your registration is confirmed."))
    gustav.refresh_from_db()
    event.refresh_from_db()
    assert gustav.status == Registration.Status.CONFIRMED
    assert event.seats_taken == 1

    pages.done()
    pages_second.done()
    # With the seat, Gustav gets the access data: by e-mail, never on a page.
    to_gustav = [m for m in mail.outbox if "gustav@example.org" in m.to]
    assert any(PASSCODE in m.body for m in to_gustav), "Gustav never got the access data"


def test_organiser_creates_registers_a_caller_and_checks_in_on_a_phone(
    transactional_db, live_server, world, new_context
):
    base = live_server.url
    organiser = world.users["kassel_events"]
    context = new_context()
    login_with_session(context, base, organiser)
    page = context.new_page()
    page.goto(f"{base}/staff/kassel/events/")
    page.get_by_role("link", name=de("New event")).click()
    expect(page).to_have_url(f"{base}/staff/kassel/events/new/")

    start = (timezone.localtime() + timedelta(days=3)).replace(hour=18, minute=30)
    page.locator("input[name=title]").fill("Offenes Treffen Wesertor")
    page.locator("select[name=kind]").select_option("meeting")
    page.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("input[name=ends_at]").fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("select[name=place]").select_option(label="Parteibüro")
    page.locator("select[name=registration]").select_option("open")
    page.locator("input[name=capacity]").fill("12")
    page.get_by_role("button", name=de("Create the event")).click()

    event = Event.objects.get(organisation=world.kassel, title="Offenes Treffen Wesertor")
    expect(page).to_have_url(f"{base}/staff/kassel/events/{event.pk}/edit/")
    expect(page.get_by_role("status").first).to_contain_text(de("The event has been created."))
    assert timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M") == \
        start.strftime("%Y-%m-%d %H:%M")
    assert event.ends_at - event.starts_at == timedelta(hours=2)
    assert event.capacity == 12 and event.registration == Event.Registration.OPEN
    assert event.place == world.kassel_office

    # A caller is registered by phone.
    page.goto(f"{base}/staff/kassel/events/{event.pk}/")
    page.get_by_role("link", name=de("Register someone (phone)")).click()
    page.locator("input[name=first_name]").fill("Hilde")
    page.locator("input[name=last_name]").fill("Anrufer")
    page.locator("input[name=phone]").fill("0561 7654321")
    page.locator("input[name=privacy]").check()
    page.locator("main").get_by_role("button", name=de("Register"), exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Hilde Anrufer")
    hilde = Registration.objects.get(event=event, last_name="Anrufer")
    assert hilde.status == Registration.Status.CONFIRMED
    assert hilde.source == Registration.Source.PHONE and hilde.phone == "0561 7654321"
    assert hilde.attended_at is None

    # On the day: check-in on a phone, one tap per person, without reloading the page.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    login_with_session(phone, base, organiser)
    door = phone.new_page()
    checkin = f"{base}/staff/kassel/events/{event.pk}/checkin/"
    door.goto(checkin)
    count = door.locator("#checkin-count")
    expect(count).to_have_text(de("%(present)s of %(confirmed)s present",
                                  present=0, confirmed=1))
    width = door.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the check-in page scrolls sideways: {width}px wide"
    door.evaluate("window.notReloaded = true")
    row = door.locator(f"#reg-{hilde.pk}")
    expect(row).to_contain_text("Anrufer, Hilde")
    with door.expect_response(lambda r: r.request.method == "POST"
                              and r.request.headers.get("hx-request") == "true"):
        row.get_by_role("button", name=re.compile(re.escape(de("not present")))).tap()
    expect(count).to_have_text(de("%(present)s of %(confirmed)s present",
                                  present=1, confirmed=1))
    expect(row.get_by_role("button")).to_have_text(re.compile(re.escape(de("present")) + "$"))
    expect(row.get_by_role("button")).not_to_contain_text(de("not present"))
    assert door.evaluate("window.notReloaded") is True, "the page was reloaded"
    assert door.url == checkin
    hilde.refresh_from_db()
    assert hilde.attended_at is not None

    door.reload()
    expect(count).to_have_text(de("%(present)s of %(confirmed)s present",
                                  present=1, confirmed=1))
    expect(door.locator(f"#reg-{hilde.pk} button")).not_to_contain_text(de("not present"))
    assert door.evaluate("window.notReloaded === undefined")

    # The printed list carries the tick.
    page.goto(f"{base}/staff/kassel/events/{event.pk}/")
    page.get_by_role("link", name=de("Print the participant list")).click()
    expect(page).to_have_url(f"{base}/staff/kassel/events/{event.pk}/checkin/print/")
    first_row = page.locator("main table tbody tr").first
    expect(first_row).to_contain_text("Anrufer, Hilde")
    expect(first_row.locator("td").last).to_have_text("✓")
    expect(page.get_by_role("button", name=de("Print"))).to_be_visible()
