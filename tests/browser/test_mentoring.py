"""Düsseldorf's feminist mentoring (issue 8, seed 004) end to end in real browsers, on the demo
data: a mentee applies on a phone through the organisation's public page, the coordinator logs
in with the real form, fixes her pair, runs the matching (with its explanations and the reasons
why others stay without a mentor) and sends the proposals; mentee and mentor accept through
their personal links, each in their own browser; the mentee logs a meeting, her mentor reads
its summary, and the coordinator's list of pairs counts the meeting without showing what was
said. German UI, as the pages render by default. Every wait is Playwright's `expect(...)`."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count
from django.utils import translation
from playwright.sync_api import expect

from mitmachen.mentoring import access, selectors, services
from mitmachen.mentoring.models import Application, MatchRun, Meeting, Pairing, Programme
from mitmachen.mentoring.views import _unmatched_text
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.events_world import de
from tests.browser.reports_world import fits_phone

pytestmark = pytest.mark.browser

ORG = "die-linke-duesseldorf"
TITLE = "Feministisches Mentoring 2027"
COORDINATOR = "mentoring.duesseldorf@example.org"
DEMO_PASSWORD = "mitmachen-demo"
NAME = "Ronja Beispielfrau"
EMAIL = "ronja.beispielfrau@example.org"
GOALS = "Ich möchte lernen, wie man einen Antrag für die Bezirksvertretung schreibt."
SUMMARY = "Antrag zum Wohnungsbau in Bilk gemeinsam gelesen; nächstes Mal: Rede üben."


def _phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def _apply_on_the_phone(page, base: str) -> str:
    """From Düsseldorf's public page to the programme and through the form; → the personal
    link shown after sending."""
    page.goto(f"{base}/o/{ORG}/")
    mentoring = page.get_by_role("region", name=de("Mentoring"))
    mentoring.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    fits_phone(page, "the programme page")
    page.get_by_role("link", name=de("Apply as mentee")).click()
    expect(page).to_have_url(f"{base}/o/{ORG}/mentoring/mentoring-2027/apply/mentee/")
    fits_phone(page, "the application form")
    form = page.locator("main form[method=post]")
    form.locator("input[name=name]").fill(NAME)
    form.locator("input[name=email]").fill(EMAIL)
    form.locator("input[name=phone]").fill("0211 5550101")
    form.get_by_role("radio", name=de("Woman"), exact=True).check()
    for label in ("Housing and rent", "Gender equality and feminism", "City council",
                  "District council", "Writing motions", "Speaking in public",
                  "Weekday evenings", "German"):
        form.get_by_role("checkbox", name=de(label), exact=True).check()
    form.locator("input[name=hours_per_month]").fill("4")
    form.locator("input[name=district]").fill("Bilk")
    form.locator("textarea[name=goals]").fill(GOALS)
    form.get_by_role("checkbox", name=de("My mentor should be a woman/FLINTA*")).check()
    form.locator("input[name=audience_confirmed]").check()
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name=de("Send my application")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        de("Thank you for your application"))
    fits_phone(page, "the thank-you page")
    link = page.locator("p.token").inner_text().strip()
    assert re.search(r"/mentoring/p/\d+-[0-9a-f]{32}/$", link), link
    return link


def _log_in(page, base: str) -> None:
    """The coordinator's login through the real form, with the demo password."""
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(COORDINATOR)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/dashboard/")


