"""Calendar feeds: iCalendar per organisation, group, topic and person, and an Atom feed.

A meeting series with a rule becomes one master VEVENT (RRULE, EXDATE) plus an override per
occurrence that differs from it (RECURRENCE-ID), so a calendar app shows one series it can
follow instead of two years of loose dates. Feeds never carry online access data: `vevent()`
gets no `access` here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import vRecur

from mitmachen.events.calendar import ICS_TYPE, event_url, finish, new_calendar, venue_text, vevent
from mitmachen.events.calendar_tokens import user_of
from mitmachen.events.models import Event, EventSeries, Registration, Topic, Visibility
from mitmachen.events.selectors import visible_q
from mitmachen.events.series import HORIZON, bounded, parse_rule
from mitmachen.groups.models import Group
from mitmachen.organisations.models import Organisation

PAST = timedelta(days=90)
AHEAD = timedelta(days=730)
MAX_RULE_STARTS = 5000  # a daily rule for 13 years
MAX_AGE = 300
ATOM_ITEMS = 50


# --- building ----------------------------------------------------------------------------

def _related(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("organisation", "place", "series").prefetch_related("topics") \
        .order_by("starts_at", "pk")


def _in_window(event: Event, now: datetime) -> bool:
    return now - PAST <= event.starts_at <= now + AHEAD


def _signature(event: Event) -> tuple:
    """What a calendar app shows of an occurrence; equal signatures need no override."""
    end = event.ends_at or event.starts_at + timedelta(hours=2)
    return (event.title, event.description, venue_text(event), event.status,
            end - event.starts_at, tuple(t.name for t in event.topics.all()),
            tuple(event.tags), event.contact_email)


def _rule_starts(series: EventSeries, until: datetime) -> dict[float, datetime] | None:
    """The rule's starts up to `until` (aware, Berlin), exceptions included, by timestamp;
    None for a rule with too many to check."""
    berlin = timezone.get_default_timezone()
    limit = timezone.localtime(until, berlin).replace(tzinfo=None)
    starts = {}
    for moment in bounded(parse_rule(series.rrule, series.dtstart)[1], limit):
        if moment > limit:
            break
        if len(starts) >= MAX_RULE_STARTS:
            return None
        aware = moment.replace(tzinfo=berlin)
        starts[aware.timestamp()] = aware
    return starts


def _exdates_of(series: EventSeries) -> list[datetime]:
    berlin = timezone.get_default_timezone()
    found = []
    for value in series.exdates:
        try:
            found.append(datetime.fromisoformat(value).replace(tzinfo=berlin))
        except (TypeError, ValueError):
            continue
    return found


def series_components(series: EventSeries, rows: list[Event], now: datetime) -> list:
    """The master VEVENT of a rule-based series and its overrides; `rows` are the occurrences
    this feed may show. A rule start without such a row (deleted, or not public) is an
    EXDATE; rows the rule does not produce (the rule changed since) stand on their own."""
    berlin = timezone.get_default_timezone()
    starts = _rule_starts(series, now + HORIZON)
    if starts is None:  # cannot say which starts are missing: list the dates one by one
        return [vevent(row) for row in rows if _in_window(row, now)]
    instances, loose = [], []
    for row in rows:
        if row.recurrence_id and row.recurrence_id.timestamp() in starts:
            instances.append(row)
        elif _in_window(row, now):
            loose.append(row)
    if not instances:
        return [vevent(row) for row in loose]

    signatures = {row.pk: _signature(row) for row in instances}
    unmoved = [row for row in instances if row.starts_at == row.recurrence_id]
    base = Counter(signatures[row.pk] for row in unmoved or instances).most_common(1)[0][0]
    reference = next(row for row in instances if signatures[row.pk] == base)

    uid = f"series-{series.uid}@{settings.MESSAGE_ID_DOMAIN}"
    master = vevent(reference, uid=uid)
    dtstart = timezone.localtime(series.dtstart, berlin)
    for name in ("dtstart", "dtend", "url"):
        del master[name]
    master.add("dtstart", dtstart)
    master.add("dtend", dtstart + base[4])
    master.add("url", settings.SITE_URL + reverse(
        "events:series_detail", args=[series.organisation.slug, series.pk]))
    master.add("rrule", vRecur.from_ical(series.rrule))
    present = {row.recurrence_id.timestamp() for row in instances}
    excluded = {ts: start for ts, start in starts.items() if ts not in present}
    for start in _exdates_of(series):
        excluded.setdefault(start.timestamp(), start)
    if dtstart.timestamp() not in starts:  # a first start off the rule is not an occurrence
        excluded[dtstart.timestamp()] = dtstart
    if excluded:
        master.add("exdate", [excluded[ts] for ts in sorted(excluded)])

    components = [master]
    for row in instances:
        if row.customised or row.starts_at != row.recurrence_id or signatures[row.pk] != base:
            override = vevent(row, uid=uid)
            override.add("recurrence-id", timezone.localtime(row.recurrence_id, berlin))
            components.append(override)
    components.extend(vevent(row) for row in loose)
    return components


def build_calendar(name: str, events: QuerySet[Event], *, series: bool = True) -> bytes:
    """`events`: what the feed may show, at any time. Single events come from the window
    (90 days back, two years ahead); a public series with a rule comes whole, as its master."""
    now = timezone.now()
    windowed = events.filter(starts_at__gte=now - PAST, starts_at__lte=now + AHEAD)
    calendar = new_calendar(name)
    series_ids: set[int] = set()
    if series:
        series_ids = set(windowed.filter(series__visibility=Visibility.PUBLIC)
                         .exclude(series__rrule="").values_list("series_id", flat=True))
        rows_of: dict[int, list[Event]] = {}
        for row in _related(events.filter(series_id__in=series_ids)):
            rows_of.setdefault(row.series_id, []).append(row)
        for item in EventSeries.objects.filter(pk__in=series_ids).select_related(
                "organisation").order_by("pk"):
            for component in series_components(item, rows_of.get(item.pk, []), now):
                calendar.add_component(component)
    for event in _related(windowed.exclude(series_id__in=series_ids)):
        calendar.add_component(vevent(event))
    return finish(calendar)


def _ics(body: bytes, *, private: bool = False) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS_TYPE)
    if private:
        patch_cache_control(response, private=True, max_age=MAX_AGE)
    else:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    response["X-Robots-Tag"] = "noindex"
    return response


def public_events() -> QuerySet[Event]:
    return Event.objects.filter(visible_q(None))


def _public_organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug, is_public=True)


# --- views -------------------------------------------------------------------------------

def organisation_ics(request, slug):
    organisation = _public_organisation(slug)
    events = public_events().filter(organisation__path__startswith=organisation.path)
    return _ics(build_calendar(organisation.name, events))


def group_ics(request, slug, pk):
    group = get_object_or_404(Group.objects.select_related("organisation"), pk=pk,
                              organisation__slug=slug, organisation__is_public=True,
                              visibility=Group.Visibility.PUBLIC)
    events = public_events().filter(group=group)
    return _ics(build_calendar(f"{group.name} · {group.organisation.name}", events))


def topic_ics(request, slug, topic):
    found = get_object_or_404(Topic.objects.select_related("organisation"), slug=topic,
                              organisation__slug=slug, organisation__is_public=True)
    events = public_events().filter(topics=found)
    return _ics(build_calendar(f"{found.name} · {found.organisation.name}", events,
                               series=False))


def personal_ics(request, token):
    user = user_of(token)
    if user is None:
        raise Http404
    mine = Registration.objects.filter(user=user, status__in=Registration.ACTIVE)
    events = Event.objects.filter(pk__in=mine.values("event_id"))
    calendar = new_calendar(_("My events"))
    for event in _related(events):
        calendar.add_component(vevent(event))
    return _ics(finish(calendar), private=True)


def organisation_atom(request, slug):
    organisation = _public_organisation(slug)
    link = settings.SITE_URL + reverse("events:org_calendar", args=[organisation.slug])
    feed = Atom1Feed(
        title=_("Events of %(name)s") % {"name": organisation.name}, link=link,
        description="", language=get_language(),
        feed_url=settings.SITE_URL + request.path)
    upcoming = public_events().filter(organisation__path__startswith=organisation.path,
                                      starts_at__gte=timezone.now())
    for event in _related(upcoming)[:ATOM_ITEMS]:
        feed.add_item(
            title=event.title, link=event_url(event), description=_atom_summary(event),
            unique_id=f"tag:{settings.MESSAGE_ID_DOMAIN},event:{event.uid}",
            unique_id_is_permalink=False, pubdate=event.created_at,
            updateddate=event.updated_at, categories=[t.name for t in event.topics.all()],
            author_name=event.organisation.name)
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def _atom_summary(event: Event) -> str:
    """Escaped HTML: Atom readers render the summary as HTML."""
    start = timezone.localtime(event.starts_at)
    lines = [formats.date_format(start, "DATETIME_FORMAT")]
    if event.status not in (Event.Status.PLANNED, Event.Status.CONFIRMED):
        lines.append(str(event.get_status_display()))
    venue = venue_text(event)
    if venue:
        lines.append(venue)
    text = escape(" · ".join(lines))
    if event.description:
        text += linebreaks(escape(Truncator(event.description).chars(500)))
    return text
