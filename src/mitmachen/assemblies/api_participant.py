"""API for a participant's own actions in an assembly: their view of the session, asking to
speak, voting, casting a secret ballot, and submitting, supporting or withdrawing motions.

The participant is identified by their personal key in the `X-Participant-Token` header (the
part after `/a/` in their personal link), or by a bearer token of their own account (a member
whose contact is on the list). Either acts only as that one participant of that one assembly
(api_base.me); the services receive no staff actor, so nobody acts here with the chair's
rights. No answer echoes a choice: a secret vote shows nobody what was chosen.
"""

from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status

from mitmachen.api.schemas import Choice, Text
from mitmachen.assemblies import elections, motions, selectors, speakers, votes
from mitmachen.assemblies.api_base import AS_PARTICIPANT, ERRORS, Flag, Id, me, router
from mitmachen.assemblies.api_session import (
    MotionPublicOut,
    SpeakerOut,
    _motion_out,
    _motion_reference,
    _placed,
)
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Election,
    Motion,
    Participant,
    SpeakerRequest,
    Vote,
    VoteCast,
)
from mitmachen.core import throttle
from mitmachen.people.models import Contact

SPEAK_LIMIT = 60  # requests to speak per participant and address in 15 minutes, as the phone's


# --- output ----------------------------------------------------------------------------------

class DoneOut(Schema):
    detail: str


class MeParticipant(Schema):
    id: int
    name: str
    kind: str
    quota_category: str
    present: bool


class MeRequest(Schema):
    id: int
    kind: str
    place: int


class MeVote(Schema):
    id: int
    question: str
    method: str
    voted: bool
    refusal: str  # why the participant cannot vote now; "" when they can


class MeCandidate(Schema):
    id: int
    name: str
    category: str


class MeElection(Schema):
    id: int
    title: str
    seats: int
    votes_per_ballot: int
    voted: bool
    candidates: list[MeCandidate]


class MeOut(Schema):
    participant: MeParticipant
    assembly: dict
    item: dict | None
    requests: list[MeRequest]
    votes: list[MeVote]
    elections: list[MeElection]


# --- input -----------------------------------------------------------------------------------

class OwnRequestIn(Schema):
    kind: Choice(SpeakerRequest.Kind) = SpeakerRequest.Kind.REGULAR


class OwnMotionIn(Schema):
    title: Text(200, 1)
    text: Text(50000, 1)
    reasoning: Text(20000) = ""
    amends_id: Id | None = None


class ChoiceIn(Schema):
    choice: Literal["yes", "no", "abstain"]


class BallotIn(Schema):
    candidate_ids: Annotated[list[Id], Field(max_length=200)] = []
    abstain: Flag = False


# --- operations ------------------------------------------------------------------------------

def _own_item(participant: Participant) -> AgendaItem:
    item_id = Assembly.objects.filter(pk=participant.assembly_id).values_list(
        "current_item_id", flat=True).first()
    if item_id is None:
        raise ValidationError(_("No agenda item is under discussion."))
    return AgendaItem.objects.select_related("assembly").get(pk=item_id)


@router.get("/assemblies/{assembly_id}/me", response={200: MeOut, **ERRORS},
            summary="The participant's own view: presence, requests to speak, open ballots",
            tags=["participant"], **AS_PARTICIPANT)
def my_participation(request, assembly_id: int):
    participant = me(request, assembly_id)
    participant.refresh_from_db(fields=["present"])
    assembly = Assembly.objects.select_related("event", "organisation", "current_item").get(
        pk=participant.assembly_id)
    participant.assembly = assembly
    item, requests = assembly.current_item, []
    if item is not None:
        item.assembly = assembly
        requests = [{"id": r.pk, "kind": r.kind, "place": place}
                    for place, r in speakers.own_requests(item, participant)]
    open_votes = []
    for vote in Vote.objects.filter(assembly=assembly, status=Vote.Status.OPEN,
                                    method__in=votes.ON_PHONES).order_by("opened_at", "pk"):
        vote.assembly = assembly
        voted = VoteCast.objects.filter(vote=vote, participant=participant).exists()
        open_votes.append({"id": vote.pk, "question": vote.question, "method": vote.method,
                           "voted": voted,
                           "refusal": "" if voted else votes.may_vote(vote, participant)})
    ballots = [{"id": e.pk, "title": e.title, "seats": e.seats,
                "votes_per_ballot": e.votes_per_ballot or e.seats, "voted": e.voted,
                "candidates": list(e.candidates.filter(withdrawn=False))}
               for e in elections.open_for(participant)]
    return {"participant": participant,
            "assembly": {"id": assembly.pk, "title": assembly.event.title,
                         "status": assembly.status,
                         "starts_at": timezone.localtime(assembly.event.starts_at).isoformat()},
            "item": {"id": item.pk, "number": selectors.item_number(item), "title": item.title,
                     "list_closed": item.list_closed} if item is not None else None,
            "requests": requests, "votes": open_votes, "elections": ballots}


@router.post("/assemblies/{assembly_id}/me/speaker-requests",
             response={201: SpeakerOut, **ERRORS},
             summary="Ask to speak on the item under discussion", tags=["participant"],
             **AS_PARTICIPANT)
