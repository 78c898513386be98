"""API for elections: board and list elections with their quota rules, candidates, voting
(secret on the phones, or paper ballots counted by the tellers), counting and the result. For
the board or the assembly's chair; the voter's ballot is in api_participant.py.

The result comes from the services (rules.quota.allocate); here it is only shown. Candidates'
votes are counts, never ballots: nothing here leads from a ballot to a voter.
"""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema, Status

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Text
from mitmachen.assemblies import elections
from mitmachen.assemblies.api_base import (
    ERRORS,
    Id,
    Key,
    Whole,
    chair_assembly,
    item_reference,
    not_null,
    participant_reference,
    router,
    staff_candidate,
    staff_election,
)
from mitmachen.assemblies.models import Election, QuotaCategory

Votes = Whole(0, elections.MAX_VOTES)


# --- output ----------------------------------------------------------------------------------

class CandidateOut(Schema):
    id: int
    participant_id: int | None
    name: str
    category: str
    nominated: int
    votes: int
    place: int | None
    withdrawn: bool


class ElectionOut(Schema):
    id: int
    assembly_id: int
    item_id: int | None
    title: str
    kind: str
    seats: int
    reserved: str
    min_share: int
    fallback: str
    votes_per_ballot: int | None
    min_votes: int
    method: str
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    eligible_at_open: int | None
    ballots_cast: int
    ballots_invalid: int
    ballots_abstain: int
    candidates: list[CandidateOut]

    @staticmethod
    def resolve_ballots_cast(obj):
        return elections.ballots_cast_now(obj)

    @staticmethod
    def resolve_candidates(obj):
        return list(obj.candidates.all())


class ResultOut(Schema):
    election_id: int
    status: str
    counted: bool
    quota_met: bool | None
    places: list[dict]
    ties: list[list[dict]]
    tally: dict
    notes: list[str]  # free and released places with their reasons, in the caller's language


# --- input -----------------------------------------------------------------------------------

class ElectionIn(Schema):
    title: Text(200, 1)
    seats: Whole(1, 200)
    kind: Choice(Election.Kind) = Election.Kind.BOARD
    reserved: Choice(Election.Reserved) = Election.Reserved.NONE
    min_share: Whole(0, 100) = 0
    fallback: Choice(Election.Fallback) = Election.Fallback.VACANT
    method: Choice(Election.Method) = Election.Method.SECRET
    votes_per_ballot: Whole(1, 200) | None = None
    min_votes: Whole(1, elections.MAX_VOTES) = 1
    item_id: Id | None = None


class ElectionPatch(Schema):
    title: Text(200, 1) | None = None
    seats: Whole(1, 200) | None = None
    kind: Choice(Election.Kind) | None = None
    reserved: Choice(Election.Reserved) | None = None
    min_share: Whole(0, 100) | None = None
    fallback: Choice(Election.Fallback) | None = None
    method: Choice(Election.Method) | None = None
    votes_per_ballot: Whole(1, 200) | None = None
    min_votes: Whole(1, elections.MAX_VOTES) | None = None
    item_id: Id | None = None


class CandidateIn(Schema):
    participant_id: Id | None = None  # a participant counts for the quota as listed
    name: Text(200) = ""
    category: Choice(QuotaCategory) | Literal[""] = ""


class PaperIn(Schema):
    votes: Annotated[dict[Key, Votes], Field(max_length=elections.MAX_CANDIDATES)]
    ballots_cast: Votes
    invalid: Votes = 0
    abstain: Votes = 0


# --- operations ------------------------------------------------------------------------------

def _election_out(election: Election) -> Election:
    return Election.objects.prefetch_related("candidates").get(pk=election.pk)


@router.get("/assemblies/{assembly_id}/elections", response={200: list[ElectionOut],
            **ERRORS}, auth=bearer, summary="The elections of an assembly", tags=["elections"])
def election_list(request, assembly_id: int):
    assembly = chair_assembly(request, assembly_id)
    return list(Election.objects.filter(assembly=assembly).prefetch_related(
        "candidates").order_by("pk"))


