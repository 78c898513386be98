"""API for the session: the speakers' list, motions and votes, for the board or the chair
named on the assembly (the board's recommendation on a motion: the board only). Elections are
in api_elections.py, the participant's own actions in api_participant.py.

Secret ballots stay secret here too: no operation returns who voted what. Staff see counts and
how many have voted, never the VoteCast rows.
"""

from datetime import datetime
from typing import Literal

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Text
from mitmachen.assemblies import motions, speakers, votes
from mitmachen.assemblies.api_base import (
    ERRORS,
    Id,
    Whole,
    chair_assembly,
    item_reference,
    not_null,
    participant_reference,
    reference,
    router,
    staff_assembly,
    staff_item,
    staff_motion,
    staff_request,
    staff_vote,
)
from mitmachen.assemblies.models import (
    AgendaItem,
    Majority,
    Motion,
    Resolution,
    SpeakerRequest,
    Vote,
    VoteCast,
)
from mitmachen.core.audit import audit_read
from mitmachen.people.models import Contact

Reason = Text(speakers.REASON_MAX)
Tally = Whole(0, votes.MAX_COUNT)


# --- output ----------------------------------------------------------------------------------

class SpeakerOut(Schema):
    id: int
    item_id: int
    participant_id: int
    name: str = Field(..., alias="participant.name")
    kind: str
    category: str
    first_time: bool
    status: str
    pinned: int | None
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    place: int | None  # in the queue, 1 = next; None when not waiting

    @staticmethod
    def resolve_place(obj):
        return getattr(obj, "place", None)


class SpeechOut(Schema):
    request: SpeakerOut
    allowed: int  # seconds, with the chair's extensions
    ends_at: datetime
    left: int     # seconds; negative when over time


class QueueOut(Schema):
    item_id: int
    list_closed: bool
    speech: SpeechOut | None
    queue: list[SpeakerOut]


class NextOut(Schema):
    speaking: SpeakerOut | None


class MotionPublicOut(Schema):
    id: int
    assembly_id: int
    number: str
    title: str
    text: str
    reasoning: str
    submitter_name: str
    item_id: int | None
    amends_id: int | None
    status: str
    recommendation: str
    recommendation_text: str
    supporters: int
    created_at: datetime

    @staticmethod
    def resolve_supporters(obj):
        count = getattr(obj, "n_supporters", None)
        return count if count is not None else obj.supporters.count()


class MotionOut(MotionPublicOut):
    submitter_id: int | None  # the contact, for staff


class SupporterOut(Schema):
    contact_id: int
    name: str = Field(..., alias="contact.full_name")
    created_at: datetime


class MotionDetailOut(MotionOut):
    supporter_list: list[SupporterOut]

    @staticmethod
    def resolve_supporter_list(obj):
        return getattr(obj, "supporter_list", [])


class VoteOut(Schema):
    id: int
    assembly_id: int
    item_id: int | None
    motion_id: int | None
    subject: str
    question: str
    method: str
    majority: str
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    eligible_at_open: int | None
    cast: int | None  # how many have voted on the phones so far; None for a count in the hall
    yes: int
    no: int
    abstain: int
    adopted: bool | None
    explanation: str
    resolution: str | None  # its number in the register

    @staticmethod
    def resolve_cast(obj):
        if obj.method not in votes.ON_PHONES:
            return None
        count = getattr(obj, "n_cast", None)
        return count if count is not None else VoteCast.objects.filter(vote=obj).count()

    @staticmethod
    def resolve_explanation(obj):
        return votes.explanation(obj)

    @staticmethod
    def resolve_resolution(obj):
        return Resolution.objects.filter(vote=obj).values_list("number", flat=True).first()


# --- input -----------------------------------------------------------------------------------

class StaffRequestIn(Schema):
    participant_id: Id
    kind: Choice(SpeakerRequest.Kind) = SpeakerRequest.Kind.REGULAR


class ReasonIn(Schema):
    reason: Reason = ""


class ExtendIn(Schema):
    seconds: Whole(1, speakers.EXTEND_MAX)


class MotionIn(Schema):
    title: Text(200, 1)
    text: Text(50000, 1)
    reasoning: Text(20000) = ""
    submitter_id: Id | None = None  # a member's contact; or name the submitters instead
    submitter_name: Text(200) = ""
    amends_id: Id | None = None
    item_id: Id | None = None


class MotionPatch(Schema):
    title: Text(200, 1) | None = None
    text: Text(50000, 1) | None = None
    reasoning: Text(20000) | None = None
    submitter_name: Text(200, 1) | None = None
    item_id: Id | None = None


