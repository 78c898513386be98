import re

import pytest
from django.core import mail

from mitmachen.groups.models import Group, GroupProposal, JoinRequest
from mitmachen.groups.services import group_create
from mitmachen.people import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(world):
    user = world.users["duesseldorf_member"]
    contact = services.contact_create(organisation=world.kassel, actor=None, data={
        "first_name": "Mira", "email": "duesseldorf_member@example.org"})
    contact.user = user
    contact.save()
    return contact


def test_my_organisations_and_profile(world, login, member):
    client = login("duesseldorf_member")
    assert "Kassel" in client.get("/me/").content.decode()
    client.post("/me/kassel/", {"first_name": "Mira", "pronouns": "sie/ihr",
                                "phone": "0561 9201502", "language": "de"})
    member.refresh_from_db()
    assert member.pronouns == "sie/ihr" and member.phone == "+495619201502"
    response = client.post("/me/kassel/", {"first_name": "", "language": "de"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Mira"


def test_no_access_to_organisations_without_a_record(world, login, member):
    client = login("duesseldorf_member")
    assert client.get("/me/duesseldorf/").status_code == 404
    assert login("kassel_board").get("/me/kassel/").status_code == 404


def test_non_member_email_consent_needs_confirmation(world, login, member,
                                                     django_capture_on_commit_callbacks):
    client = login("duesseldorf_member")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/kassel/consent/", {"channel": "email", "purpose": "newsletter",
                                            "granted": "yes"})
    assert member not in selectors.reachable(world.kassel, "email", "newsletter")
    link = re.search(r"http://testserver(/consent/confirm/\S+/)", mail.outbox[0].body).group(1)
    client.post(link)
    assert member in selectors.reachable(world.kassel, "email", "newsletter")
    client.post("/me/kassel/consent/", {"channel": "email", "purpose": "newsletter",
                                        "granted": "no"})
    assert member not in selectors.reachable(world.kassel, "email", "newsletter")


def test_member_consent_counts_at_once_and_bad_values_change_nothing(world, login, member):
    services.status_change(contact=member, to_status="member", actor=None)
    client = login("duesseldorf_member")
    client.post("/me/kassel/consent/", {"channel": "email", "purpose": "invitations",
                                        "granted": "yes"})
    assert member in selectors.reachable(world.kassel, "email", "invitations")
    count = member.consents.count()
    client.post("/me/kassel/consent/", {"channel": "fax", "purpose": "invitations",
                                        "granted": "yes"})
    client.post("/me/kassel/consent/", {"channel": "email", "purpose": "x\x00",
                                        "granted": "yes"})
    assert member.consents.count() == count


def test_join_request_and_group_founding_through_the_pages(world, login, member):
    plenum = group_create(organisation=world.kassel, name="Offenes Plenum",
                          kind=Group.Kind.PLENUM, audience="open", actor=None)
    client = login("duesseldorf_member")
    client.post(f"/me/kassel/groups/{plenum.pk}/join/", {"message": "Hallo"})
    request = JoinRequest.objects.get()
    coordinator = login("kassel_groups")
    assert "Mira" in coordinator.get("/staff/kassel/groups/").content.decode()
    coordinator.post(f"/staff/kassel/groups/requests/{request.pk}/decide/",
                     {"decision": "accept"})
    assert plenum.members.filter(contact=member).exists()
    # Only members propose groups.
    client.post("/me/kassel/groups/propose/", {"name": "AG Klima", "kind": "working_group",
                                               "description": "Klimaschutz vor Ort"})
    assert not GroupProposal.objects.exists()
    services.status_change(contact=member, to_status="member", actor=None)
    client.post("/me/kassel/groups/propose/", {"name": "AG Klima", "kind": "working_group",
                                               "description": "Klimaschutz vor Ort"})
    proposal = GroupProposal.objects.get()
    assert login("kassel_groups").post(
        f"/staff/kassel/groups/proposals/{proposal.pk}/decide/",
        {"decision": "accept"}).status_code == 403
    login("kassel_board").post(f"/staff/kassel/groups/proposals/{proposal.pk}/decide/",
                               {"decision": "accept", "founding_members_needed": "2"})
    group = Group.objects.get(name="AG Klima")
    assert group.status == "founding" and group.founding_members_missing() == 1
    html = client.get("/me/kassel/").content.decode()
    assert "AG Klima" in html


def test_cannot_join_another_organisations_group(world, login, member):
    other = group_create(organisation=world.duesseldorf, name="Fremd", kind="plenum",
                         actor=None)
    response = login("duesseldorf_member").post(f"/me/kassel/groups/{other.pk}/join/")
    assert response.status_code == 404 and not JoinRequest.objects.exists()
