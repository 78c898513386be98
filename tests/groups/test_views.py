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