class SupporterIn(Schema):
    contact_id: Id


class RecommendIn(Schema):
    recommendation: Choice(Motion.Recommendation)
    text: Text(5000) = ""


class MotionStatusIn(Schema):
    status: Literal[Motion.Status.ADMITTED.value, Motion.Status.REFERRED.value]


class VoteIn(Schema):
    method: Choice(Vote.Method)
    majority: Choice(Majority) = Majority.SIMPLE
    subject: Choice(Vote.Subject) | None = None  # default: the motion's, or another question
    question: Text(500) = ""
    motion_id: Id | None = None
    item_id: Id | None = None


class CountsIn(Schema):
    yes: Tally
    no: Tally
    abstain: Tally


# --- helpers ---------------------------------------------------------------------------------

def _queue(item: AgendaItem) -> dict:
    waiting = speakers.queue(item)
    for place, request in enumerate(waiting, start=1):
        request.place = place
    return {"item_id": item.pk, "list_closed": item.list_closed,
            "speech": speakers.speech(item), "queue": waiting}


def _placed(request: SpeakerRequest) -> SpeakerRequest:
    item = AgendaItem.objects.select_related("assembly").get(pk=request.item_id)
    request.place = next((place for place, waiting in enumerate(speakers.queue(item), start=1)
                          if waiting.pk == request.pk), None)
    return request


def _fresh_item(item: AgendaItem) -> AgendaItem:
    return AgendaItem.objects.select_related("assembly").get(pk=item.pk)


def _motion_out(motion: Motion) -> Motion:
    return Motion.objects.annotate(n_supporters=Count("supporters")).get(pk=motion.pk)


def _vote_out(vote: Vote) -> Vote:
    return Vote.objects.annotate(n_cast=Count("casts")).get(pk=vote.pk)


def _contact_reference(assembly, pk, field: str):
    return reference(Contact.objects.filter(organisation=assembly.organisation,
                                            erased_at__isnull=True), pk, field,
                     _("Choose a member of this organisation."))


def _motion_reference(assembly, pk, field: str = "amends_id"):
    return reference(Motion.objects.filter(assembly=assembly), pk, field,
                     _("Choose a motion of this assembly."))


# --- the speakers' list (the chair) ----------------------------------------------------------

@router.get("/agenda-items/{item_id}/speakers", response={200: QueueOut, **ERRORS},
            auth=bearer, summary="Who speaks, and the waiting list in the order the rules "
            "compute", tags=["speakers"])
def speaker_queue(request, item_id: int):
    return _queue(staff_item(request, item_id, chair=True))


@router.post("/agenda-items/{item_id}/speakers", response={201: SpeakerOut, **ERRORS},
             auth=bearer, summary="Put a present participant on the list (for someone "
             "without a phone)", tags=["speakers"])
def speaker_add(request, item_id: int, payload: StaffRequestIn):
    item = staff_item(request, item_id, chair=True)
    participant = participant_reference(item.assembly, payload.participant_id)
    created = speakers.speaker_request(item=item, participant=participant, kind=payload.kind,
                                       actor=request.user)
    return Status(201, _placed(created))


@router.post("/agenda-items/{item_id}/speakers/next", response={200: NextOut, **ERRORS},
             auth=bearer, summary="End the current speech and call the next by the rules",
             tags=["speakers"])
def speaker_next(request, item_id: int):
    item = staff_item(request, item_id, chair=True)
    return {"speaking": speakers.speaker_next(item=item, actor=request.user)}


@router.post("/agenda-items/{item_id}/speakers/end", response={200: SpeakerOut, **ERRORS},
             auth=bearer, summary="End the current speech without calling anyone",
             tags=["speakers"])
def speaker_end(request, item_id: int):
    item = staff_item(request, item_id, chair=True)
    return speakers.speaker_end(item=item, actor=request.user)


@router.post("/agenda-items/{item_id}/speakers/extend", response={200: QueueOut, **ERRORS},
             auth=bearer, summary="Give the current speaker extra time", tags=["speakers"])
def speaker_extend(request, item_id: int, payload: ExtendIn):
    item = staff_item(request, item_id, chair=True)
    speakers.speaker_extend(item=item, seconds=payload.seconds, actor=request.user)
    return _queue(_fresh_item(item))


@router.post("/agenda-items/{item_id}/speakers/close", response={200: QueueOut, **ERRORS},
             auth=bearer, summary="Close the list (points of order still get on)",
             tags=["speakers"])
def speaker_list_close(request, item_id: int, payload: ReasonIn):
    item = staff_item(request, item_id, chair=True)
    return _queue(speakers.list_close(item=item, actor=request.user, reason=payload.reason))


