"""Issue 3's flows over the API: an application, a consent grant through double opt-in, a
withdrawal, a join request and the founding of a group."""

import json
import re

import pytest
from django.core import mail

from mitmachen.groups.models import Group, GroupMember
from mitmachen.people import selectors
from mitmachen.people.models import Contact

pytestmark = pytest.mark.django_db


def _post(client, url, body, headers=None):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       **(headers or {}))


def _token_from_mail(pattern):
    return re.search(pattern + r"([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_flows_over_the_api(world, client, token_for, django_capture_on_commit_callbacks):
    # An application, confirmed by the token from the e-mail, accepted by the board.
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, f"/api/v1/organisations/{world.kassel.pk}/applications", {
            "first_name": "Clara", "last_name": "Neu", "email": "clara@example.org",
            "street": "Weg 2", "postcode": "34117", "city": "Kassel",
            "invitations_by_email": True, "privacy_accepted": True})
    assert response.status_code == 202
    token = _token_from_mail("/join/confirm/")
    assert _post(client, "/api/v1/application-confirmations",
                 {"token": token}).status_code == 200
    clara = Contact.objects.get(email="clara@example.org")
    assert clara.status == "applicant"
    board = token_for("kassel_board")
    response = _post(client, f"/api/v1/contacts/{clara.pk}/status",
                     {"status": "member", "membership_number": "KS-9"}, board)
    assert response.json()["status"] == "member"

    # A consent through double opt-in, then a withdrawal.
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, f"/api/v1/contacts/{clara.pk}/consent-requests",
              {"purpose": "newsletter", "text_version": "v1"}, board)
    opt_in = _token_from_mail("/consent/confirm/")
    assert _post(client, "/api/v1/consent-confirmations", {"token": opt_in}).status_code == 200
    assert clara in selectors.reachable(world.kassel, "email", "newsletter")
    _post(client, f"/api/v1/contacts/{clara.pk}/consents", {
        "channel": "email", "purpose": "newsletter", "granted": False, "text_version": "v1"},
        board)
    assert clara not in selectors.reachable(world.kassel, "email", "newsletter")

    # A join request by the member herself, accepted by the coordinator.
    from mitmachen.groups.services import group_create

    plenum = group_create(organisation=world.kassel, name="Plenum", kind="plenum",
                          audience="open", actor=None)
    clara.refresh_from_db()
    clara.user = world.users["duesseldorf_member"]
    clara.save(update_fields=["user"])
    member = token_for("duesseldorf_member", world.kassel)
    response = _post(client, f"/api/v1/groups/{plenum.pk}/join-requests", {"message": "Hi"},
                     member)
    assert response.status_code == 201, response.content
    request = response.json()
    _post(client, f"/api/v1/join-requests/{request['id']}/decision", {"accept": True},
          token_for("kassel_groups"))
    assert GroupMember.objects.filter(group=plenum, contact=clara).exists()

    # The founding of a group: proposed by the member, founded by the board.
    response = _post(client, f"/api/v1/organisations/{world.kassel.pk}/group-proposals",
                     {"name": "AG Wohnen", "description": "Mieten"}, member)
    assert response.status_code == 201, response.content
    proposal = response.json()
    decided = _post(client, f"/api/v1/group-proposals/{proposal['id']}/decision",
                    {"accept": True, "founding_members_needed": 2}, board).json()
    group = Group.objects.get(pk=decided["group_id"])
    assert group.status == "founding"
    public = client.get(f"/api/v1/groups/{group.pk}").json()
    assert public["founding_members_missing"] == 1


def test_a_member_token_reaches_only_the_members_own_record(world, client, token_for):
    from mitmachen.people.services import contact_create

    own = contact_create(organisation=world.kassel, data={"first_name": "Mira"}, actor=None)
    own.user = world.users["duesseldorf_member"]
    own.save()
    member = token_for("duesseldorf_member", world.kassel)
    other = contact_create(organisation=world.kassel, data={"first_name": "Other"}, actor=None)
    assert client.get(f"/api/v1/contacts/{other.pk}", **member).status_code == 404
    assert client.get(f"/api/v1/organisations/{world.kassel.pk}/contacts",
                      **member).status_code == 404
    response = _post(client, f"/api/v1/me/contacts/{other.pk}/consents",
                     {"channel": "post", "purpose": "invitations", "granted": True}, member)
    assert response.status_code == 404 and not other.consents.exists()
    mine = client.get("/api/v1/me/contacts", **member).json()
    assert [c["id"] for c in mine] == [own.pk]


def test_member_tokens_stay_in_their_organisation(world, client, token_for):
    from mitmachen.people.services import contact_create

    user = world.users["duesseldorf_member"]
    records = {}
    for organisation in (world.kassel, world.duesseldorf):
        records[organisation.slug] = contact_create(organisation=organisation, actor=None,
                                                    data={"first_name": "Mira"})
        records[organisation.slug].user = user
        records[organisation.slug].save(update_fields=["user"])
    kassel_token = token_for("duesseldorf_member", world.kassel)
    mine = client.get("/api/v1/me/contacts", **kassel_token).json()
    assert [c["id"] for c in mine] == [records["kassel"].pk]
    response = _post(client, f"/api/v1/me/contacts/{records['duesseldorf'].pk}/consents",
                     {"channel": "post", "purpose": "invitations", "granted": True},
                     kassel_token)
    assert response.status_code == 404 and not records["duesseldorf"].consents.exists()
