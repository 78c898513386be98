"""API for assemblies: calling one (from an event of kind assembly), the statutes, the agenda,
who takes part and who is in the hall, the invitations and their proof, the live state, the
register of resolutions and the minutes. The session (speakers, motions, votes:
api_session.py; elections: api_elections.py) and the participant's own actions
(api_participant.py) register on the same router, defined in api_base.py.

The permissions are the pages': the board (ASSEMBLY_MANAGE) prepares, the chair named on the
assembly runs the session, the door team (ASSEMBLY_CHECKIN) checks people in, the minute-taker
edits the minutes. Reads of personal data (participants, attendance, the proof of invitation,
the minutes) are logged as on the pages. The minutes' PDF stays a page.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AfterValidator

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Text
from mitmachen.assemblies import (
    access,
    livestate,
    selectors,
    services,
)
from mitmachen.assemblies import minutes as minutes_service
from mitmachen.assemblies.api_base import (
    AS_PARTICIPANT,
    ERRORS,
    Flag,
    Id,
    Whole,
    chair_assembly,
    in_scope,
    item_reference,
    me,
    not_null,
    reference,
    router,
    site_url,
    staff_assembly,
    staff_item,
    staff_organisation,
)
from mitmachen.assemblies.forms import people_of
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyRules,
    Minutes,
    Participant,
    Resolution,
)
from mitmachen.core import permissions
from mitmachen.core.audit import audit_read
from mitmachen.core.roles import Perm
from mitmachen.events.models import Event


def _plausible(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("a date between 1900 and 2200, please")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
LeadDays = Whole(0, 365)
ReminderDays = Whole(0, 60)
QuorumValue = Whole(0, 1_000_000)
SpeakingSeconds = Whole(10, 3600)
Estimate = Whole(0, 600)


# --- output ----------------------------------------------------------------------------------

class RulesOut(Schema):
    organisation_id: int
    lead_days: int
    reminder_days: int
    quorum_kind: str
    quorum_value: int
    alternate: bool
    first_time_first: bool
    speaking_seconds: int


class AssemblyOut(Schema):
    id: int
    organisation: str
    organisation_id: int
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    reference_date: date
    chair_id: int | None
    minute_taker_id: int | None
    lead_days: int
    reminder_days: int
    quorum_kind: str
    quorum_value: int
    alternate: bool
    first_time_first: bool
    speaking_seconds: int
    invitation_text: str
    invited_at: datetime | None
    reminded_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    current_item_id: int | None
    live_version: int
    lead_time_warning: str
    projector_url: str

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.slug

    @staticmethod
    def resolve_title(obj):
        return obj.event.title

    @staticmethod
    def resolve_starts_at(obj):
        return timezone.localtime(obj.event.starts_at)

    @staticmethod
    def resolve_ends_at(obj):
        return obj.event.ends_at and timezone.localtime(obj.event.ends_at)

    @staticmethod
    def resolve_lead_time_warning(obj):
        from mitmachen.assemblies.views import lead_warning

        return lead_warning(obj)

    @staticmethod
    def resolve_projector_url(obj):
        # Only the board and the chair read this schema: the hall's screen is theirs to set up.
        return site_url("assemblies:projector", obj.pk, access.projector_token(obj))


class DocumentOut(Schema):
    id: int
    title: str
    content_type: str
    size: int
    url: str


class ItemOut(Schema):
    id: int
    number: str
    parent_id: int | None
    position: int
    title: str
    description: str
    kind: str
    minutes_estimate: int | None
    status: str
    list_closed: bool
    notes: str
    documents: list[DocumentOut]

    @staticmethod
    def resolve_number(obj):
        number = getattr(obj, "number", None)
        return number if number is not None else selectors.item_number(obj)

    @staticmethod
    def resolve_documents(obj):
        slug, assembly_id = obj.assembly.organisation.slug, obj.assembly_id
        return [{"id": d.pk, "title": d.title, "content_type": d.content_type, "size": d.size,
                 "url": site_url("assemblies:document", slug, assembly_id, d.pk)}
                for d in obj.documents.all()]


class ResolutionOut(Schema):
    id: int
    number: str
    title: str
    text: str
    decided_on: date
    result: str
    assembly_id: int | None
    vote_id: int | None


class MinutesOut(Schema):
    assembly_id: int
    text: str
    generated_at: datetime
    edited_by_id: int | None
    approved_at: datetime | None
    updated_at: datetime


class LiveOut(Schema):
    """The live view's document (livestate.state): codes, numbers and the names of those who
    asked to speak; never a choice in a vote."""

    version: int
    rendered_at: str
    assembly: dict
    item: dict | None
    speaker: dict | None
    queue: list[dict]
    quorum: dict
    ballots: list[dict]


# --- input -----------------------------------------------------------------------------------

class RulesIn(Schema):
    lead_days: LeadDays
    reminder_days: ReminderDays
    quorum_kind: Choice(AssemblyRules.Quorum)
    quorum_value: QuorumValue
    alternate: Flag
    first_time_first: Flag
    speaking_seconds: SpeakingSeconds


class AssemblyIn(Schema):
    """An assembly from an event of kind assembly. Rules left out are the statutes'."""

    event_id: Id
    reference_date: Day | None = None
    chair_id: Id | None = None
    minute_taker_id: Id | None = None
    invitation_text: Text(20000) = ""
    lead_days: LeadDays | None = None
    reminder_days: ReminderDays | None = None
    quorum_kind: Choice(AssemblyRules.Quorum) | None = None
    quorum_value: QuorumValue | None = None
    alternate: Flag | None = None
    first_time_first: Flag | None = None
    speaking_seconds: SpeakingSeconds | None = None


