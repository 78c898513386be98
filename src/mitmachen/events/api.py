"""API for events, series, registrations and check-in, over the same services as the pages.

Reads of events are public; a token adds what its user may see (members-only events of their
organisations, everything of the organisations they organise events for), bounded by the
token's organisation. The online access data has its own endpoint and schema: no other schema
here can carry it.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AfterValidator

from mitmachen.api.auth import bearer
from mitmachen.api.schemas import Choice, Error, Text
from mitmachen.core import permissions, throttle
from mitmachen.core.audit import audit_read
from mitmachen.core.models import ApiToken
from mitmachen.core.roles import Perm
from mitmachen.events import notifications, selectors, series, services
from mitmachen.events import registrations as regs
from mitmachen.events.calendar import event_url
from mitmachen.events.models import (
    Event,
    EventSeries,
    Kind,
    OnlineAccess,
    Registration,
    TicketCategory,
    Topic,
    Visibility,
)
from mitmachen.groups.models import Group
from mitmachen.organisations.models import Cooperation, Organisation, Place

router = Router(tags=["events"])
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}
NEXT_OCCURRENCES = 6


def _aware(value: datetime) -> datetime:
    # A time without an offset is meant as local (Berlin) time, as on the pages.
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


Moment = Annotated[datetime, AfterValidator(_aware)]
Slugs = Annotated[list[Text(100, 1)], Field(max_length=50)]


# --- output ----------------------------------------------------------------------------------

class TopicOut(Schema):
    slug: str
    name: str


class PlaceBrief(Schema):
    id: int
    name: str
    address: str
    district_id: int | None
    step_free: str
    accessible_toilet: str
    accessibility_notes: str

    @staticmethod
    def resolve_address(obj):
        return obj.address if obj.is_public else ""  # a private venue is named, not located


class SpeakerOut(Schema):
    name: str
    affiliation: str
    contribution: str


class FileOut(Schema):
    title: str
    url: str
    size: int
    content_type: str

    @staticmethod
    def resolve_url(obj):
        # The download view checks who may see the event; the storage URL would not.
        return settings.SITE_URL + reverse("events:event_file", args=[
            obj.event.organisation.slug, obj.event_id, obj.pk])


class EventOut(Schema):
    id: int
    organisation: str
    title: str
    description: str
    kind: str
    status: str
    status_note: str
    visibility: str
    starts_at: datetime
    ends_at: datetime | None
    place: PlaceBrief | None
    is_online: bool
    venue_note: str
    accessibility_note: str
    topics: list[TopicOut]
    tags: list[str]
    fee: Decimal | None
    fee_note: str
    contact_name: str
    contact_email: str
    contact_phone: str
    series_id: int | None
    registration: str
    capacity: int | None
    seats_left: int | None
    registration_open: bool
    speakers: list[SpeakerOut]
    files: list[FileOut]
    url: str

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.slug

    @staticmethod
    def resolve_starts_at(obj):
        return timezone.localtime(obj.starts_at)

    @staticmethod
    def resolve_ends_at(obj):
        return obj.ends_at and timezone.localtime(obj.ends_at)

    @staticmethod
    def resolve_topics(obj):
        return list(obj.topics.all())

    @staticmethod
    def resolve_speakers(obj):
        return list(obj.speakers.all())

    @staticmethod
    def resolve_files(obj):
        return list(obj.files.all())

    @staticmethod
    def resolve_registration_open(obj):
        # Open for the people its mode admits; members-only still needs a member's token.
        return regs.registration_problem(obj, staff=False, member=True) is None

    @staticmethod
    def resolve_url(obj):
        return event_url(obj)


class AccessOut(Schema):
    """The only schema that carries meeting links and passcodes."""

    event_id: int
    url: str
    meeting_id: str
    passcode: str
    note: str


class OccurrenceOut(Schema):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    url: str

    @staticmethod
    def resolve_url(obj):
        return event_url(obj)


class SeriesOut(Schema):
    id: int
    organisation: str
    title: str
    description: str
    kind: str
    visibility: str
    rrule: str
    dtstart: datetime
    duration_minutes: int
    exdates: list[str]
    topics: list[TopicOut]
    next_occurrences: list[OccurrenceOut]

    @staticmethod
    def resolve_organisation(obj):
        return obj.organisation.slug

    @staticmethod
    def resolve_topics(obj):
        return list(obj.topics.all())


class RegistrationOut(Schema):
    """What a registrant learns about their own registration."""

    id: int
    event_id: int
    status: str
    waiting_position: int | None
    offer_expires_at: datetime | None

    @staticmethod
    def resolve_waiting_position(obj):
        if obj.status != Registration.Status.WAITING:
            return None
        rank = getattr(obj, "waiting_rank", None)  # the list computes all ranks in its query
        return rank if rank is not None else regs.waiting_position(obj)


class RegistrationStaffOut(RegistrationOut):
    first_name: str
    last_name: str
    email: str
    phone: str
    answers: dict
    category: str | None
    source: str
    staff_note: str
    created_at: datetime
    attended_at: datetime | None

    @staticmethod
    def resolve_category(obj):
        return obj.category.name if obj.category_id else None


class MyRegistrationOut(RegistrationOut):
    event_title: str = Field(..., alias="event.title")
    starts_at: datetime = Field(..., alias="event.starts_at")
    event_url: str

    @staticmethod
    def resolve_event_url(obj):
        return event_url(obj.event)


# --- input -----------------------------------------------------------------------------------

Fee = Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)]
Seats = Annotated[int, Field(ge=0, le=100_000)]
OfferHours = Annotated[int, Field(ge=0, le=24 * 365)]


class EventIn(Schema):
    organisation: Text(80, 1)
    title: Text(200, 1)
    kind: Choice(Kind)
    starts_at: Moment
    ends_at: Moment | None = None
    description: Text(20000) = ""
    status: Choice(Event.Status) = Event.Status.PLANNED
    status_note: Text(300) = ""
    visibility: Choice(Visibility) = Visibility.PUBLIC
    place_id: int | None = None
    group_id: int | None = None
    cooperation_id: int | None = None
    is_online: bool = False
    venue_note: Text(200) = ""
    accessibility_note: Text(2000) = ""
    topics: Slugs = []
    tags: Annotated[list[Text(50)], Field(max_length=50)] = []
    fee: Fee | None = None
    fee_note: Text(200) = ""
    contact_name: Text(200) = ""
    contact_email: Text(254) = ""
    contact_phone: Text(40) = ""
    registration: Choice(Event.Registration) = Event.Registration.NONE
    capacity: Seats | None = None
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    approval_required: bool = False
    double_opt_in: bool = False
    offer_hours: OfferHours = 48
    reminder_hours: Annotated[list[int], Field(max_length=20)] = []


class EventPatch(Schema):
    """Only the fields sent change; null clears a field that may be empty."""

    title: Text(200, 1) | None = None
    kind: Choice(Kind) | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    description: Text(20000) | None = None
    status: Choice(Event.Status) | None = None
    status_note: Text(300) | None = None
    visibility: Choice(Visibility) | None = None
    place_id: int | None = None
    group_id: int | None = None
    cooperation_id: int | None = None
    is_online: bool | None = None
    venue_note: Text(200) | None = None
    accessibility_note: Text(2000) | None = None
    topics: Slugs | None = None
    tags: Annotated[list[Text(50)], Field(max_length=50)] | None = None
    fee: Fee | None = None
    fee_note: Text(200) | None = None
    contact_name: Text(200) | None = None
    contact_email: Text(254) | None = None
    contact_phone: Text(40) | None = None
    registration: Choice(Event.Registration) | None = None
    capacity: Seats | None = None
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    approval_required: bool | None = None
    double_opt_in: bool | None = None
    offer_hours: OfferHours | None = None
    reminder_hours: Annotated[list[int], Field(max_length=20)] | None = None


class StatusIn(Schema):
    status: Choice(Event.Status)
    reason: Text(300) = ""


class DateIn(Schema):
    starts_at: Moment
    ends_at: Moment | None = None


class SeriesIn(Schema):
    organisation: Text(80, 1)
    title: Text(200, 1)
    kind: Choice(Kind)
    dtstart: Moment | None = None
    rrule: Text(500) = ""
    exdates: Annotated[list[Text(40)], Field(max_length=series.MAX_OCCURRENCES)] = []
    dates: Annotated[list[DateIn], Field(max_length=series.MAX_OCCURRENCES)] = []
    duration_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 120
    description: Text(20000) = ""
    visibility: Choice(Visibility) = Visibility.PUBLIC
    topics: Slugs = []
    place_id: int | None = None
    group_id: int | None = None
    is_online: bool = False
    venue_note: Text(200) = ""
    registration: Choice(Event.Registration) = Event.Registration.NONE
    capacity: Seats | None = None


class RegistrationIn(Schema):
    first_name: Text(100) = ""
    last_name: Text(100) = ""
    email: Text(254) = ""
    phone: Text(40) = ""
    answers: Annotated[dict[Text(20), Text(1000) | bool], Field(max_length=100)] = {}
    category_id: int | None = None
    privacy_accepted: bool = False
    # Staff only: how the registration reached them, and a note for the team.
    source: Literal[Registration.Source.API.value, Registration.Source.PHONE.value] = \
        Registration.Source.API.value
    staff_note: Text(500) = ""


class DecisionIn(Schema):
    approve: bool


class CheckinIn(Schema):
    present: bool = True


# --- who sees what ---------------------------------------------------------------------------

def _public_caller(request):
    """No Authorization header at all. A header with a wrong token still answers 401."""
    return "Authorization" not in request.headers


# Public operations that a token widens: the token is optional.
OPTIONAL_TOKEN = {"auth": [bearer, _public_caller], "openapi_extra": {"security": [{}]}}


def _caller(request):
    return request.user if isinstance(getattr(request, "auth", None), ApiToken) else None


def _in_scope(request, organisation) -> bool:
    scope = permissions.request_scope(request)
    return scope is None or organisation.path.startswith(scope.path)


def _bounded(request, events):
    """Beyond public events, a token reaches only its own organisation's subtree."""
    scope = permissions.request_scope(request)
    if scope is None:
        return events
    return events.filter(selectors.visible_q(None) | Q(organisation__path__startswith=scope.path))


