"""Reads on events: who may see which event, the calendar query, registration figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from mitmachen.core import permissions
from mitmachen.core.roles import Perm
from mitmachen.events.models import Event, Registration, Visibility


def visible_q(user) -> Q:
    """Public events; members-only events of organisations the user is a member of; and, for
    staff with the event permission, everything of their organisations."""
    condition = Q(visibility=Visibility.PUBLIC, organisation__is_public=True)
    if user is None or not getattr(user, "is_authenticated", False):
        return condition
    from mitmachen.people.models import Contact

    member_of = Contact.objects.filter(user=user, status=Contact.Status.MEMBER,
                                       erased_at__isnull=True).values("organisation_id")
    condition |= Q(visibility=Visibility.MEMBERS, organisation_id__in=member_of)
    staff_of = permissions.organisations_where(user, Perm.EVENT_CHANGE)
    condition |= Q(organisation__in=staff_of)
    condition |= Q(registrations__user=user,
                   registrations__status__in=Registration.ACTIVE)
    return condition


def visible_events(user) -> QuerySet[Event]:
    return Event.objects.filter(pk__in=Event.objects.filter(visible_q(user)).values("pk"))


@dataclass
class CalendarFilter:
    organisation: object = None  # Organisation, with its sub-organisations
    topic: str = ""  # a topic's slug
    district: int | None = None
    online: bool | None = None  # True: online only, False: on site only
    date_from: date | None = None
    date_to: date | None = None
    group: int | None = None
    kind: str = ""
    text: str = ""


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def calendar(user, flt: CalendarFilter) -> QuerySet[Event]:
    """The calendar query: one SELECT for the page plus one for the topics, whatever the size."""
    if user is None or not getattr(user, "is_authenticated", False):
        events = Event.objects.filter(visible_q(None))  # no join: the common, fast case
    else:
        events = visible_events(user)
    if flt.organisation is not None:
        events = events.filter(organisation__path__startswith=flt.organisation.path)
    if flt.topic:
        events = events.filter(topics__slug=flt.topic)
    if flt.district:
        events = events.filter(place__district_id=flt.district)
    if flt.online is True:
        events = events.filter(is_online=True)
    elif flt.online is False:
        events = events.filter(place__isnull=False)
    if flt.group:
        events = events.filter(group_id=flt.group)
    if flt.kind:
        events = events.filter(kind=flt.kind)
    if flt.text:
        events = events.filter(title__icontains=flt.text[:100])
    start = _start_of(flt.date_from) if flt.date_from else timezone.now().replace(
        hour=0, minute=0, second=0, microsecond=0)
    events = events.filter(starts_at__gte=start)
    if flt.date_to:
        events = events.filter(starts_at__lt=_start_of(flt.date_to) + timezone.timedelta(days=1))
    return events.select_related("organisation", "place", "place__district", "series",
                                 "cooperation") \
        .prefetch_related("topics").order_by("starts_at", "pk")


def figures(event_ids) -> dict[int, dict[str, int]]:
    """Registered, waiting, cancelled and attended per event, in one query."""
    rows = Registration.objects.filter(event_id__in=list(event_ids)).values("event_id").annotate(
        registered=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
        offered=Count("pk", filter=Q(status=Registration.Status.OFFERED)),
        waiting=Count("pk", filter=Q(status=Registration.Status.WAITING)),
        pending=Count("pk", filter=Q(status__in=[Registration.Status.PENDING,
                                                  Registration.Status.UNCONFIRMED])),
        cancelled=Count("pk", filter=Q(status=Registration.Status.CANCELLED)),
        attended=Count("pk", filter=Q(attended_at__isnull=False)),
    )
    empty = {"registered": 0, "offered": 0, "waiting": 0, "pending": 0, "cancelled": 0,
             "attended": 0}
    found = {row.pop("event_id"): row for row in rows}
    return {pk: found.get(pk, dict(empty)) for pk in event_ids}


def my_registrations(user) -> QuerySet[Registration]:
    return Registration.objects.filter(user=user, status__in=Registration.ACTIVE).select_related(
        "event", "event__organisation", "event__place").order_by("event__starts_at")


def can_see(user, event: Event) -> bool:
    return visible_events(user).filter(pk=event.pk).exists()