def my_speaker_request(request, assembly_id: int, payload: OwnRequestIn):
    participant = me(request, assembly_id)
    if throttle.form_limited(request, f"assembly-speak:{participant.pk}", SPEAK_LIMIT):
        raise ValidationError(_("Too many requests from this phone. Please wait a few "
                                "minutes."))
    created = speakers.speaker_request(item=_own_item(participant), participant=participant,
                                       kind=payload.kind, actor=None)
    return Status(201, _placed(created))


@router.post("/assemblies/{assembly_id}/me/speaker-requests/{request_id}/withdraw",
             response={200: SpeakerOut, **ERRORS}, summary="Withdraw one's own request",
             tags=["participant"], **AS_PARTICIPANT)
def my_speaker_withdraw(request, assembly_id: int, request_id: int):
    participant = me(request, assembly_id)
    own = get_object_or_404(SpeakerRequest, pk=request_id, participant=participant)
    return speakers.speaker_withdraw(request=own, participant=participant)


@router.post("/assemblies/{assembly_id}/me/votes/{vote_id}", response={200: DoneOut,
             **ERRORS}, summary="Vote yes, no or abstain (present voters, once)",
             tags=["participant"], **AS_PARTICIPANT)
def my_vote(request, assembly_id: int, vote_id: int, payload: ChoiceIn):
    participant = me(request, assembly_id)
    vote = get_object_or_404(Vote, pk=vote_id, assembly_id=participant.assembly_id)
    votes.vote_cast(vote=vote, participant=participant, choice=payload.choice)
    # Deliberately no echo of the choice: a secret vote shows nobody what was chosen.
    return {"detail": _("Your vote was counted.")}


@router.post("/assemblies/{assembly_id}/me/elections/{election_id}/ballot",
             response={200: DoneOut, **ERRORS},
             summary="Cast a secret ballot: candidate ids, or abstain", tags=["participant"],
             **AS_PARTICIPANT)
def my_ballot(request, assembly_id: int, election_id: int, payload: BallotIn):
    participant = me(request, assembly_id)
    election = get_object_or_404(Election, pk=election_id, assembly_id=participant.assembly_id)
    elections.ballot_cast(election=election, participant=participant,
                          candidate_ids=list(payload.candidate_ids), abstain=payload.abstain)
    return {"detail": _("Your vote was counted.")}


def _limit(request, participant: Participant) -> None:
    """Motion actions are counted like the phone page's, under the same key."""
    if throttle.form_limited(request, motions.throttle_key(participant),
                             motions.PARTICIPANT_ACTIONS):
        raise ValidationError(_("Too many requests from this phone. Please wait a few "
                                "minutes."))


def _my_contact(participant: Participant) -> Contact:
    if participant.contact_id is None:
        raise ValidationError(_("Only members of the organisation can do this."))
    return Contact.objects.get(pk=participant.contact_id)


def _my_motion(participant: Participant, motion_id: int) -> Motion:
    motion = get_object_or_404(Motion, pk=motion_id, assembly_id=participant.assembly_id)
    motion.assembly = participant.assembly
    return motion


@router.post("/assemblies/{assembly_id}/me/motions", response={201: MotionPublicOut,
             **ERRORS}, summary="Submit a motion or an amendment (voting members)",
             tags=["participant"], **AS_PARTICIPANT)
def my_motion_submit(request, assembly_id: int, payload: OwnMotionIn):
    participant = me(request, assembly_id)
    _limit(request, participant)
    if participant.kind != Participant.Kind.VOTER or participant.contact_id is None:
        raise ValidationError(_("Only voting members can submit motions."))
    assembly = participant.assembly
    motion = motions.motion_submit(
        assembly=assembly, title=payload.title, text=payload.text, reasoning=payload.reasoning,
        submitter=_my_contact(participant), actor=None, by_member=True,
        amends=_motion_reference(assembly, payload.amends_id))
    return Status(201, _motion_out(motion))


@router.post("/assemblies/{assembly_id}/me/motions/{motion_id}/support",
             response={200: MotionPublicOut, **ERRORS}, summary="Support a motion",
             tags=["participant"], **AS_PARTICIPANT)
def my_motion_support(request, assembly_id: int, motion_id: int):
    participant = me(request, assembly_id)
    _limit(request, participant)
    motion = _my_motion(participant, motion_id)
    motions.motion_support(motion=motion, contact=_my_contact(participant), actor=None)
    return _motion_out(motion)


@router.delete("/assemblies/{assembly_id}/me/motions/{motion_id}/support",
               response={200: MotionPublicOut, **ERRORS}, summary="No longer support a motion",
               tags=["participant"], **AS_PARTICIPANT)
def my_motion_unsupport(request, assembly_id: int, motion_id: int):
    participant = me(request, assembly_id)
    _limit(request, participant)
    motion = _my_motion(participant, motion_id)
    motions.motion_unsupport(motion=motion, contact=_my_contact(participant), actor=None)
    return _motion_out(motion)


@router.post("/assemblies/{assembly_id}/me/motions/{motion_id}/withdraw",
             response={200: MotionPublicOut, **ERRORS},
             summary="Withdraw one's own motion", tags=["participant"], **AS_PARTICIPANT)
def my_motion_withdraw(request, assembly_id: int, motion_id: int):
    participant = me(request, assembly_id)
    _limit(request, participant)
    motion = _my_motion(participant, motion_id)
    return _motion_out(motions.motion_withdraw(motion=motion, actor=None,
                                               contact=_my_contact(participant)))