class AssemblyPatch(Schema):
    """Only the fields sent change; null clears the chair or the minute-taker."""

    reference_date: Day | None = None
    chair_id: Id | None = None
    minute_taker_id: Id | None = None
    invitation_text: Text(20000) | None = None
    lead_days: LeadDays | None = None
    reminder_days: ReminderDays | None = None
    quorum_kind: Choice(AssemblyRules.Quorum) | None = None
    quorum_value: QuorumValue | None = None
    alternate: Flag | None = None
    first_time_first: Flag | None = None
    speaking_seconds: SpeakingSeconds | None = None


class StatusIn(Schema):
    status: Choice(Assembly.Status)


class ItemIn(Schema):
    title: Text(200, 1)
    description: Text(10000) = ""
    kind: Choice(AgendaItem.Kind) = AgendaItem.Kind.DISCUSSION
    minutes_estimate: Estimate | None = None
    parent_id: Id | None = None
    notes: Text(20000) = ""


class ItemPatch(Schema):
    """Only the fields sent change; null clears the estimate or makes a sub-item a main item."""

    title: Text(200, 1) | None = None
    description: Text(10000) | None = None
    kind: Choice(AgendaItem.Kind) | None = None
    minutes_estimate: Estimate | None = None
    parent_id: Id | None = None
    notes: Text(20000) | None = None


class MoveIn(Schema):
    direction: Literal["up", "down"]


class GenerateIn(Schema):
    replace: Flag = False


class MinutesIn(Schema):
    text: Text(minutes_service.MAX_CHARS, 1)


# --- helpers ---------------------------------------------------------------------------------

RULE_NAMES = services.RULE_FIELDS


def _people(data: dict, organisation) -> dict:
    """chair_id / minute_taker_id to accounts of the organisation's people (forms.people_of)."""
    for name in ("chair", "minute_taker"):
        key = f"{name}_id"
        if key in data:
            data[name] = reference(people_of(organisation), data.pop(key), key,
                                   _("Choose someone of this organisation."))
    return data


def _fresh(assembly_id: int) -> Assembly:
    return Assembly.objects.select_related("event", "organisation", "current_item").get(
        pk=assembly_id)


def _rules_out(rules: AssemblyRules) -> dict:
    return {"organisation_id": rules.organisation_id,
            **{name: getattr(rules, name) for name in RULE_NAMES}}


def _with_assembly(items, assembly: Assembly):
    for item in items:
        item.assembly = assembly
    return items


# --- statutes, assemblies, status ------------------------------------------------------------

@router.get("/organisations/{organisation_id}/assembly-rules",
            response={200: RulesOut, **ERRORS}, auth=bearer,
            summary="The organisation's statutes for assemblies (the defaults until set)")
def rules_get(request, organisation_id: int):
    organisation = staff_organisation(request, organisation_id, Perm.ASSEMBLY_MANAGE)
    return _rules_out(services.rules_for(organisation))


@router.put("/organisations/{organisation_id}/assembly-rules",
            response={200: RulesOut, **ERRORS}, auth=bearer,
            summary="Set the statutes; assemblies called from now on copy them")
def rules_put(request, organisation_id: int, payload: RulesIn):
    organisation = staff_organisation(request, organisation_id, Perm.ASSEMBLY_MANAGE)
    rules = services.rules_update(organisation=organisation, data=payload.dict(),
                                  actor=request.user)
    return _rules_out(rules)


@router.get("/organisations/{organisation_id}/assemblies",
            response={200: list[AssemblyOut], **ERRORS}, auth=bearer,
            summary="The organisation's assemblies, the latest first")
@paginate(PageNumberPagination)
def assembly_list(request, organisation_id: int,
                  status: Choice(Assembly.Status) | None = None):
    organisation = staff_organisation(request, organisation_id, Perm.ASSEMBLY_MANAGE)
    found = Assembly.objects.filter(organisation=organisation).select_related(
        "event", "organisation", "current_item")
    return (found.filter(status=status) if status else found).order_by("-event__starts_at",
                                                                        "-pk")