@router.post("/agenda-items/{item_id}/speakers/reopen", response={200: QueueOut, **ERRORS},
             auth=bearer, summary="Reopen the list (a reason is recorded)", tags=["speakers"])
def speaker_list_reopen(request, item_id: int, payload: ReasonIn):
    item = staff_item(request, item_id, chair=True)
    return _queue(speakers.list_reopen(item=item, actor=request.user, reason=payload.reason))


@router.post("/speaker-requests/{request_id}/withdraw", response={200: SpeakerOut, **ERRORS},
             auth=bearer, summary="Take a waiting request off the list (the chair; reason "
             "required, logged)", tags=["speakers"])
def speaker_withdraw(request, request_id: int, payload: ReasonIn):
    # The chair taking someone else's request off the list is a removal: with a reason and a
    # ChairAction, as /remove. Only the participant withdraws without a reason (/me/...).
    return speakers.speaker_remove(request=staff_request(request, request_id),
                                   actor=request.user, reason=payload.reason)


@router.post("/speaker-requests/{request_id}/pin", response={200: SpeakerOut, **ERRORS},
             auth=bearer, summary="The chair's override: call this request next (reason "
             "required, logged)", tags=["speakers"])
def speaker_pin(request, request_id: int, payload: ReasonIn):
    pinned = speakers.speaker_pin(request=staff_request(request, request_id),
                                  actor=request.user, reason=payload.reason)
    return _placed(pinned)


@router.post("/speaker-requests/{request_id}/remove", response={200: SpeakerOut, **ERRORS},
             auth=bearer, summary="Strike a request from the list (reason required, logged)",
             tags=["speakers"])
def speaker_remove(request, request_id: int, payload: ReasonIn):
    return speakers.speaker_remove(request=staff_request(request, request_id),
                                   actor=request.user, reason=payload.reason)


# --- motions (the chair; the recommendation: the board) --------------------------------------

@router.get("/assemblies/{assembly_id}/motions", response={200: list[MotionOut], **ERRORS},
            auth=bearer, summary="The motions and amendments, in order of submission",
            tags=["motions"])
@paginate(PageNumberPagination)
def motion_list(request, assembly_id: int, status: Choice(Motion.Status) | None = None):
    assembly = chair_assembly(request, assembly_id)
    found = Motion.objects.filter(assembly=assembly).annotate(
        n_supporters=Count("supporters")).order_by("pk")
    return found.filter(status=status) if status else found


@router.post("/assemblies/{assembly_id}/motions", response={201: MotionOut, **ERRORS},
             auth=bearer, summary="Enter a motion or an amendment (amends_id)",
             tags=["motions"])
def motion_submit(request, assembly_id: int, payload: MotionIn):
    assembly = chair_assembly(request, assembly_id)
    motion = motions.motion_submit(
        assembly=assembly, title=payload.title, text=payload.text,
        reasoning=payload.reasoning,
        submitter=_contact_reference(assembly, payload.submitter_id, "submitter_id"),
        submitter_name=payload.submitter_name, actor=request.user,
        amends=_motion_reference(assembly, payload.amends_id),
        item=item_reference(assembly, payload.item_id))
    return Status(201, _motion_out(motion))


@router.get("/motions/{motion_id}", response={200: MotionDetailOut, **ERRORS}, auth=bearer,
            summary="A motion with its supporters (personal data, logged)", tags=["motions"])
def motion_detail(request, motion_id: int):
    motion = staff_motion(request, motion_id)
    found = _motion_out(motion)
    found.supporter_list = list(found.supporters.select_related("contact").order_by(
        "created_at", "pk"))
    if found.supporter_list:
        audit_read(actor=request.user, obj=found, organisation=motion.assembly.organisation,
                   what=f"supporters of motion {found.number} ({motion.assembly}) (API)"[:200])
    return found


@router.patch("/motions/{motion_id}", response={200: MotionOut, **ERRORS}, auth=bearer,
              summary="Correct a motion's wording before it is decided", tags=["motions"])
def motion_update(request, motion_id: int, payload: MotionPatch):
    motion = staff_motion(request, motion_id)
    data = not_null(payload.dict(exclude_unset=True), "title", "text", "reasoning",
                    "submitter_name")
    if "item_id" in data:
        data["item"] = item_reference(motion.assembly, data.pop("item_id"))
    return _motion_out(motions.motion_update(motion=motion, data=data, actor=request.user))


@router.post("/motions/{motion_id}/supporters", response={200: MotionOut, **ERRORS},
             auth=bearer, summary="Record a member's support (e.g. from a signed list)",
             tags=["motions"])