def test_the_duesseldorf_demo_programme_end_to_end(transactional_db, live_server,
                                                   new_context):
    base = live_server.url
    cache.clear()  # the form's rate limit counts in the cache, which outlives a flush
    call_command("demo", quiet_logins=True, force=True)
    programme = Programme.objects.get(organisation__slug=ORG, title=TITLE)
    assert programme.status == Programme.Status.OPEN
    waiting_before = programme.applications.filter(role="mentee").count()
    assert waiting_before >= 10  # the demo's applications are waiting for the matching

    # 1. A mentee applies on her phone, coming from the organisation's public page.
    mentee_phone = _phone(new_context)
    link = _apply_on_the_phone(mentee_phone, base)
    mentee = Application.objects.get(programme=programme, email=EMAIL)
    assert (mentee.role, mentee.status, mentee.name) == ("mentee", "applied", NAME)
    assert mentee.fields == ["housing", "equality"] and mentee.requires == ["mentor_woman"]
    mentee_phone.get_by_role("link", name=de("Open my personal page")).click()
    # The link shown carries the site's address (settings.SITE_URL), the button this server's.
    expect(mentee_phone).to_have_url(base + urlsplit(link).path)
    expect(mentee_phone.get_by_role("heading", level=2).first).to_have_text(
        f"{de('Status')}: {de('Applied')}")
    fits_phone(mentee_phone, "the personal page")
    mentee_phone.context.close()

    # 2. The coordinator logs in, finds her in the pool and fixes her to a mentor.
    mentor = (programme.applications.filter(role="mentor", gender="woman")
              .order_by("-capacity", "pk").first())
    assert mentor is not None and mentor.capacity >= 2
    desk = new_context(viewport=DESKTOP).new_page()
    _log_in(desk, base)
    # The dashboard's card links no mentoring page yet (see the report): by address, then
    # on through the links.
    desk.goto(f"{base}/staff/{ORG}/mentoring/")
    expect(desk.locator("nav.staff").get_by_role("link", name=de("Mentoring"))).to_be_visible()
    desk.get_by_role("link", name=TITLE).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(TITLE)
    desk.get_by_role("link", name=NAME).click()
    expect(desk).to_have_url(
        f"{base}/staff/{ORG}/mentoring/{programme.pk}/applications/{mentee.pk}/")
    expect(desk.locator("main")).to_contain_text(GOALS)
    rule = desk.locator("main form").filter(has=desk.locator("select[name=mentor]"))
    rule.locator("select[name=mentor]").select_option(str(mentor.pk))
    rule.get_by_role("radio", name=de("Fix: always pair these two")).check()
    rule.locator("input[name=reason]").fill("Beide wohnen in Bilk")
    rule.get_by_role("button", name=de("Save the rule")).click()
    expect(desk.get_by_role("status")).to_contain_text(
        de("The rule has been saved; it applies from the next matching."))

    # 3. The matching: every pair with why it fits, everyone left over with the reason.
    desk.locator("nav.tabs").get_by_role("link", name=de("Matching"), exact=True).click()
    desk.get_by_role("button", name=de("Run the matching")).click()
    # The run exists once the page after it has loaded (the matching table).
    expect(desk.locator("#run-title")).to_be_visible()
    run = MatchRun.objects.get(programme=programme)
    expect(desk.get_by_role("status")).to_contain_text(de(
        "The matching has been computed: %(matched)d pairs, %(unmatched)d without a mentor. "
        "Nothing has been sent yet.", matched=run.matched, unmatched=run.unmatched))
    assert run.matched >= 10 and run.unmatched >= 1 and run.sent_at is None
    ours = next(p for p in run.result["pairs"] if p["mentee"] == mentee.pk)
    assert ours["mentor"] == mentor.pk
    row = desk.locator("tbody tr").filter(has_text=NAME)
    expect(row).to_contain_text(mentor.name)
    expect(row).to_contain_text(de("fixed"))
    with translation.override("de"):
        lines = selectors.explanation_lines(ours["explanation"])
        reasons = {item["mentee"]: _unmatched_text(item)[0]
                   for item in run.result["unmatched"]}
    assert lines
    for line in lines:
        expect(row.locator("ul.explanation")).to_contain_text(line)
    expect(desk.locator("table tbody tr")).to_have_count(run.matched)
    for pk, reason in reasons.items():
        name = Application.objects.get(pk=pk).name
        expect(desk.locator("main li").filter(has_text=name)).to_contain_text(reason)
    expect(desk.locator("main")).to_contain_text(
        de("When the proposals are sent, these mentees go onto the waiting list."))

    desk.get_by_role("link", name=de("Send the proposals")).click()
    desk.get_by_role("button", name=de("Yes, send the proposals")).click()
    expect(desk).to_have_url(f"{base}/staff/{ORG}/mentoring/{programme.pk}/matching/")
    expect(desk.get_by_role("status")).to_contain_text(
        de("%(n)d proposals have been sent. Both sides answer through their personal link.",
           n=run.matched))
    pairing = Pairing.objects.get(mentee=mentee, status=Pairing.Status.PROPOSED)
    assert pairing.mentor_id == mentor.pk
    assert programme.applications.filter(status="waiting").count() == run.unmatched

    # 4. Both open their personal links, each in their own browser, and accept.
    mentee_page = _phone(new_context)
    mentee_page.goto(base + access.personal_url(mentee))
    proposal = mentee_page.locator("section.pair").filter(
        has=mentee_page.get_by_role("heading", name=de(
            "Proposal: %(name)s", name=services.first_name(mentor.name))))
    for line in lines:
        expect(proposal.locator("ul.explanation")).to_contain_text(line)
    # Before both have accepted, the mentor's full name and address are not shown.
    expect(mentee_page.locator("main")).not_to_contain_text(mentor.email)
    fits_phone(mentee_page, "the proposal")
    proposal.get_by_role("button", name=de("Accept")).click()
    expect(mentee_page.get_by_role("status")).to_contain_text(de(
        "Thank you, you have accepted. We let you know as soon as the other side has "
        "answered."))

    mentor_page = _phone(new_context)
    mentor_page.goto(base + access.personal_url(mentor))
    theirs = mentor_page.locator("section.pair").filter(
        has=mentor_page.get_by_role("heading", name=de(
            "Proposal: %(name)s", name=services.first_name(NAME))))
    theirs.get_by_role("button", name=de("Accept")).click()
    expect(mentor_page.get_by_role("status")).to_contain_text(de(
        "You have both accepted: your mentoring begins! Below you find how to reach each "
        "other."))
    mentee_heading = de("Your mentee: %(name)s", name=NAME)
    expect(mentor_page.get_by_role("heading", name=mentee_heading)).to_be_visible()
    expect(mentor_page.locator("main")).to_contain_text(EMAIL)
    pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.ACTIVE

    # 5. The mentee logs their first meeting.
    mentee_page.reload()
    expect(mentee_page.get_by_role("heading", name=de(
        "Your mentor: %(name)s", name=mentor.name))).to_be_visible()
    expect(mentee_page.locator("main")).to_contain_text(mentor.email)
    mentee_page.get_by_text(de("Log a meeting"), exact=True).click()
    meeting = mentee_page.locator("form[action$='/meetings/']")
    meeting.locator("select[name=kind]").select_option("accompanied")
    meeting.locator("input[name=minutes]").fill("90")
    meeting.locator("textarea[name=summary]").fill(SUMMARY)
    meeting.get_by_role("button", name=de("Save the meeting")).click()
    expect(mentee_page.get_by_role("status")).to_contain_text(de("The meeting has been logged."))
    expect(mentee_page.locator("main table")).to_contain_text(SUMMARY)
    fits_phone(mentee_page, "the pair's page")
    logged = Meeting.objects.get(pairing=pairing)
    assert (logged.kind, logged.minutes, logged.logged_by) == ("accompanied", 90, "mentee")
    # Her mentor reads the summary too.
    mentor_page.reload()
    expect(mentor_page.get_by_role("heading", name=mentee_heading)).to_be_visible()
    expect(mentor_page.locator("main")).to_contain_text(SUMMARY)

    # 6. The coordinator sees that they met, and for how long, but not what was said.
    desk.locator("nav.tabs").get_by_role("link", name=de("Pairs"), exact=True).click()
    expect(desk).to_have_url(f"{base}/staff/{ORG}/mentoring/{programme.pk}/pairs/")
    pair_row = desk.locator("tbody tr").filter(has_text=NAME)
    expect(pair_row).to_have_count(1)
    cells = pair_row.locator("td")
    expect(cells.nth(1)).to_have_text(mentor.name)
    expect(cells.nth(2)).to_contain_text(de("Active"))
    expect(cells.nth(5)).to_have_text("1")
    expect(cells.nth(7)).to_have_text("90")
    expect(desk.locator("main")).not_to_contain_text(SUMMARY)
    # The rows agree with the database: every pair's count of meetings, and no other text.
    counts = dict(Pairing.objects.filter(programme=programme).exclude(status="declined")
                  .annotate(n=Count("meetings"))
                  .values_list("mentee__name", "n"))
    assert counts[NAME] == 1
    expect(desk.locator("tbody tr")).to_have_count(len(counts))