def _visible(request):
    user = _caller(request)
    if user is None:
        return Event.objects.filter(selectors.visible_q(None))
    return _bounded(request, selectors.visible_events(user))


def _with_details(events):
    return events.select_related("organisation", "place").prefetch_related(
        "topics", "speakers", "files__event__organisation")


def _visible_event(request, event_id: int) -> Event:
    return get_object_or_404(_with_details(_visible(request)), pk=event_id)


def _staff_event(request, event_id: int) -> Event:
    event = get_object_or_404(Event.objects.select_related("organisation"), pk=event_id)
    permissions.require(request, Perm.EVENT_CHANGE, event.organisation)
    return event


def _is_staff(request, organisation) -> bool:
    return permissions.can(request.user, Perm.EVENT_CHANGE, organisation,
                           scope=permissions.request_scope(request))


def _staff_organisation(request, slug: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    permissions.require(request, Perm.EVENT_CHANGE, organisation)
    return organisation


def _registration(registration_id: int) -> Registration:
    return get_object_or_404(Registration.objects.select_related(
        "event__organisation", "category"), pk=registration_id)


# --- input to service arguments --------------------------------------------------------------

REFERENCES = {"place_id": ("place", Place), "group_id": ("group", Group),
              "cooperation_id": ("cooperation", Cooperation)}


def _references(data: dict, organisation: Organisation) -> dict:
    """Ids to objects. Places and groups must be the organisation's own; the event services
    check cooperations (and places and groups again)."""
    for key, (name, model) in REFERENCES.items():
        if key not in data:
            continue
        pk = data.pop(key)
        found = None
        if pk is not None:
            candidates = model.objects.filter(pk=pk)
            if model is not Cooperation:
                candidates = candidates.filter(organisation=organisation)
            found = candidates.first()
            if found is None:
                raise ValidationError({key: _("Please choose one of your organisation's "
                                              "entries.")})
        data[name] = found
    return data


def _topics(organisation: Organisation, slugs) -> list[Topic]:
    if slugs is None:
        raise ValidationError({"topics": _("Please give a list of topics (it may be empty).")})
    wanted = set(slugs)
    found = list(Topic.objects.filter(organisation=organisation, slug__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"topics": _("Please choose one of your organisation's topics.")})
    return found


# --- events ----------------------------------------------------------------------------------

@router.get("/events", response={200: list[EventOut], 401: Error, 422: Error},
            summary="Upcoming events (public; a token adds what its user may see)",
            **OPTIONAL_TOKEN)
@paginate(PageNumberPagination)
def event_list(request, organisation: Text(80) = "", topic: Text(100) = "",
               district: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None,
               online: bool | None = None,
               date_from: Annotated[date | None, Query(alias="from")] = None,
               date_to: Annotated[date | None, Query(alias="to")] = None,
               kind: Choice(Kind) | None = None):
    for day in (date_from, date_to):
        if day is not None and not 1900 <= day.year <= 2200:
            raise ValidationError({"from" if day is date_from else "to": _(
                "Please give a date between 1900 and 2200.")})
    flt = selectors.CalendarFilter(topic=topic, district=district, online=online,
                                   date_from=date_from, date_to=date_to, kind=kind or "")
    if organisation:
        flt.organisation = Organisation.objects.filter(slug=organisation).first()
        if flt.organisation is None:
            return Event.objects.none()
    events = selectors.calendar(_caller(request), flt)
    return _bounded(request, events).prefetch_related("speakers", "files__event__organisation")


@router.get("/events/{event_id}", response={200: EventOut, 401: Error, 404: Error},
            summary="One event", **OPTIONAL_TOKEN)
def event_detail(request, event_id: int):
    return _visible_event(request, event_id)


@router.get("/events/{event_id}/access", response={200: AccessOut, **ERRORS}, auth=bearer,
            summary="Online access data (the event's organisers and confirmed registrants)")
def event_access(request, event_id: int):
    event = get_object_or_404(Event.objects.select_related("organisation"), pk=event_id)
    if _is_staff(request, event.organisation):
        return get_object_or_404(OnlineAccess, event=event)
    own = None
    if _in_scope(request, event.organisation):
        own = event.registrations.filter(user=request.user,
                                         status=Registration.Status.CONFIRMED).first()
    if own is not None:
        own.event = event
        access = notifications.access_for(own)
        if access is not None:
            return access
    raise Http404  # the same answer whether or not access data exists


@router.post("/events", response={201: EventOut, **ERRORS}, auth=bearer,
             summary="Create an event")
def event_create(request, payload: EventIn):
    data = payload.dict()
    organisation = _staff_organisation(request, data.pop("organisation"))
    topics = _topics(organisation, data.pop("topics"))
    data = _references(data, organisation)
    event = services.event_create(organisation=organisation, actor=request.user, topics=topics,
                                  **data)
    return Status(201, _with_details(Event.objects).get(pk=event.pk))


@router.patch("/events/{event_id}", response={200: EventOut, **ERRORS}, auth=bearer,
              summary="Change an event (an occurrence changed here leaves its series' rule)")
def event_update(request, event_id: int, payload: EventPatch):
    event = _staff_event(request, event_id)
    data = payload.dict(exclude_unset=True)
    topics = _topics(event.organisation, data.pop("topics")) if "topics" in data else None
    data = _references(data, event.organisation)
    services.event_update(event=event, data=data, actor=request.user, topics=topics)
    return _with_details(Event.objects).get(pk=event.pk)


@router.post("/events/{event_id}/status", response={200: EventOut, **ERRORS}, auth=bearer,
             summary="Confirm, cancel or postpone an event (registrants are told)")
def event_status(request, event_id: int, payload: StatusIn):
    event = _staff_event(request, event_id)
    services.event_status_change(event=event, to_status=payload.status, actor=request.user,
                                 reason=payload.reason)
    return _with_details(Event.objects).get(pk=event.pk)


# --- series ----------------------------------------------------------------------------------

def _with_next(found: EventSeries, occurrences) -> EventSeries:
    found.next_occurrences = list(occurrences.filter(starts_at__gte=timezone.now()).select_related(
        "organisation").order_by("starts_at", "pk")[:NEXT_OCCURRENCES])
    return found


def _visible_series(request, series_id: int):
    found = get_object_or_404(EventSeries.objects.select_related("organisation"), pk=series_id)
    occurrences = _visible(request).filter(series=found)
    public = found.visibility == Visibility.PUBLIC and found.organisation.is_public
    staff = _caller(request) is not None and _is_staff(request, found.organisation)
    if not (public or staff or occurrences.exists()):
        raise Http404
    return found, occurrences


@router.get("/series/{series_id}", response={200: SeriesOut, 401: Error, 404: Error},
            summary="A meeting series with its next dates", **OPTIONAL_TOKEN)
def series_detail(request, series_id: int):
    found, occurrences = _visible_series(request, series_id)
    return _with_next(found, occurrences)


@router.get("/series/{series_id}/occurrences",
            response={200: list[EventOut], 401: Error, 404: Error, 422: Error},
            summary="A series' dates", **OPTIONAL_TOKEN)
@paginate(PageNumberPagination)
def series_occurrences(request, series_id: int):
    _found, occurrences = _visible_series(request, series_id)
    return _with_details(occurrences).order_by("starts_at", "pk")


@router.post("/series", response={201: SeriesOut, **ERRORS}, auth=bearer,
             summary="Create a series by rule (rrule, exdates) or by a list of dates")
def series_create(request, payload: SeriesIn):
    data = payload.dict()
    organisation = _staff_organisation(request, data.pop("organisation"))
    topics = _topics(organisation, data.pop("topics"))
    data = _references(data, organisation)
    dates = [(d["starts_at"], d["ends_at"]) for d in data.pop("dates")]
    if data["dtstart"] is None:
        if not dates:
            raise ValidationError({"dtstart": _("Please give the first start.")})
        data["dtstart"] = min(start for start, _end in dates)
    created = series.series_create(organisation=organisation, actor=request.user, dates=dates,
                                   topics=topics, **data)
    return Status(201, _with_next(created, created.occurrences.all()))


# --- registrations ---------------------------------------------------------------------------

@router.get("/events/{event_id}/registrations",
            response={200: list[RegistrationStaffOut], **ERRORS}, auth=bearer,
            summary="An event's registrations (personal data, logged)")
@paginate(PageNumberPagination)
def registration_list(request, event_id: int, status: Choice(Registration.Status) | None = None):
    event = _staff_event(request, event_id)
    audit_read(actor=request.user, obj=event, organisation=event.organisation,
               what=f"registrations of {event} (API)")
    found = event.registrations.select_related("category")
    found = found.filter(status=status) if status else found
    return found.annotate(waiting_rank=Window(
        RowNumber(), partition_by=[F("status")],
        order_by=[F("waiting_since").asc(nulls_last=True), F("pk").asc()])).order_by("pk")


def _answer(request, schema, registration: Registration, status: int = 200):
    """Answer with one of the two registration schemas. Returned to ninja, the value would be
    validated against both, and a union may pick the other one; its own dump cannot."""
    from mitmachen.api.api import api

    return api.create_response(request, schema.from_orm(registration).model_dump(),
                               status=status)


def _self_contact(user, organisation):
    from mitmachen.people.models import Contact

    return Contact.objects.filter(user=user, organisation=organisation,
                                  erased_at__isnull=True).first()


@router.post("/events/{event_id}/registrations",
             response={201: RegistrationStaffOut | RegistrationOut, **ERRORS},
             summary="Register: staff for someone, anyone for themselves when the event allows",
             **OPTIONAL_TOKEN)
def registration_create(request, event_id: int, payload: RegistrationIn):
    event = _visible_event(request, event_id)
    user = _caller(request)
    data = payload.dict()
    category = None
    if data["category_id"] is not None:
        category = TicketCategory.objects.filter(pk=data["category_id"], event=event).first()
        if category is None:
            raise ValidationError({"category_id": _("Please choose one of this event's "
                                                    "tickets.")})
    common = {"event": event, "first_name": data["first_name"], "last_name": data["last_name"],
              "email": data["email"], "phone": data["phone"], "answers": data["answers"],
              "category": category, "privacy_accepted": data["privacy_accepted"],
              "language": (translation.get_language() or "de")[:2]}
    if user is not None and _is_staff(request, event.organisation):
        registration = regs.registration_create(source=data["source"],
                                                staff_note=data["staff_note"], actor=user,
                                                **common)
        return _answer(request, RegistrationStaffOut, registration, 201)
    if user is None:
        if throttle.form_limited(request, "event-register",
                                 limit=settings.EVENT_REGISTRATION_LIMIT):
            raise ValidationError(_("Too many registrations from here. Please try again "
                                    "later."))
        registration = regs.registration_create(**common)
        return _answer(request, RegistrationOut, registration, 201)
    if not _in_scope(request, event.organisation):
        raise Http404
    common["first_name"] = common["first_name"] or user.name
    common["email"] = common["email"] or user.email
    registration = regs.registration_create(
        user=user, contact=_self_contact(user, event.organisation), actor=user, **common)
    return _answer(request, RegistrationOut, registration, 201)


@router.post("/registrations/{registration_id}/cancel",
             response={200: RegistrationStaffOut | RegistrationOut, **ERRORS}, auth=bearer,
             summary="Cancel a registration (staff, or the registrant with their own token)")
def registration_cancel(request, registration_id: int):
    registration = _registration(registration_id)
    organisation = registration.event.organisation
    own = registration.user_id == request.user.pk and _in_scope(request, organisation)
    if own and not _is_staff(request, organisation):
        cancelled = regs.registration_cancel(registration=registration, actor=request.user)
        return _answer(request, RegistrationOut, cancelled)
    permissions.require(request, Perm.EVENT_CHANGE, organisation)
    cancelled = regs.registration_cancel(registration=registration, actor=request.user)
    return _answer(request, RegistrationStaffOut, cancelled)


@router.post("/registrations/{registration_id}/decide",
             response={200: RegistrationStaffOut, **ERRORS}, auth=bearer,
             summary="Approve or decline a registration awaiting approval")
def registration_decide(request, registration_id: int, payload: DecisionIn):
    registration = _registration(registration_id)
    permissions.require(request, Perm.EVENT_CHANGE, registration.event.organisation)
    return regs.registration_decide(registration=registration, approve=payload.approve,
                                    actor=request.user)


@router.post("/registrations/{registration_id}/checkin",
             response={200: RegistrationStaffOut, **ERRORS}, auth=bearer,
             summary="Tick someone off on the day (present: false undoes it)")
def registration_checkin(request, registration_id: int, payload: CheckinIn):
    registration = _registration(registration_id)
    permissions.require(request, Perm.EVENT_CHANGE, registration.event.organisation)
    return regs.attendance_record(registration=registration, present=payload.present,
                                  actor=request.user)


@router.get("/me/registrations", response={200: list[MyRegistrationOut], 401: Error},
            auth=bearer, summary="Your own registrations")
@paginate(PageNumberPagination)
def my_registrations(request):
    found = selectors.my_registrations(request.user)
    scope = permissions.request_scope(request)
    if scope is not None:
        found = found.filter(event__organisation__path__startswith=scope.path)
    return found
