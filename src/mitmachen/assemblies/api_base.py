"""What every part of the assemblies API shares: the one router, the participant's key, and the
lookups that apply the same permissions as the staff pages.

Staff authenticate with their bearer token; the token's organisation bounds what they reach,
another organisation's ids answer 404 and a role without the permission 403. A participant acts
through their personal key in the `X-Participant-Token` header (the part after `/a/` in their
personal link), or a member through a bearer token of their own account; either only ever acts
as that one participant of that one assembly. The key travels in a header, never in the path:
the request log writes paths, and a 4xx would put the key into Django's log.
"""

from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router
from ninja.security import APIKeyHeader

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Error
from mitmachen.assemblies import access
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Candidate,
    Election,
    Motion,
    Participant,
    SpeakerRequest,
    Vote,
)
from mitmachen.core import permissions
from mitmachen.core.models import ApiToken
from mitmachen.core.roles import Perm
from mitmachen.organisations.models import Organisation

router = Router(tags=["assemblies"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


def Whole(low: int, high: int):  # noqa: N802  (reads like a type)
    """A whole number in a request body: a JSON number, not `true` and not `"3"`."""
    return Annotated[int, Field(ge=low, le=high, strict=True)]


Id = Whole(1, 2**63 - 1)
Key = Annotated[int, Field(ge=1, le=2**63 - 1)]  # an id as a JSON object's key: a string
Flag = Annotated[bool, Field(strict=True)]  # true or false, not "yes"


class ParticipantKey(APIKeyHeader):
    param_name = "X-Participant-Token"
    openapi_description = (
        "An assembly participant's personal key: the part after `/a/` in their personal link "
        "(invitation e-mail or letter). It acts only as that participant, only in that "
        "assembly. `/assemblies/{assembly_id}/me…` and `/assemblies/{assembly_id}/live` accept "
        "it, or instead a bearer token of the member's own account.")

    def authenticate(self, request, key):
        if not key:
            return None
        try:
            return access.participant_by_token(key)
        except ValidationError:
            return None


participant_key = ParticipantKey()
# The participant's own actions: their personal key, or their own account's token.
AS_PARTICIPANT = {"auth": [participant_key, bearer]}


# --- staff -----------------------------------------------------------------------------------

def in_scope(request, organisation: Organisation) -> None:
    """A token issued for one organisation reaches its subtree only; beyond it, 404."""
    scope = permissions.request_scope(request)
    if scope is not None and not organisation.path.startswith(scope.path):
        raise Http404


def staff_organisation(request, organisation_id: int, perm: str) -> Organisation:
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    permissions.require(request, perm, organisation)
    return organisation


def staff_assembly(request, assembly_id: int, perm: str = Perm.ASSEMBLY_MANAGE, *,
                   chair_ok: bool = False, minutes_ok: bool = False) -> Assembly:
    """The assembly, if the token may act on it as the pages allow (access.staff_assembly):
    `perm` in its organisation, or being its chair (chair_ok) or minute-taker (minutes_ok)."""
    assembly = get_object_or_404(
        Assembly.objects.select_related("event", "organisation", "current_item"),
        pk=assembly_id)
    in_scope(request, assembly.organisation)
    user = request.user
    if (chair_ok and access.can_chair(user, assembly)) or (
            minutes_ok and access.can_take_minutes(user, assembly)):
        return assembly
    permissions.require(request, perm, assembly.organisation)
    return assembly


def chair_assembly(request, assembly_id: int) -> Assembly:
    """The pages that run the session: the board, or the assembly's chair."""
    return staff_assembly(request, assembly_id, chair_ok=True)


def door_assembly(request, assembly_id: int) -> Assembly:
    """Check-in at the door: the door team (ASSEMBLY_CHECKIN), or the chair."""
    return staff_assembly(request, assembly_id, Perm.ASSEMBLY_CHECKIN, chair_ok=True)


def _part(request, queryset, pk: int, assembly_of, check) -> tuple:
    found = get_object_or_404(queryset, pk=pk)
    return found, check(request, assembly_of(found))


def staff_item(request, item_id: int, *, chair: bool = False) -> AgendaItem:
    item, assembly = _part(request, AgendaItem.objects.all(), item_id,
                           lambda i: i.assembly_id, chair_assembly if chair else staff_assembly)
    item.assembly = assembly
    return item


def staff_participant(request, participant_id: int) -> Participant:
    participant, assembly = _part(request, Participant.objects.all(), participant_id,
                                  lambda p: p.assembly_id, door_assembly)
    participant.assembly = assembly
    return participant


def staff_request(request, request_id: int) -> SpeakerRequest:
    found, _assembly = _part(request, SpeakerRequest.objects.select_related("item"), request_id,
                             lambda r: r.item.assembly_id, chair_assembly)
    return found


def staff_motion(request, motion_id: int) -> Motion:
    motion, assembly = _part(request, Motion.objects.all(), motion_id,
                             lambda m: m.assembly_id, chair_assembly)
    motion.assembly = assembly
    return motion


def staff_vote(request, vote_id: int) -> Vote:
    vote, assembly = _part(request, Vote.objects.all(), vote_id, lambda v: v.assembly_id,
                           chair_assembly)
    vote.assembly = assembly
    return vote


def staff_election(request, election_id: int) -> Election:
    election, assembly = _part(request, Election.objects.all(), election_id,
                               lambda e: e.assembly_id, chair_assembly)
    election.assembly = assembly
    return election


def staff_candidate(request, candidate_id: int) -> Candidate:
    candidate, _assembly = _part(request, Candidate.objects.select_related("election"),
                                 candidate_id, lambda c: c.election.assembly_id, chair_assembly)
    return candidate


# --- the participant themself ----------------------------------------------------------------

def me(request, assembly_id: int) -> Participant:
    """The participant acting: the personal key's, which must belong to this assembly, or the
    caller's own participation in it (a member's account). Anything else: 404."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, Participant):
        if auth.assembly_id != assembly_id:
            raise Http404
        return auth
    if not isinstance(auth, ApiToken):
        raise Http404
    assembly = get_object_or_404(Assembly.objects.select_related("event", "organisation"),
                                 pk=assembly_id)
    in_scope(request, assembly.organisation)
    participant = Participant.objects.filter(
        assembly=assembly, contact__user=request.user, contact__erased_at__isnull=True).first()
    if participant is None:
        raise Http404
    participant.assembly = assembly
    return participant


# --- references in request bodies ------------------------------------------------------------

def reference(queryset, pk, field: str, message: str):
    """The object `pk` of `queryset` (already limited to what may be chosen), None for None;
    anything else is the field's error, the same whether the id exists elsewhere or not."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: message})
    return found


def item_reference(assembly: Assembly, pk, field: str = "item_id"):
    return reference(AgendaItem.objects.filter(assembly=assembly), pk, field,
                     _("Choose an item of this assembly."))


def participant_reference(assembly: Assembly, pk, field: str = "participant_id"):
    return reference(Participant.objects.filter(assembly=assembly), pk, field,
                     _("Choose a participant of this assembly."))


def not_null(data: dict, *fields: str) -> dict:
    """A PATCH may leave a field out, but not blank a field that must have a value."""
    for name in fields:
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    return data


def site_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)