@router.post("/assemblies/{assembly_id}/elections", response={201: ElectionOut, **ERRORS},
             auth=bearer, summary="A board or list election with its quota rules",
             tags=["elections"])
def election_create(request, assembly_id: int, payload: ElectionIn):
    assembly = chair_assembly(request, assembly_id)
    data = payload.dict()
    data["item"] = item_reference(assembly, data.pop("item_id"))
    election = elections.election_create(assembly=assembly, actor=request.user, **data)
    return Status(201, _election_out(election))


@router.get("/elections/{election_id}", response={200: ElectionOut, **ERRORS}, auth=bearer,
            summary="An election with its candidates", tags=["elections"])
def election_detail(request, election_id: int):
    return _election_out(staff_election(request, election_id))


@router.patch("/elections/{election_id}", response={200: ElectionOut, **ERRORS}, auth=bearer,
              summary="Change the settings while nominations are open", tags=["elections"])
def election_update(request, election_id: int, payload: ElectionPatch):
    election = staff_election(request, election_id)
    data = not_null(payload.dict(exclude_unset=True), "title", "seats", "kind", "reserved",
                    "min_share", "fallback", "method", "min_votes")
    if "item_id" in data:
        data["item"] = item_reference(election.assembly, data.pop("item_id"))
    return _election_out(elections.election_update(election=election, data=data,
                                                   actor=request.user))


@router.post("/elections/{election_id}/candidates", response={201: CandidateOut, **ERRORS},
             auth=bearer, summary="Nominate a participant, or anyone by name and category",
             tags=["elections"])
def candidate_add(request, election_id: int, payload: CandidateIn):
    election = staff_election(request, election_id)
    participant = participant_reference(election.assembly, payload.participant_id)
    candidate = elections.candidate_add(election=election, name=payload.name,
                                        category=payload.category, participant=participant,
                                        actor=request.user)
    return Status(201, candidate)


@router.post("/candidates/{candidate_id}/withdraw", response={200: CandidateOut, **ERRORS},
             auth=bearer, summary="Withdraw a candidacy (while nominations are open)",
             tags=["elections"])
def candidate_withdraw(request, candidate_id: int):
    return elections.candidate_withdraw(candidate=staff_candidate(request, candidate_id),
                                        actor=request.user)


@router.post("/elections/{election_id}/open", response={200: ElectionOut, **ERRORS},
             auth=bearer, summary="Open voting", tags=["elections"])
def election_open(request, election_id: int):
    election = staff_election(request, election_id)
    return _election_out(elections.election_open(election=election, actor=request.user))


@router.post("/elections/{election_id}/paper-results", response={200: ElectionOut, **ERRORS},
             auth=bearer, summary="The tellers' count of paper ballots (may be entered again "
             "until counted)", tags=["elections"])
def election_paper(request, election_id: int, payload: PaperIn):
    election = staff_election(request, election_id)
    return _election_out(elections.paper_result_enter(
        election=election, votes=dict(payload.votes), ballots_cast=payload.ballots_cast,
        invalid=payload.invalid, abstain=payload.abstain, actor=request.user))


@router.post("/elections/{election_id}/count", response={200: ElectionOut, **ERRORS},
             auth=bearer, summary="Close voting and compute the result with the quota rules",
             tags=["elections"])
def election_count(request, election_id: int):
    election = staff_election(request, election_id)
    return _election_out(elections.election_count(election=election, actor=request.user))


@router.get("/elections/{election_id}/result", response={200: ResultOut, **ERRORS},
            auth=bearer, summary="The places, the quota check and the tally check",
            tags=["elections"])
def election_result(request, election_id: int):
    election = staff_election(request, election_id)
    result = election.result or {}
    counted = election.status == Election.Status.COUNTED
    return {"election_id": election.pk, "status": election.status, "counted": counted,
            "quota_met": result.get("quota_met") if counted else None,
            "places": result.get("places", []) if counted else [],
            "ties": result.get("ties", []) if counted else [],
            "tally": result.get("tally", {}) if counted else {},
            "notes": elections.result_notes(election) if counted else []}
