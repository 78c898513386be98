import pytest

from mitmachen.core.models import AuditEntry
from mitmachen.groups.models import Group
from mitmachen.groups.services import group_create, join_request_create
from mitmachen.people.services import contact_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def plenum(world):
    return group_create(organisation=world.kassel, name="Plenum", kind=Group.Kind.PLENUM,
                        audience="open", actor=None)


def test_status_change_through_the_page(world, login, plenum):
    client = login("kassel_groups")
    client.post(f"/staff/kassel/groups/{plenum.pk}/status/", {"status": "dormant",
                                                              "reason": "Sommerpause"})
    plenum.refresh_from_db()
    assert plenum.status == "dormant"
    client.post(f"/staff/kassel/groups/{plenum.pk}/status/", {"status": "founding"})
    plenum.refresh_from_db()
    assert plenum.status == "dormant"
    assert "Sommerpause" in client.get(f"/staff/kassel/groups/{plenum.pk}/").content.decode()


def test_member_list_read_is_logged(world, login, plenum):
    login("kassel_board").get(f"/staff/kassel/groups/{plenum.pk}/")
    assert AuditEntry.objects.filter(action="view", object_id=str(plenum.pk)).exists()


@pytest.mark.parametrize("persona,status", [("kassel_treasurer", 403), ("duesseldorf_board", 404),
                                            (None, 302), ("kassel_groups", 302)])
def test_who_may_answer_join_requests(world, login, plenum, persona, status):
    anna = contact_create(organisation=world.kassel, data={"first_name": "Anna"}, actor=None)
    request = join_request_create(group=plenum, contact=anna, actor=None)
    response = login(persona).post(f"/staff/kassel/groups/requests/{request.pk}/decide/",
                                   {"decision": "accept"})
    assert response.status_code == status
    assert plenum.members.filter(contact=anna).exists() is (persona == "kassel_groups")


def test_another_organisations_group_is_404(world, login):
    other = group_create(organisation=world.duesseldorf, name="Fremd", kind="plenum", actor=None)
    client = login("kassel_board")
    assert client.get(f"/staff/kassel/groups/{other.pk}/").status_code == 404
    assert client.post(f"/staff/kassel/groups/{other.pk}/status/",
                       {"status": "dormant"}).status_code == 404
    other.refresh_from_db()
    assert other.status == "active"


def test_a_groups_own_coordinator_answers_its_requests(world, login, plenum, token_for):
    import json

    from mitmachen.groups.models import GroupMember
    from mitmachen.groups.services import group_member_add

    user = world.users["duesseldorf_member"]
    mira = contact_create(organisation=world.kassel, data={"first_name": "Mira"}, actor=None)
    mira.user = user
    mira.save(update_fields=["user"])
    group_member_add(group=plenum, contact=mira, actor=None, role="coordinator")
    other = group_create(organisation=world.kassel, name="Andere", kind="plenum",
                         audience="open", actor=None)
    anna = contact_create(organisation=world.kassel, data={"first_name": "Anna"}, actor=None)
    bert = contact_create(organisation=world.kassel, data={"first_name": "Bert"}, actor=None)
    mine = join_request_create(group=plenum, contact=anna, actor=None)
    theirs = join_request_create(group=other, contact=bert, actor=None)
    client = login("duesseldorf_member")
    html = client.get("/me/kassel/").content.decode()
    assert "Anna" in html and "Bert" not in html
    client.post(f"/me/kassel/requests/{mine.pk}/decide/", {"decision": "accept"})
    assert GroupMember.objects.filter(group=plenum, contact=anna).exists()
    assert client.post(f"/me/kassel/requests/{theirs.pk}/decide/",
                       {"decision": "accept"}).status_code == 404
    token = token_for("duesseldorf_member", world.kassel)
    response = client.post(f"/api/v1/join-requests/{theirs.pk}/decision",
                           data=json.dumps({"accept": True}), content_type="application/json",
                           **token)
    assert response.status_code == 404
    assert not GroupMember.objects.filter(group=other, contact=bert).exists()