@router.post("/organisations/{organisation_id}/assemblies",
             response={201: AssemblyOut, **ERRORS}, auth=bearer,
             summary="Call an assembly: turn an event of kind “assembly” into one")
def assembly_create(request, organisation_id: int, payload: AssemblyIn):
    organisation = staff_organisation(request, organisation_id, Perm.ASSEMBLY_MANAGE)
    data = {name: value for name, value in payload.dict().items()
            if value is not None or name in ("chair_id", "minute_taker_id")}
    event = reference(Event.objects.filter(organisation=organisation), data.pop("event_id"),
                      "event_id", _("Please choose one of your organisation's entries."))
    data = _people(data, organisation)
    for name in ("chair", "minute_taker"):
        if data[name] is None:
            del data[name]
    assembly = services.assembly_create(event=event, actor=request.user, **data)
    return Status(201, _fresh(assembly.pk))


@router.get("/assemblies/{assembly_id}", response={200: AssemblyOut, **ERRORS}, auth=bearer,
            summary="One assembly (the board or its chair)")
def assembly_detail(request, assembly_id: int):
    return chair_assembly(request, assembly_id)


@router.patch("/assemblies/{assembly_id}", response={200: AssemblyOut, **ERRORS},
              auth=bearer, summary="Change an assembly (its date and place: on the event)")
def assembly_update(request, assembly_id: int, payload: AssemblyPatch):
    assembly = staff_assembly(request, assembly_id)
    data = not_null(payload.dict(exclude_unset=True), "reference_date", "invitation_text",
                    *RULE_NAMES)
    data = _people(data, assembly.organisation)
    services.assembly_update(assembly=assembly, data=data, actor=request.user)
    return _fresh(assembly.pk)


@router.post("/assemblies/{assembly_id}/status", response={200: AssemblyOut, **ERRORS},
             auth=bearer, summary="Invited, in session, closed (the board or the chair)")
def assembly_status(request, assembly_id: int, payload: StatusIn):
    assembly = chair_assembly(request, assembly_id)
    services.status_change(assembly=assembly, status=payload.status, actor=request.user)
    return _fresh(assembly.pk)


@router.get("/assemblies/{assembly_id}/live", response={200: LiveOut, **ERRORS},
            summary="The live state as the projector and the phones show it, with its version",
            **AS_PARTICIPANT)
