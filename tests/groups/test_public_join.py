import re

import pytest
from django.core import mail

from mitmachen.groups.models import Group, JoinRequest
from mitmachen.groups.services import group_create
from mitmachen.people.models import Contact

pytestmark = pytest.mark.django_db
FORM = {"first_name": "Lena", "email": "Lena@Example.org", "message": "Ich komme gern",
        "privacy": "on"}


@pytest.fixture
def plenum(world):
    return group_create(organisation=world.kassel, name="Offenes FLINTA* Plenum",
                        kind=Group.Kind.PLENUM, audience="open", actor=None)


def _ask(client, capture, group, **extra):
    with capture(execute=True):
        return client.post(f"/o/kassel/groups/{group.pk}/join/", {**FORM, **extra})


def test_visitor_asks_confirms_and_reaches_the_coordinators(world, client, login, plenum,
                                                             django_capture_on_commit_callbacks):
    assert f"/o/kassel/groups/{plenum.pk}/join/" in client.get("/o/kassel/").content.decode()
    response = _ask(client, django_capture_on_commit_callbacks, plenum)
    assert response.url == f"/o/kassel/groups/{plenum.pk}/join/sent/"
    request = JoinRequest.objects.get()
    assert request.status == "unconfirmed" and request.contact.email == "lena@example.org"
    coordinator = login("kassel_groups")
    assert "Lena" not in coordinator.get("/staff/kassel/groups/").content.decode()
    link = re.search(r"http://testserver(/groups/confirm/\S+/)", mail.outbox[0].body).group(1)
    client.get(link)
    assert JoinRequest.objects.get().status == "unconfirmed"  # a GET confirms nothing
    client.post(link)
    client.post(link)  # twice is harmless
    assert JoinRequest.objects.get().status == "pending"
    assert "Lena" in coordinator.get("/staff/kassel/groups/").content.decode()


def test_members_only_and_dissolved_groups_take_no_public_requests(world, client, plenum):
    board = group_create(organisation=world.kassel, name="Vorstand", kind="board",
                         audience="members", actor=None)
    assert client.get(f"/o/kassel/groups/{board.pk}/join/").status_code == 404
    Group.objects.filter(pk=plenum.pk).update(status="dissolved")
    assert client.get(f"/o/kassel/groups/{plenum.pk}/join/").status_code == 404
    other = group_create(organisation=world.duesseldorf, name="Fremd", kind="plenum",
                         audience="open", actor=None)
    assert client.get(f"/o/kassel/groups/{other.pk}/join/").status_code == 404


@pytest.mark.parametrize("bad", [{"email": ""}, {"email": "kaputt"}, {"privacy": ""},
                                 {"first_name": ""}, {"first_name": "L\x00"},
                                 {"message": "x" * 2001}])
def test_bad_requests_change_nothing(world, client, plenum, django_capture_on_commit_callbacks,
                                     bad):
    response = _ask(client, django_capture_on_commit_callbacks, plenum, **bad)
    assert response.status_code == 200 and b'role="alert"' in response.content
    assert not Contact.objects.exists() and not JoinRequest.objects.exists()
    assert not mail.outbox


def test_known_addresses_and_bots_get_the_usual_answer(world, client, plenum,
                                                       django_capture_on_commit_callbacks):
    _ask(client, django_capture_on_commit_callbacks, plenum)
    second = _ask(client, django_capture_on_commit_callbacks, plenum)
    assert second.url.endswith("/join/sent/") and Contact.objects.count() == 1
    bot = _ask(client, django_capture_on_commit_callbacks, plenum, website="spam",
               email="bot@example.org")
    assert bot.url.endswith("/join/sent/")
    assert not Contact.objects.filter(email="bot@example.org").exists()
