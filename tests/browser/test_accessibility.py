"""axe-core on every page, anonymous and as Kassel's administrator: nothing serious or critical."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser import assemblies_world, events_world, mentoring_world, reports_world
from tests.browser.conftest import PHONE, login_with_session

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}

PUBLIC_PAGES = [
    "/",
    "/o/kassel/",
    "/accounts/login/",
    "/accounts/password-reset/",
    "/o/nope/",  # 404
    "/o/kassel/join/",
]
STAFF_PAGES = [
    "/dashboard/",
    "/staff/kassel/profile/",
    "/staff/kassel/places/",
    "/staff/kassel/places/new/",
    "/staff/kassel/team/",
    "/staff/kassel/audit/",
    "/accounts/tokens/",
    "/staff/kassel/contacts/",
    "/staff/kassel/contacts/new/",
    "/staff/kassel/contacts/import/",
]

_axe = Axe()


def _report(path: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} serious/critical violation(s) on {path}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                     f" <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    target: {target}")
            lines.append(f"      html: {node['html'][:200]}")
            if summary:
                lines.append(f"      why:  {summary}")
    return "\n".join(lines)


def _assert_accessible(page, path: str):
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, _report(path, blocking)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_serious_violations(
    transactional_db, live_server, world, kassel_content, page, path
):
    response = page.goto(f"{live_server.url}{path}")
    expected = 404 if path == "/o/nope/" else 200
    assert response.status == expected, f"{path} answered {response.status}"
    _assert_accessible(page, path)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_page_has_no_serious_violations(
    transactional_db, live_server, world, kassel_content, page, path
):
    login_with_session(page.context, live_server.url, world.users["kassel_admin"])
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path} answered {response.status} to kassel_admin"
    assert page.url == f"{live_server.url}{path}", f"{path} redirected to {page.url}"
    _assert_accessible(page, path)


# Pages of the board and of a member, with some content on them.
BOARD_PAGES = ["/staff/kassel/applications/", "/staff/kassel/groups/", "contact", "group",
               "/me/", "/me/kassel/", "join", "/staff/kassel/mailings/",
               "/staff/kassel/mailings/new/", "mailing-draft", "mailing-sent"]


@pytest.mark.parametrize("path", BOARD_PAGES)
def test_board_and_member_pages_have_no_serious_violations(
    transactional_db, live_server, world, kassel_content, page, path
):
    from mitmachen.groups.models import Group
    from mitmachen.groups.services import join_request_create
    from mitmachen.people import applications, services

    board = world.users["kassel_board"]
    contact = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Anna", "last_name": "Beispiel", "email": board.email,
        "phone": "0561 9201500"}, status="member")
    contact.user = board
    contact.save()
    group = Group.objects.filter(organisation=world.kassel).first()
    other = services.contact_create(organisation=world.kassel, actor=None,
                                    data={"first_name": "Bert"})
    join_request_create(group=group, contact=other, actor=None, message="Hallo")
    _a, token = applications.application_submit(
        organisation=world.kassel, message="Hallo", consents=[],
        data={"first_name": "C", "last_name": "D", "email": "c@example.org"})
    applications.application_confirm(token=token)
    from mitmachen.groups.services import group_create

    open_group = group_create(organisation=world.kassel, name="Offenes Plenum", kind="plenum",
                              audience="open", actor=None)
    from mitmachen.messaging import mailings

    draft = mailings.mailing_create(organisation=world.kassel, subject="Einladung",
                                    body="{{ anrede }} Text", purpose="invitations",
                                    audience={"kind": "members"}, actor=board)
    sent = mailings.mailing_create(organisation=world.kassel, subject="Gesendet",
                                   body="{{ anrede }} Text", purpose="invitations",
                                   audience={"kind": "members"}, actor=board)
    mailings.mailing_send(mailing=sent, actor=board, base_url=live_server.url)
    path = {"mailing-draft": f"/staff/kassel/mailings/{draft.pk}/",
            "mailing-sent": f"/staff/kassel/mailings/{sent.pk}/",
            "contact": f"/staff/kassel/contacts/{contact.pk}/",
            "group": f"/staff/kassel/groups/{group.pk}/",
            "join": f"/o/kassel/groups/{open_group.pk}/join/"}.get(path, path)
    login_with_session(page.context, live_server.url, board)
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path} answered {response.status}"
    _assert_accessible(page, path)


# Events pages, with an online event, a full event with people in every state and two series.
@pytest.mark.parametrize("name", [*events_world.PUBLIC, *events_world.MEMBER])
def test_public_events_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    path = events_world.event_pages(world)[name]
    if name in events_world.MEMBER:
        login_with_session(page.context, live_server.url, world.users["duesseldorf_member"])
    response = page.goto(f"{live_server.url}{path}")
    expected = 404 if name == "personal-invalid" else 200
    assert response.status == expected, f"{path} answered {response.status}"
    _assert_accessible(page, path)


@pytest.mark.parametrize("name", events_world.STAFF)
def test_staff_events_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    path = events_world.event_pages(world)[name]
    login_with_session(page.context, live_server.url, world.users["kassel_board"])
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path} answered {response.status} to kassel_board"
    assert page.url == f"{live_server.url}{path}", f"{path} redirected to {page.url}"
    _assert_accessible(page, path)


# Forms sent empty, and the step that asks before a registration is cancelled.
SUBMITTED = ["register", "staff-new", "staff-register", "staff-series-new", "staff-topics",
             "personal-confirmed"]


@pytest.mark.parametrize("name", SUBMITTED)
def test_events_forms_after_sending_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    path = events_world.event_pages(world)[name]
    if name.startswith("staff-"):
        login_with_session(page.context, live_server.url, world.users["kassel_board"])
    page.goto(f"{live_server.url}{path}")
    form = page.locator("main form[method=post]").filter(
        has=page.locator("button[type=submit]")).first
    if name == "personal-confirmed":
        form = page.locator("main form").filter(has=page.locator("button[value=cancel]"))
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    if name == "personal-confirmed":
        expect(page.locator("button[value=cancel_confirmed]")).to_be_visible()
    else:
        expect(page.get_by_role("alert").first).to_be_visible()
    _assert_accessible(page, f"{path} (sent)")


# Assemblies: Kassel's assembly in session with its record (invitations, a closed vote, an
# election, draft minutes), the hall's screen and the participants' phones.
@pytest.mark.parametrize("name", assemblies_world.STAFF)
def test_staff_assemblies_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    path = assemblies_world.assembly_pages(world)[name]
    login_with_session(page.context, live_server.url, world.users["kassel_board"])
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path} answered {response.status} to kassel_board"
    assert page.url == f"{live_server.url}{path}", f"{path} redirected to {page.url}"
    _assert_accessible(page, path)


@pytest.mark.parametrize("name", [*assemblies_world.PHONE, *assemblies_world.PROJECTOR])
def test_hall_and_phone_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    path = assemblies_world.assembly_pages(world)[name]
    assemblies_world.without_stream(page.context)
    response = page.goto(f"{live_server.url}{path}")
    expected = 404 if name == "phone-invalid" else 200
    assert response.status == expected, f"{path} answered {response.status}"
    if name == "phone":  # the phone's voting panel loads after the page
        expect(page.locator("#voting-panel")).to_be_attached()
    _assert_accessible(page, path)


# The reporting channel (Düsseldorf's, with a whole case): the reporter's pages in each state
# (the form, sent empty, the receipt, the follow-up, a wrong receipt, the conversation) and the
# officer's pages, unlocked, with the two-factor pages before them. On a desktop, and on a
# 360 px phone, where the page must not scroll sideways either.
REPORT_PAGES = [*reports_world.PUBLIC_PAGES, *reports_world.OFFICER_PAGES]


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_report_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    reports_world.open_report_page(page, live_server.url, world, name)
    _assert_accessible(page, f"{page.url} ({name})")


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_report_pages_fit_a_phone_without_serious_violations(
    transactional_db, live_server, world, new_context, name
):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    reports_world.open_report_page(page, live_server.url, world, name)
    reports_world.fits_phone(page, name)
    _assert_accessible(page, f"{page.url} ({name}, phone)")


# Mentoring (Düsseldorf's programme with someone in every state): the public page, the
# application form (also sent empty), the personal page as applied, with a proposal, in an
# active pair (mentee and mentor, meetings, goals, notes), waiting and with a wrong link; the
# coordinator's programmes, pool, applications, rules, matching with a run, sending, pairs and
# the print view. Each also on a 360 px phone (applicants apply and answer on their phones),
# where it must not scroll sideways either.
MENTORING_PAGES = [*mentoring_world.PUBLIC, *mentoring_world.STAFF]


@pytest.mark.parametrize("name", MENTORING_PAGES)
def test_mentoring_pages_have_no_serious_violations(
    transactional_db, live_server, world, page, name
):
    mentoring_world.open_mentoring_page(page, live_server.url, world, name)
    _assert_accessible(page, f"{page.url} ({name})")


@pytest.mark.parametrize("name", MENTORING_PAGES)
def test_mentoring_pages_fit_a_phone_without_serious_violations(
    transactional_db, live_server, world, new_context, name
):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    mentoring_world.open_mentoring_page(page, live_server.url, world, name)
    reports_world.fits_phone(page, name)
    _assert_accessible(page, f"{page.url} ({name}, phone)")
