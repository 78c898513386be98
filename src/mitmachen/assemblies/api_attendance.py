"""API for who takes part and who is in the hall: the list of voting members and guests, check-in
and check-out at the door (by hand or by the code under the member's QR code), the log of
arrivals and departures, the quorum, and the invitations with their proof.

The door team (ASSEMBLY_CHECKIN) or the chair checks people in and reads the lists; building
the list of voters, adding guests and inviting are the board's (ASSEMBLY_MANAGE). Every read of
the lists is logged: they say who is a party member.
"""

from datetime import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AfterValidator

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Text
from mitmachen.assemblies import access, attendance, invitations, selectors, services
from mitmachen.assemblies.api_base import (
    ERRORS,
    Flag,
    Id,
    door_assembly,
    reference,
    router,
    staff_assembly,
    staff_participant,
)
from mitmachen.assemblies.models import AttendanceEntry, Invitation, Participant, QuotaCategory
from mitmachen.core.audit import audit_read
from mitmachen.people.models import Contact


def _aware(value: datetime) -> datetime:
    # A time without an offset is meant as local (Berlin) time, as on the pages.
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


Moment = Annotated[datetime, AfterValidator(_aware)]
QuotaOrNone = Choice(QuotaCategory) | Literal[""]


# --- output ----------------------------------------------------------------------------------

class ParticipantOut(Schema):
    id: int
    kind: str
    name: str
    quota_category: str
    present: bool
    contact_id: int | None


class AttendanceOut(Schema):
    id: int
    participant_id: int
    name: str = Field(..., alias="participant.name")
    action: str
    at: datetime
    via_code: bool


class QuorumOut(Schema):
    eligible: int
    present: int
    guests_present: int
    required: int | None
    met: bool
    missing: int


class BuiltOut(Schema):
    added: int


class InvitationSummaryOut(Schema):
    sent_email: int
    sent_letter: int
    unreachable: int
    skipped_already: int


class SentOut(Schema):
    sent: int


class InvitationOut(Schema):
    """A row of the proof of invitation: who, how, where to, when, and the hash of what they
    received. Never the message itself: it held the participant's personal link."""

    id: int
    participant_id: int
    participant_name: str = Field(..., alias="participant.name")
    kind: str
    channel: str
    address: str
    created_at: datetime
    content_sha256: str
    message_status: str | None

    @staticmethod
    def resolve_message_status(obj):
        return obj.message.status if obj.message_id else None


# --- input -----------------------------------------------------------------------------------

class GuestIn(Schema):
    name: Text(200) = ""
    quota_category: QuotaOrNone = ""
    contact_id: Id | None = None


class AttendanceIn(Schema):
    at: Moment | None = None  # when it happened, if not now (a late entry at the door)


class CodeIn(Schema):
    code: Text(100, 1)


class InviteIn(Schema):
    confirm_late: Flag = False
    include_guests: Flag = False


# --- participants and attendance -------------------------------------------------------------

@router.get("/assemblies/{assembly_id}/participants",
            response={200: list[ParticipantOut], **ERRORS}, auth=bearer,
            summary="Voting members and guests (personal data, logged)", tags=["attendance"])
@paginate(PageNumberPagination)
def participant_list(request, assembly_id: int, kind: Choice(Participant.Kind) | None = None,
                     present: bool | None = None, q: Text(100) = ""):
    assembly = door_assembly(request, assembly_id)
    # The list says who is a party member: a read of special-category data.
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"participants of {assembly} (API)"[:200])
    found = assembly.participants.order_by("-kind", "name", "pk")
    if kind:
        found = found.filter(kind=kind)
    if present is not None:
        found = found.filter(present=present)
    if q.strip():
        found = found.filter(name__icontains=q.strip())
    return found


@router.post("/assemblies/{assembly_id}/participants/build-voters",
             response={200: BuiltOut, **ERRORS}, auth=bearer,
             summary="Add every member in good standing on the reference date (never removes)",
             tags=["attendance"])
def voters_build(request, assembly_id: int):
    assembly = staff_assembly(request, assembly_id)
    return {"added": services.voters_build(assembly=assembly, actor=request.user)}


@router.post("/assemblies/{assembly_id}/guests", response={201: ParticipantOut, **ERRORS},
             auth=bearer, summary="Add a guest (by name, or a contact of the organisation)",
             tags=["attendance"])
