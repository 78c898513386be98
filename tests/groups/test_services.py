import pytest
from django.core.exceptions import ValidationError

from mitmachen.groups import services
from mitmachen.groups.models import Group, GroupMember, GroupProposal, JoinRequest
from mitmachen.people.services import contact_create

pytestmark = pytest.mark.django_db


def _contact(organisation, name):
    return contact_create(organisation=organisation, data={"first_name": name}, actor=None)


@pytest.fixture
def plenum(world):
    return services.group_create(organisation=world.kassel, name="FLINTA* Plenum",
                                 kind=Group.Kind.PLENUM, audience="open", actor=None)


def test_lifecycle_with_history(world, plenum):
    services.group_status_change(group=plenum, to_status="dormant", actor=None, reason="Pause")
    services.group_status_change(group=plenum, to_status="active", actor=None)
    services.group_status_change(group=plenum, to_status="dissolved", actor=None)
    steps = list(plenum.status_changes.order_by("id").values_list("from_status", "to_status"))
    assert steps == [("", "active"), ("active", "dormant"), ("dormant", "active"),
                     ("active", "dissolved")]
    with pytest.raises(ValidationError):
        services.group_status_change(group=plenum, to_status="active", actor=None)


def test_join_request_accepted_and_declined(world, plenum):
    anna, bert = _contact(world.kassel, "Anna"), _contact(world.kassel, "Bert")
    first = services.join_request_create(group=plenum, contact=anna, actor=None, message="Hallo")
    with pytest.raises(ValidationError):
        services.join_request_create(group=plenum, contact=anna, actor=None)
    services.join_request_decide(request=first, accept=True, actor=None)
    assert GroupMember.objects.filter(group=plenum, contact=anna).exists()
    with pytest.raises(ValidationError):
        services.join_request_decide(request=first, accept=False, actor=None)
    with pytest.raises(ValidationError):
        services.join_request_create(group=plenum, contact=anna, actor=None)
    second = services.join_request_create(group=plenum, contact=bert, actor=None)
    services.join_request_decide(request=second, accept=False, actor=None, answer="Voll")
    assert JoinRequest.objects.get(pk=second.pk).status == "declined"
    assert not GroupMember.objects.filter(group=plenum, contact=bert).exists()


def test_another_organisations_contact_cannot_join(world, plenum):
    stranger = _contact(world.duesseldorf, "Fremd")
    with pytest.raises(ValidationError):
        services.join_request_create(group=plenum, contact=stranger, actor=None)
    with pytest.raises(ValidationError):
        services.group_member_add(group=plenum, contact=stranger, actor=None)


def test_proposal_founds_a_group_that_activates_with_enough_members(world):
    anna = _contact(world.kassel, "Anna")
    proposal = services.group_propose(contact=anna, name="AG Mentale Gesundheit",
                                      description="Austausch", kind="working_group", actor=None)
    services.proposal_decide(proposal=proposal, accept=True, actor=None,
                             founding_members_needed=3)
    group = GroupProposal.objects.get(pk=proposal.pk).group
    assert group.status == "founding" and group.founding_members_missing() == 2
    assert GroupMember.objects.get(group=group, contact=anna).role == "coordinator"
    services.group_member_add(group=group, contact=_contact(world.kassel, "B"), actor=None)
    group.refresh_from_db()
    assert group.status == "founding" and group.founding_members_missing() == 1
    services.group_member_add(group=group, contact=_contact(world.kassel, "C"), actor=None)
    group.refresh_from_db()
    assert group.status == "active"
    with pytest.raises(ValidationError):
        services.proposal_decide(proposal=proposal, accept=False, actor=None)


def test_declined_proposal_founds_nothing(world):
    anna = _contact(world.kassel, "Anna")
    proposal = services.group_propose(contact=anna, name="AG X", description="x",
                                      kind="working_group", actor=None)
    services.proposal_decide(proposal=proposal, accept=False, actor=None)
    assert not Group.objects.filter(name="AG X").exists()


def test_members_only_groups_refuse_non_members(world):
    board = services.group_create(organisation=world.kassel, name="Vorstand", kind="board",
                                  audience="members", actor=None)
    anna = _contact(world.kassel, "Anna")
    with pytest.raises(ValidationError):
        services.join_request_create(group=board, contact=anna, actor=None)
    from mitmachen.people.services import status_change

    status_change(contact=anna, to_status="member", actor=None)
    services.join_request_create(group=board, contact=anna, actor=None)