def live_state(request, assembly_id: int):
    """For the chair and the door team (bearer), and for the assembly's participants (their
    key, or their own account). Read from the cache: one render per change, whoever asks."""
    if not isinstance(request.auth, Participant):
        assembly = get_object_or_404(Assembly.objects.select_related("organisation"),
                                     pk=assembly_id)
        in_scope(request, assembly.organisation)
        user = request.user
        staff = access.can_chair(user, assembly) or permissions.can(
            user, Perm.ASSEMBLY_CHECKIN, assembly.organisation,
            scope=permissions.request_scope(request))
        if not staff and not Participant.objects.filter(
                assembly=assembly, contact__user=user, contact__erased_at__isnull=True).exists():
            permissions.require(request, Perm.ASSEMBLY_CHECKIN, assembly.organisation)
    else:
        me(request, assembly_id)
    got = livestate.cached(assembly_id)
    if got is None:
        raise Http404
    response = HttpResponse(got[1], content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


@router.get("/organisations/{organisation_id}/resolutions",
            response={200: list[ResolutionOut], **ERRORS}, auth=bearer,
            summary="The organisation's register of resolutions")
@paginate(PageNumberPagination)
def resolution_list(request, organisation_id: int,
                    year: Annotated[int | None, Field(ge=1900, le=2200)] = None,
                    q: Text(100) = ""):
    organisation = staff_organisation(request, organisation_id, Perm.RESOLUTION_VIEW)
    found = Resolution.objects.filter(organisation=organisation)
    if year is not None:
        found = found.filter(decided_on__year=year)
    if q.strip():
        query = q.strip()
        found = found.filter(Q(title__icontains=query) | Q(text__icontains=query)
                             | Q(number__icontains=query))
    return found.order_by("-decided_on", "-pk")


# --- agenda ----------------------------------------------------------------------------------

@router.get("/assemblies/{assembly_id}/items", response={200: list[ItemOut], **ERRORS},
            auth=bearer, summary="The agenda in order, numbered (“3”, “3.1”)", tags=["agenda"])
def item_list(request, assembly_id: int):
    assembly = chair_assembly(request, assembly_id)
    rows = []
    for number, item in selectors.agenda(assembly):
        item.number = number
        rows.append(item)
    return _with_assembly(rows, assembly)


@router.post("/assemblies/{assembly_id}/items", response={201: ItemOut, **ERRORS},
             auth=bearer, summary="Add an item (or a sub-item, with parent_id)",
             tags=["agenda"])
def item_create(request, assembly_id: int, payload: ItemIn):
    assembly = staff_assembly(request, assembly_id)
    data = payload.dict()
    data["parent"] = item_reference(assembly, data.pop("parent_id"), "parent_id")
    item = services.item_create(assembly=assembly, actor=request.user, **data)
    item.assembly = assembly
    return Status(201, item)


@router.patch("/agenda-items/{item_id}", response={200: ItemOut, **ERRORS}, auth=bearer,
              summary="Change an item", tags=["agenda"])
def item_update(request, item_id: int, payload: ItemPatch):
    item = staff_item(request, item_id)
    data = not_null(payload.dict(exclude_unset=True), "title", "description", "kind", "notes")
    if "parent_id" in data:
        data["parent"] = item_reference(item.assembly, data.pop("parent_id"), "parent_id")
    assembly = item.assembly
    services.item_update(item=item, data=data, actor=request.user)
    item.assembly = assembly
    return item


@router.delete("/agenda-items/{item_id}", response={204: None, **ERRORS}, auth=bearer,
               summary="Delete an item with its sub-items (not once it has a record)",
               tags=["agenda"])
def item_delete(request, item_id: int):
    services.item_delete(item=staff_item(request, item_id), actor=request.user)
    return Status(204, None)


@router.post("/agenda-items/{item_id}/move", response={200: ItemOut, **ERRORS}, auth=bearer,
             summary="Swap with the neighbour above or below", tags=["agenda"])
def item_move(request, item_id: int, payload: MoveIn):
    item = staff_item(request, item_id)
    assembly = item.assembly
    moved = services.item_move(item=item, direction=-1 if payload.direction == "up" else 1,
                               actor=request.user)
    moved.assembly = assembly
    return moved


@router.post("/agenda-items/{item_id}/call", response={200: AssemblyOut, **ERRORS},
             auth=bearer, summary="Make the item the one under discussion (the live view "
             "follows)", tags=["agenda"])
def item_call(request, item_id: int):
    item = staff_item(request, item_id, chair=True)
    services.item_call(assembly=item.assembly, item=item, actor=request.user)
    return _fresh(item.assembly_id)


# --- minutes ---------------------------------------------------------------------------------

def _minutes(assembly: Assembly) -> Minutes:
    return get_object_or_404(Minutes, assembly=assembly)


@router.get("/assemblies/{assembly_id}/minutes", response={200: MinutesOut, **ERRORS},
            auth=bearer, summary="The minutes (personal data, logged); the PDF is a page",
            tags=["minutes"])
def minutes_get(request, assembly_id: int):
    assembly = staff_assembly(request, assembly_id, minutes_ok=True)
    record = _minutes(assembly)
    # The minutes name who attended and spoke: a read of personal data.
    audit_read(actor=request.user, obj=record, organisation=assembly.organisation,
               what="minutes (API)")
    return record


@router.post("/assemblies/{assembly_id}/minutes", response={200: MinutesOut,
             201: MinutesOut, **ERRORS}, auth=bearer,
             summary="Generate the draft from the record (replace: true overwrites an edited "
             "draft)", tags=["minutes"])
def minutes_generate(request, assembly_id: int, payload: GenerateIn):
    assembly = staff_assembly(request, assembly_id, minutes_ok=True)
    existed = Minutes.objects.filter(assembly=assembly).exists()
    record = minutes_service.minutes_generate(assembly=assembly, actor=request.user,
                                              replace=payload.replace)
    return Status(200 if existed else 201, record)


@router.put("/assemblies/{assembly_id}/minutes", response={200: MinutesOut, **ERRORS},
            auth=bearer, summary="Save the minute-taker's text", tags=["minutes"])
def minutes_put(request, assembly_id: int, payload: MinutesIn):
    assembly = staff_assembly(request, assembly_id, minutes_ok=True)
    return minutes_service.minutes_update(minutes=_minutes(assembly), text=payload.text,
                                          actor=request.user)


@router.post("/assemblies/{assembly_id}/minutes/approve", response={200: MinutesOut,
             **ERRORS}, auth=bearer, summary="Approve the minutes; they no longer change",
             tags=["minutes"])
def minutes_approve(request, assembly_id: int):
    assembly = staff_assembly(request, assembly_id, minutes_ok=True)
    return minutes_service.minutes_approve(minutes=_minutes(assembly), actor=request.user)


# The session's operations register on the same router.
from mitmachen.assemblies import (  # noqa: E402, F401
    api_attendance,
    api_elections,
    api_participant,
    api_session,
)