def motion_support(request, motion_id: int, payload: SupporterIn):
    motion = staff_motion(request, motion_id)
    contact = _contact_reference(motion.assembly, payload.contact_id, "contact_id")
    motions.motion_support(motion=motion, contact=contact, actor=request.user)
    return _motion_out(motion)


@router.post("/motions/{motion_id}/recommendation", response={200: MotionOut, **ERRORS},
             auth=bearer, summary="The board's recommendation", tags=["motions"])
def motion_recommend(request, motion_id: int, payload: RecommendIn):
    motion = get_object_or_404(Motion, pk=motion_id)
    motion.assembly = staff_assembly(request, motion.assembly_id)  # the board, not the chair
    return _motion_out(motions.motion_recommend(motion=motion,
                                                recommendation=payload.recommendation,
                                                text=payload.text, actor=request.user))


@router.post("/motions/{motion_id}/status", response={200: MotionOut, **ERRORS}, auth=bearer,
             summary="Admit a motion to the vote, or refer it", tags=["motions"])
def motion_status(request, motion_id: int, payload: MotionStatusIn):
    motion = staff_motion(request, motion_id)
    return _motion_out(motions.motion_status_change(motion=motion, status=payload.status,
                                                    actor=request.user))


@router.post("/motions/{motion_id}/withdraw", response={200: MotionOut, **ERRORS},
             auth=bearer, summary="Withdraw a motion (the chair); its amendments fall with it",
             tags=["motions"])
def motion_withdraw(request, motion_id: int):
    motion = staff_motion(request, motion_id)
    return _motion_out(motions.motion_withdraw(motion=motion, actor=request.user))


# --- votes (the chair) -----------------------------------------------------------------------

@router.get("/assemblies/{assembly_id}/votes", response={200: list[VoteOut], **ERRORS},
            auth=bearer, summary="The votes of an assembly", tags=["votes"])
def vote_list(request, assembly_id: int):
    assembly = chair_assembly(request, assembly_id)
    return list(Vote.objects.filter(assembly=assembly).annotate(
        n_cast=Count("casts")).order_by("pk"))


@router.post("/assemblies/{assembly_id}/votes", response={201: VoteOut, **ERRORS},
             auth=bearer, summary="Prepare a vote: on a motion, the discharge, or a question",
             tags=["votes"])
def vote_create(request, assembly_id: int, payload: VoteIn):
    assembly = chair_assembly(request, assembly_id)
    vote = votes.vote_create(
        assembly=assembly, question=payload.question, method=payload.method,
        majority=payload.majority, subject=payload.subject, actor=request.user,
        motion=_motion_reference(assembly, payload.motion_id, "motion_id"),
        item=item_reference(assembly, payload.item_id))
    return Status(201, _vote_out(vote))


@router.get("/votes/{vote_id}", response={200: VoteOut, **ERRORS}, auth=bearer,
            summary="A vote with its counts and outcome", tags=["votes"])
def vote_detail(request, vote_id: int):
    return _vote_out(staff_vote(request, vote_id))


@router.delete("/votes/{vote_id}", response={204: None, **ERRORS}, auth=bearer,
               summary="Delete a vote prepared by mistake (not once opened)", tags=["votes"])
def vote_delete(request, vote_id: int):
    votes.vote_delete(vote=staff_vote(request, vote_id), actor=request.user)
    return Status(204, None)


@router.post("/votes/{vote_id}/open", response={200: VoteOut, **ERRORS}, auth=bearer,
             summary="Open voting (phones accept votes of present voters from now on)",
             tags=["votes"])
def vote_open(request, vote_id: int):
    return _vote_out(votes.vote_open(vote=staff_vote(request, vote_id), actor=request.user))


@router.post("/votes/{vote_id}/counts", response={200: VoteOut, **ERRORS}, auth=bearer,
             summary="Enter the count of a show of hands or of voting cards", tags=["votes"])
def vote_counts(request, vote_id: int, payload: CountsIn):
    vote = staff_vote(request, vote_id)
    return _vote_out(votes.vote_count_enter(vote=vote, yes=payload.yes, no=payload.no,
                                            abstain=payload.abstain, actor=request.user))


@router.post("/votes/{vote_id}/close", response={200: VoteOut, **ERRORS}, auth=bearer,
             summary="Close, count, decide by the majority rule and record the resolution",
             tags=["votes"])
def vote_close(request, vote_id: int):
    return _vote_out(votes.vote_close(vote=staff_vote(request, vote_id), actor=request.user))
