"""Regression tests for the issue-3 review: erasure reaches everything, filters never fall back
to "everyone", exports cannot carry formulas, and applications respect what a person was."""

import json

import pytest
from django.core import mail

from mitmachen.core.models import AuditEntry, Job
from mitmachen.groups.services import group_create, group_member_add, join_request_create
from mitmachen.people import applications, exports, imports, services
from mitmachen.people.gdpr import contact_erase
from mitmachen.people.models import Contact, MembershipApplication

pytestmark = pytest.mark.django_db


def test_erasure_reaches_applications_groups_and_the_search_log(world, login):
    jorg = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Jörg", "last_name": "Öz", "email": "joerg@example.org"})
    application, token = applications.application_submit(
        organisation=world.kassel, data={"first_name": "Jörg", "email": "joerg@example.org"},
        message="Ich heiße Jörg Öz und bin krank", consents=[])
    applications.application_confirm(token=token)
    plenum = group_create(organisation=world.kassel, name="Plenum", kind="plenum",
                          audience="open", actor=None)
    group_member_add(group=plenum, contact=jorg, actor=None)
    other = group_create(organisation=world.kassel, name="AG", kind="working_group",
                         audience="open", actor=None)
    join_request_create(group=other, contact=jorg, actor=None, message="Ich bin Jörg")
    client = login("kassel_board")
    client.get("/staff/kassel/contacts/?q=joerg%40example.org")
    client.get("/staff/kassel/contacts/?q=J%C3%B6rg+%C3%96z")
    contact_erase(contact=jorg, actor=world.users["kassel_board"])
    application.refresh_from_db()
    assert application.message == "" and application.status == "declined"
    assert not jorg.group_memberships.exists()
    assert jorg.join_requests.get().message == ""
    dump = json.dumps(list(AuditEntry.objects.values("object_repr", "changes")),
                      ensure_ascii=False)
    for trace in ["Jörg", "joerg", "Öz", "krank"]:
        assert trace not in dump, trace
    assert "Jörg" not in client.get("/staff/kassel/applications/").content.decode()


def test_gdpr_export_includes_applications(world, login):
    _a, token = applications.application_submit(
        organisation=world.kassel, data={"first_name": "Ida", "email": "ida@example.org"},
        message="Hallo Vorstand", consents=[])
    ida = Contact.objects.get(email="ida@example.org")
    data = json.loads(login("kassel_admin").get(
        f"/staff/kassel/contacts/{ida.pk}/export/?format=json").content)
    assert data["applications"][0]["message"] == "Hallo Vorstand"


def test_bulk_and_export_with_an_unreadable_filter_touch_nobody(world, login):
    for name in ["Alpha", "Beta"]:
        services.contact_create(organisation=world.kassel, data={"first_name": name},
                                actor=None)
    client = login("kassel_board")
    client.post("/staff/kassel/contacts/bulk/", {
        "action": "change_status", "status": "supporter", "scope": "all",
        "query": "q=Alpha&status=bogus"})
    assert not Job.objects.exists()
    assert not Contact.objects.filter(status="supporter").exists()
    response = client.get("/staff/kassel/contacts/?status=bogus&export=csv")
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("value,escaped", [
    ('=HYPERLINK("x")', True), ('=1+HYPERLINK("x")', True), ("-2+3+cmd|' /C calc'!A0", True),
    ("+1+1", True), ("@SUM(A1)", True), ("\t=1", True), ("\r=1", True),
    ("+4956192015", False), ("0561 92015", False), ("-", True), ("Anna", False),
])
def test_export_cells_never_become_formulas(value, escaped):
    assert exports._safe(value).startswith("'") is escaped


def test_huge_page_numbers_do_not_break_the_list(world, login):
    services.contact_create(organisation=world.kassel, data={"first_name": "Abc"}, actor=None)
    client = login("kassel_board")
    for query in ["?q=Abc&page=99999999999999999999", "?page=99999999999999999999"]:
        assert client.get("/staff/kassel/contacts/" + query).status_code == 200


def test_import_knows_membership_numbers_of_erased_contacts(world):
    old = services.contact_create(organisation=world.kassel, data={"first_name": "Alt"},
                                  actor=None)
    services.status_change(contact=old, to_status="member", actor=None, membership_number="M-1")
    contact_erase(contact=old, actor=None)
    report = imports.Importer(world.kassel).run(b"Vorname;Mitgliedsnummer\nNeu;M-1\n",
                                                commit=False)
    assert report.valid == 0 and report.errors == 1


def test_a_member_applying_again_gets_a_note_not_an_application(
        world, client, django_capture_on_commit_callbacks):
    member = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Mia", "email": "mia@example.org"}, status="member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/o/kassel/join/", {
            "first_name": "Mia", "last_name": "M", "email": "mia@example.org",
            "street": "W 1", "postcode": "34117", "city": "Kassel", "privacy": "on"})
    assert response.url == "/o/kassel/join/sent/"
    assert not MembershipApplication.objects.exists()
    assert mail.outbox[0].to == ["mia@example.org"] and "/join/confirm/" not in \
        mail.outbox[0].body
    member.refresh_from_db()
    assert member.status == "member"


def test_a_declined_former_member_stays_a_former_member(world):
    former = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Fritz", "email": "fritz@example.org"}, status="former")
    application, token = applications.application_submit(
        organisation=world.kassel, data={"first_name": "Fritz", "email": "fritz@example.org"},
        message="", consents=[])
    applications.application_confirm(token=token)
    former.refresh_from_db()
    assert former.status == "applicant"
    applications.application_decide(application=application, accept=False, answer="",
                                    actor=world.users["kassel_board"])
    former.refresh_from_db()
    assert former.status == "former"


def test_becoming_a_member_closes_open_applications(world):
    _a, token = applications.application_submit(
        organisation=world.kassel, data={"first_name": "Ute", "email": "ute@example.org"},
        message="", consents=[])
    applications.application_confirm(token=token)
    ute = Contact.objects.get(email="ute@example.org")
    services.status_change(contact=ute, to_status="member", actor=None)
    assert MembershipApplication.objects.get().status == "accepted"
