"""The reporting channel in real browsers (issue 7): an anonymous report from a phone, the
officer's login with two factors, the unlocked inbox and the case, the conversation both ways
through the receipt code, and the case record. The reporter and the officer each use their own
browser context; the reporter's second visit is a new context, as on another day. Every wait is
Playwright's `expect(...)`, never a sleep."""

import re

import pytest
from playwright.sync_api import expect

from mitmachen.reports import services
from mitmachen.reports.models import Report, Status, Wish
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.events_world import de
from tests.browser.reports_world import (
    PDF_NAME,
    SLUG,
    channel,
    current_code,
    fits_phone,
    next_code,
    open_follow_up,
    send_report,
)
from tests.conftest import PASSWORD
from tests.reports.conftest import PASSPHRASE, PDF

pytestmark = pytest.mark.browser

WHAT = "Nach dem Plenum am Burgplatz hat mich Q-4471 beleidigt und bedroht."
OFFICER_ANSWER = "Danke, dass du dich meldest. Wollen wir telefonieren oder hier schreiben?"
REPORTER_ANSWER = "Lieber hier schreiben, bitte. Es ist seitdem noch einmal passiert."
MEASURE_REASON = "Gespräch mit Q-4471 geführt, Hausverbot für das Büro"
RECEIPT_FORMAT = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4})+$")


def _phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def _typed_badly(receipt: str) -> str:
    """As someone might type it off a note: lower case, groups split by spaces."""
    return receipt.lower().replace("-", " ")


def test_report_answer_and_case_record_across_browsers(
    transactional_db, live_server, world, new_context
):
    base = live_server.url
    ready = channel(world, report=False)
    officer = ready.officer

    # 1. The reporter, anonymous on a phone, comes from the organisation's public page.
    reporter = _phone(new_context)
    reporter.goto(f"{base}/o/{SLUG}/")
    reporter.get_by_role("link", name=de("Report discrimination")).click()
    expect(reporter).to_have_url(f"{base}/report/{SLUG}/")
    expect(reporter.get_by_role("heading", level=1)).to_have_text(de("Report discrimination"))
    fits_phone(reporter, "the form")
    # The form page has the usual header (the receipt page below must not).
    expect(reporter.locator("header.site button[name=language]")).to_have_count(1)
    receipt = send_report(reporter, what=WHAT, wish="Mediation", category="racism")
    assert RECEIPT_FORMAT.match(receipt), receipt
    expect(reporter.get_by_role("heading", level=1)).to_have_text(
        de("Thank you. Your report has been sent."))
    fits_phone(reporter, "the receipt")
    # Nothing on the receipt page leads away by accident: no language switch, no login link.
    expect(reporter.locator("header.site button[name=language]")).to_have_count(0)
    expect(reporter.locator("header.site form")).to_have_count(0)
    expect(reporter.get_by_role("link", name=de("Log in"))).to_have_count(0)
    report = Report.objects.get(organisation=world.duesseldorf)
    assert (report.category, report.status) == ("racism", Status.NEW)

    # 2. The officer logs in with password and code, and unlocks the reports.
    desk = new_context(viewport=DESKTOP).new_page()
    desk.goto(f"{base}/staff/{SLUG}/reports/")
    expect(desk).to_have_url(re.compile(r"/accounts/login/\?next="))
    desk.locator("input[name=username]").fill(officer.email)
    desk.locator("input[name=password]").fill(PASSWORD)
    desk.locator("main form button[type=submit]").click()
    expect(desk).to_have_url(f"{base}/accounts/login/code/")
    # The password alone has not logged in.
    expect(desk.get_by_role("button", name=de("Log out"))).to_have_count(0)
    desk.locator("input[name=code]").fill(current_code(officer))
    desk.locator("main form button[type=submit]").click()
    # The inbox sends on to the unlock page: the key is still locked in this browser.
    expect(desk).to_have_url(re.compile(rf"/staff/{SLUG}/reports/unlock/\?next="))
    desk.locator("input[name=passphrase]").fill(PASSPHRASE)
    # A fresh code: the one of the login step is used up.
    desk.locator("input[name=code]").fill(next_code(officer))
    desk.get_by_role("button", name=de("Unlock")).click()
    expect(desk).to_have_url(f"{base}/staff/{SLUG}/reports/")
    row = desk.locator(f"#report-{report.number}")
    expect(row).to_contain_text(de("new message"))
    row.get_by_role("link", name=report.reference).click()
    expect(desk).to_have_url(f"{base}/staff/{SLUG}/reports/{report.number}/")
    expect(desk.locator("#report-content")).to_contain_text(WHAT)
    expect(desk.locator("#report-content")).to_contain_text(de("Mediation"))
    attachment = desk.get_by_role("link", name=PDF_NAME)
    expect(attachment).to_be_visible()
    with desk.expect_download() as download:
        attachment.click()
    assert download.value.suggested_filename == PDF_NAME
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == PDF  # decrypted in the browser's session, byte for byte
    desk.locator("textarea[name=reply-text]").fill(OFFICER_ANSWER)
    desk.get_by_role("button", name=de("Send the answer")).click()
    expect(desk).to_have_url(f"{base}/staff/{SLUG}/reports/{report.number}/")
    expect(desk.locator("#conversation .from-officer")).to_contain_text(OFFICER_ANSWER)

    # 3. The reporter comes back another day: a new context, nothing kept from the first.
    reporter.context.close()
    again = _phone(new_context)
    open_follow_up(again, base, _typed_badly(receipt))
    expect(again.get_by_role("heading", level=1)).to_have_text(de("Your report"))
    expect(again.locator("main")).to_contain_text(WHAT)
    thread = again.get_by_role("region", name=de("Conversation"))
    expect(thread).to_contain_text(OFFICER_ANSWER)
    fits_phone(again, "the conversation")
    again.locator("textarea[name=text]").fill(REPORTER_ANSWER)
    again.get_by_role("button", name=de("Send message")).click()
    expect(again.get_by_role("status")).to_contain_text(
        de("Your message has been sent. The officers are told that there is something new."))
    expect(thread.locator("li.mine")).to_contain_text(REPORTER_ANSWER)

    # 4. The officer reloads the case, reads the answer and records what was done.
    desk.reload()
    expect(desk.locator("#conversation .from-reporter").last).to_contain_text(REPORTER_ANSWER)
    update = desk.locator("form[action$='/update/']").filter(
        has=desk.locator("select[name=update-status]"))
    # The first answer has put the case "in progress"; the form starts from there.
    expect(desk.locator("#status")).to_have_text(de("In progress"))
    expect(update.locator("select[name=update-status]")).to_have_value(Status.IN_PROGRESS)
    update.locator("select[name=update-status]").select_option(Status.MEASURES)
    update.locator("textarea[name=update-reason]").fill(MEASURE_REASON)
    update.get_by_role("button", name=de("Save the changes")).click()
    expect(desk.locator("#status")).to_have_text(de("Measures taken"))
    expect(desk.get_by_role("status")).to_contain_text(
        de("The case has been updated and the change recorded."))
    # The first answer took the report into progress (recorded), then this change.
    changes = desk.locator("#entries tr.entry-status")
    expect(changes).to_have_count(2)
    change = changes.filter(has_text=MEASURE_REASON)
    expect(change).to_have_count(1)
    expect(change).to_contain_text(de("%(old)s → %(new)s", old=de("In progress"),
                                      new=de("Measures taken")) + f": {MEASURE_REASON}")
    expect(change).to_contain_text(officer.name)
    report.refresh_from_db()
    assert report.status == Status.MEASURES