def guest_add(request, assembly_id: int, payload: GuestIn):
    assembly = staff_assembly(request, assembly_id)
    contact = reference(Contact.objects.filter(organisation=assembly.organisation,
                                               erased_at__isnull=True),
                        payload.contact_id, "contact_id",
                        _("Choose a contact of this organisation."))
    guest = services.guest_add(assembly=assembly, name=payload.name, contact=contact,
                               quota_category=payload.quota_category, actor=request.user)
    return Status(201, guest)


@router.post("/participants/{participant_id}/check-in", response={200: ParticipantOut,
             **ERRORS}, auth=bearer, summary="Record an arrival", tags=["attendance"])
def check_in(request, participant_id: int, payload: AttendanceIn):
    participant = staff_participant(request, participant_id)
    return attendance.check_in(participant=participant, actor=request.user, at=payload.at)


@router.post("/participants/{participant_id}/check-out", response={200: ParticipantOut,
             **ERRORS}, auth=bearer, summary="Record a departure", tags=["attendance"])
def check_out(request, participant_id: int, payload: AttendanceIn):
    participant = staff_participant(request, participant_id)
    return attendance.check_out(participant=participant, actor=request.user, at=payload.at)


@router.post("/assemblies/{assembly_id}/check-in-code", response={200: ParticipantOut,
             **ERRORS}, auth=bearer,
             summary="Check in by the code of the member's QR code (the door team)",
             tags=["attendance"])
def check_in_code(request, assembly_id: int, payload: CodeIn):
    assembly = door_assembly(request, assembly_id)
    code = payload.code.replace(" ", "").lower()
    try:
        participant = access.participant_by_checkin_code(code)
    except ValidationError:
        participant = None
    if participant is None or participant.assembly_id != assembly.pk:
        raise ValidationError({"code": _("This code is not valid for this assembly.")})
    return attendance.check_in(participant=participant, actor=request.user, via_code=True)


@router.get("/assemblies/{assembly_id}/attendance", response={200: list[AttendanceOut],
            **ERRORS}, auth=bearer,
            summary="Arrivals and departures in order of time (personal data, logged)",
            tags=["attendance"])
@paginate(PageNumberPagination)
def attendance_log(request, assembly_id: int):
    assembly = door_assembly(request, assembly_id)
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"attendance of {assembly} (API)"[:200])
    return AttendanceEntry.objects.filter(participant__assembly=assembly).select_related(
        "participant").order_by("at", "pk")


@router.get("/assemblies/{assembly_id}/quorum", response={200: QuorumOut, **ERRORS},
            auth=bearer, summary="Present voting members against the quorum, now",
            tags=["attendance"])
def quorum(request, assembly_id: int):
    return selectors.quorum(door_assembly(request, assembly_id))


# --- invitations -----------------------------------------------------------------------------

@router.post("/assemblies/{assembly_id}/invitations",
             response={200: InvitationSummaryOut, **ERRORS}, auth=bearer,
             summary="Invite every voter not yet invited, each by their channel (sending "
             "after the lead time needs confirm_late)", tags=["invitations"])
def invitation_send(request, assembly_id: int, payload: InviteIn):
    assembly = staff_assembly(request, assembly_id)
    return invitations.invitation_send(assembly=assembly, actor=request.user,
                                       confirm_late=payload.confirm_late,
                                       include_guests=payload.include_guests)


@router.post("/assemblies/{assembly_id}/reminders", response={200: SentOut, **ERRORS},
             auth=bearer, summary="Remind everyone invited, once, by the same channel",
             tags=["invitations"])
def reminder_send(request, assembly_id: int):
    assembly = staff_assembly(request, assembly_id)
    return {"sent": invitations.reminder_send(assembly=assembly, actor=request.user)}


@router.get("/assemblies/{assembly_id}/invitations",
            response={200: list[InvitationOut], **ERRORS}, auth=bearer,
            summary="The proof of invitation: who, channel, address, time, content hash "
            "(personal data, logged)", tags=["invitations"])
@paginate(PageNumberPagination)
def invitation_proof(request, assembly_id: int,
                     kind: Choice(Invitation.Kind) | None = None):
    assembly = staff_assembly(request, assembly_id)
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"proof of invitation of {assembly} (API)"[:200])
    found = Invitation.objects.filter(participant__assembly=assembly).select_related(
        "participant", "message").order_by("participant__name", "participant_id", "kind")
    return found.filter(kind=kind) if kind else found
