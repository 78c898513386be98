"""API for groups, join requests and proposals."""

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import permissions
from mitmachen.core.audit import audit_read
from mitmachen.core.roles import Perm
from mitmachen.groups import services
from mitmachen.groups.models import Group, GroupProposal, JoinRequest
from mitmachen.people.models import Contact

router = Router(tags=["groups"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


class GroupOut(Schema):
    id: int
    organisation_id: int
    name: str
    kind: str
    status: str
    audience: str
    description: str
    rhythm: str
    district_ids: list[int]
    founding_members_missing: int

    @staticmethod
    def resolve_district_ids(obj):
        return [d.pk for d in obj.districts.all()]

    @staticmethod
    def resolve_founding_members_missing(obj):
        return obj.founding_members_missing() if obj.status == Group.Status.FOUNDING else 0


class JoinRequestOut(Schema):
    id: int
    group_id: int
    contact_id: int
    message: str
    status: str
    answer: str


class JoinIn(Schema):
    message: Text(2000) = ""


class DecisionIn(Schema):
    accept: bool
    answer: Text(2000) = ""


class ProposalIn(Schema):
    name: Text(200, 1)
    kind: Choice(Group.Kind) = Group.Kind.WORKING_GROUP
    description: Text(5000, 1)


class ProposalOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    status: str
    group_id: int | None


class ProposalDecisionIn(Schema):
    accept: bool
    founding_members_needed: int = 3


class GroupStatusIn(Schema):
    status: Choice(Group.Status)
    reason: Text(300) = ""


def _public_groups():
    return (Group.objects.filter(visibility=Group.Visibility.PUBLIC,
                                 organisation__is_public=True)
            .exclude(status=Group.Status.DISSOLVED).prefetch_related("districts", "members"))


def _own_contact(request, organisation) -> Contact:
    """The caller's own record in the organisation; a member acts for themselves only."""
    return get_object_or_404(Contact, user=request.user, organisation=organisation,
                             erased_at__isnull=True)


def _scoped(request, organisation):
    # A token issued for another organisation must not reach this one.
    scope = permissions.request_scope(request)
    if scope is not None and not organisation.path.startswith(scope.path):
        from django.http import Http404

        raise Http404


@router.get("/organisations/{organisation_id}/groups", response=list[GroupOut],
            summary="An organisation's public groups")
@paginate(PageNumberPagination)
def group_list(request, organisation_id: int):
    return _public_groups().filter(organisation_id=organisation_id)


@router.get("/groups/{group_id}", response={200: GroupOut, 404: Error}, summary="One group")
def group_detail(request, group_id: int):
    return get_object_or_404(_public_groups(), pk=group_id)


@router.post("/groups/{group_id}/status", response={200: GroupOut, **ERRORS}, auth=bearer,
             summary="Change a group's status (being founded → active → dormant → dissolved)")
def group_status(request, group_id: int, payload: GroupStatusIn):
    group = get_object_or_404(Group.objects.select_related("organisation"), pk=group_id)
    permissions.require(request, Perm.GROUP_CHANGE, group.organisation)
    return services.group_status_change(group=group, to_status=payload.status,
                                        actor=request.user, reason=payload.reason)


@router.post("/groups/{group_id}/join-requests", response={201: JoinRequestOut, **ERRORS},
             auth=bearer, summary="Ask to join a group (for yourself)")
def join_request_create(request, group_id: int, payload: JoinIn):
    group = get_object_or_404(Group.objects.select_related("organisation"), pk=group_id)
    _scoped(request, group.organisation)
    contact = _own_contact(request, group.organisation)
    return Status(201, services.join_request_create(group=group, contact=contact,
                                                    actor=request.user,
                                                    message=payload.message))


@router.get("/organisations/{organisation_id}/join-requests",
            response={200: list[JoinRequestOut], **ERRORS}, auth=bearer,
            summary="Waiting join requests")
@paginate(PageNumberPagination)
def join_request_list(request, organisation_id: int):
    from mitmachen.organisations.models import Organisation

    organisation = get_object_or_404(Organisation, pk=organisation_id)
    permissions.require(request, Perm.GROUP_CHANGE, organisation)
    audit_read(actor=request.user, organisation=organisation, what="join requests (API)")
    return JoinRequest.objects.filter(group__organisation=organisation,
                                      status=JoinRequest.Status.PENDING)


@router.post("/join-requests/{request_id}/decision", response={200: JoinRequestOut, **ERRORS},
             auth=bearer, summary="Accept or decline a join request")
def join_request_decide(request, request_id: int, payload: DecisionIn):
    join_request = get_object_or_404(JoinRequest.objects.select_related("group__organisation"),
                                     pk=request_id)
    _scoped(request, join_request.group.organisation)
    if not services.may_decide_for(request.user, join_request.group):
        permissions.require(request, Perm.GROUP_CHANGE, join_request.group.organisation)
    return services.join_request_decide(request=join_request, accept=payload.accept,
                                        answer=payload.answer, actor=request.user)


@router.post("/organisations/{organisation_id}/group-proposals",
             response={201: ProposalOut, **ERRORS}, auth=bearer,
             summary="Propose a new group to the board (members)")
def proposal_create(request, organisation_id: int, payload: ProposalIn):
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from mitmachen.organisations.models import Organisation

    organisation = get_object_or_404(Organisation, pk=organisation_id)
    _scoped(request, organisation)
    contact = _own_contact(request, organisation)
    if contact.status != Contact.Status.MEMBER:
        raise ValidationError(_("Only members can propose a new group."))
    return Status(201, services.group_propose(contact=contact, actor=request.user,
                                              **payload.dict()))


@router.post("/group-proposals/{proposal_id}/decision", response={200: ProposalOut, **ERRORS},
             auth=bearer, summary="Found the proposed group, or decline")
def proposal_decide(request, proposal_id: int, payload: ProposalDecisionIn):
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    proposal = get_object_or_404(GroupProposal.objects.select_related("organisation"),
                                 pk=proposal_id)
    permissions.require(request, Perm.GROUP_FOUND, proposal.organisation)
    if not 1 <= payload.founding_members_needed <= 50:
        raise ValidationError({"founding_members_needed": _(
            "The number of founding members must be between 1 and 50.")})
    return services.proposal_decide(proposal=proposal, accept=payload.accept, actor=request.user,
                                    founding_members_needed=payload.founding_members_needed)
