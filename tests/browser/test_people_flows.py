"""Issue 3 in a real browser: an application, a consent through double opt-in, a withdrawal,
a join request and the founding of a group."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from mitmachen.groups.models import Group, GroupMember
from mitmachen.groups.services import group_create
from mitmachen.people import selectors, services
from mitmachen.people.models import Contact
from tests.browser.conftest import login_with_session

pytestmark = pytest.mark.browser


def _link(pattern: str) -> str:
    for message in reversed(mail.outbox):
        found = re.search(r"https?://[^/\s]+(" + pattern + r"\S+/)", message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no mail with {pattern}")


def test_application_with_double_opt_in_and_board_acceptance(transactional_db, live_server,
                                                            world, new_context):
    base = live_server.url
    page = new_context().new_page()
    page.goto(f"{base}/o/kassel/")
    page.get_by_role("link", name="Mitglied werden").click()
    page.locator("input[name=first_name]").fill("Clara")
    page.locator("input[name=last_name]").fill("Neu")
    page.locator("input[name=email]").fill("clara@example.org")
    page.locator("input[name=street]").fill("Weg 2")
    page.locator("input[name=postcode]").fill("34117")
    page.locator("input[name=city]").fill("Kassel")
    page.locator("input[name=invitations]").check()
    page.locator("input[name=privacy]").check()
    page.get_by_role("button", name="Antrag absenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schau in dein E-Mail-Postfach")
    page.goto(base + _link("/join/confirm/"))
    page.get_by_role("button", name="Bestätige meine E-Mail-Adresse").click()
    expect(page.get_by_role("status")).to_be_visible()
    clara = Contact.objects.get(email="clara@example.org")
    assert clara.status == "applicant"
    assert clara in selectors.reachable(world.kassel, "email", "invitations")

    board = new_context()
    login_with_session(board, base, world.users["kassel_board"])
    page = board.new_page()
    page.goto(f"{base}/staff/kassel/applications/")
    page.get_by_label("annehmen").check()
    page.get_by_label("Mitgliedsnummer").fill("KS-7")
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.locator(".messages")).to_be_visible()
    clara.refresh_from_db()
    assert clara.status == "member" and clara.membership_number == "KS-7"


def test_member_grants_by_double_opt_in_withdraws_joins_and_founds(transactional_db,
                                                                   live_server, world,
                                                                   new_context):
    base = live_server.url
    user = world.users["duesseldorf_member"]
    contact = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Mira", "email": user.email})
    contact.user = user
    contact.save()
    plenum = group_create(organisation=world.kassel, name="Offenes Plenum", kind="plenum",
                          audience="open", actor=None)
    context = new_context()
    login_with_session(context, base, user)
    page = context.new_page()
    page.goto(f"{base}/me/kassel/")

    # Consent by double opt-in, then withdrawal.
    page.get_by_role("button", name=re.compile("E-Mail für Newsletter erlauben",
                                               re.IGNORECASE)).click()
    expect(page.locator(".messages")).to_contain_text("E-Mail")
    assert contact not in selectors.reachable(world.kassel, "email", "newsletter")
    page.goto(base + _link("/consent/confirm/"))
    page.get_by_role("button").filter(has_text="Ja").click()
    assert contact in selectors.reachable(world.kassel, "email", "newsletter")
    page.goto(f"{base}/me/kassel/")
    page.get_by_role("button", name=re.compile("E-Mail für Newsletter widerrufen",
                                               re.IGNORECASE)).click()
    expect(page.locator(".messages")).to_be_visible()
    assert contact not in selectors.reachable(world.kassel, "email", "newsletter")

    # A join request, accepted by the coordinator.
    page.get_by_role("button", name="Beitritt anfragen").click()
    coordinator = new_context()
    login_with_session(coordinator, base, world.users["kassel_groups"])
    staff = coordinator.new_page()
    staff.goto(f"{base}/staff/kassel/groups/")
    staff.get_by_role("button", name="Annehmen").click()
    expect(staff.locator(".messages")).to_be_visible()
    assert GroupMember.objects.filter(group=plenum, contact=contact).exists()

    # Founding a group: the member proposes, the board founds it.
    services.status_change(contact=contact, to_status="member", actor=None)
    page.goto(f"{base}/me/kassel/")
    page.get_by_label("Name der Gruppe").fill("AG Wohnen")
    page.get_by_label("Was die Gruppe vorhat").fill("Mieter*innen vernetzen")
    page.get_by_role("button", name="Dem Vorstand vorschlagen").click()
    board = new_context()
    login_with_session(board, base, world.users["kassel_board"])
    staff = board.new_page()
    staff.goto(f"{base}/staff/kassel/groups/")
    staff.get_by_role("button", name="Gruppe gründen").click()
    expect(staff.locator(".messages")).to_be_visible()
    group = Group.objects.get(name="AG Wohnen")
    assert group.status == "founding"
    assert GroupMember.objects.get(group=group, contact=contact).role == "coordinator"