def test_a_wrong_receipt_shows_the_error_and_opens_nothing(
    transactional_db, live_server, world, new_context
):
    base = live_server.url
    channel(world)
    page = _phone(new_context)
    open_follow_up(page, base, "AAAA-BBBB-CCCC-DDDD-EEEE")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(de("We found no report with this receipt code. Please check "
                                     "it and try again."))
    expect(page.get_by_role("heading", level=1)).to_have_text(de("Follow up on your report"))
    expect(page.get_by_role("region", name=de("Conversation"))).to_have_count(0)
    # The error names the field and leads to it.
    alert.get_by_role("link").click()
    expect(page.locator("input[name=receipt]")).to_be_focused()
    fits_phone(page, "the wrong receipt")


def _tab_to(page, selector: str, limit: int = 80) -> int:
    """Press Tab until the element matching `selector` has the focus; → the presses needed."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def test_the_report_form_works_with_the_keyboard_alone(
    transactional_db, live_server, world, page
):
    base = live_server.url
    ready = channel(world, report=False)
    page.goto(f"{base}/report/{SLUG}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(de("Report discrimination"))

    _tab_to(page, "textarea[name=what]")
    page.keyboard.type(WHAT)
    # From one field to the next is one press of Tab: nothing in between takes the focus.
    assert _tab_to(page, "input[name=when]") == 1
    page.keyboard.type("gestern Abend")
    assert _tab_to(page, "input[name=where]") == 1
    assert _tab_to(page, "textarea[name=who]") == 1
    # No wish chosen yet: Tab enters the group on its first choice, Space chooses it, the
    # arrow keys move the choice within the group.
    assert _tab_to(page, "input[name=wish]") == 1
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name=de("Advice"), exact=True)).to_be_checked()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=de("A formal procedure"), exact=True)).to_be_checked()
    assert _tab_to(page, "select[name=category]") == 1
    page.keyboard.press("ArrowDown")  # the first category after "not sure"
    expect(page.locator("select[name=category]")).to_have_value("sexualised_violence")
    assert _tab_to(page, "input[name=files]") == 1
    assert _tab_to(page, "input[name=contact]") == 1
    assert _tab_to(page, "main form button[type=submit]") == 1
    page.keyboard.press("Enter")

    expect(page.locator("#receipt")).to_be_visible()
    receipt = page.locator("#receipt").inner_text().strip()
    report = Report.objects.get(organisation=world.duesseldorf)
    opened = services.report_open(report=report, officer=ready.officer,
                                  private_key=ready.private_key)
    assert opened.content["what"] == WHAT
    assert opened.content["when"] == "gestern Abend"
    assert opened.content["wish"] == Wish.PROCEDURE
    assert report.category == "sexualised_violence"
    _found, _key = services.reporter_open(organisation=world.duesseldorf, receipt=receipt)
    assert _found == report
