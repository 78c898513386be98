"""iCalendar (RFC 5545) for single events: the .ics attached to confirmations and served on
event pages. The feeds in `feeds.py` build on `vevent()`."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from mitmachen.events.models import Event

PRODID = "-//mitmachen//events//DE"
ICS_TYPE = "text/calendar; charset=utf-8"


def new_calendar(name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


@lru_cache(maxsize=16)
def _vtimezone(first_year: int, last_year: int) -> Timezone:
    # Building a VTIMEZONE costs more than the rest of a confirmation e-mail; the rules of the
    # years a calendar spans are all a client needs.
    return Timezone.from_tzinfo(ZoneInfo(settings.TIME_ZONE), tzid=settings.TIME_ZONE,
                                first_date=date(first_year, 1, 1),
                                last_date=date(last_year + 1, 1, 1))


def finish(calendar: Calendar) -> bytes:
    """Add the Europe/Berlin VTIMEZONE for the years the events span, and serialise."""
    years = [component.decoded("dtstart").year for component in calendar.walk("VEVENT")]
    if years:
        # A series' rule runs on past its stored occurrences: cover the years ahead as well.
        last = max(max(years), timezone.now().year + 2)
        calendar.add_component(_vtimezone(min(years) - 1, last + 1))
    return calendar.to_ical()


def event_url(event: Event) -> str:
    return settings.SITE_URL + reverse("events:public_detail",
                                       args=[event.organisation.slug, event.pk])


def venue_text(event: Event) -> str:
    parts = []
    if event.place_id:
        place = event.place
        # A place not shown publicly (someone's flat) is named, its address is not.
        address = (place.street, f"{place.postcode} {place.city}".strip()) \
            if place.is_public else ()
        parts.append(", ".join(p for p in (place.name, *address) if p))
    if event.venue_note:
        parts.append(event.venue_note)
    if event.is_online:
        parts.append("Online")
    return " · ".join(parts)


ICS_STATUS = {
    Event.Status.CONFIRMED: "CONFIRMED",
    Event.Status.PLANNED: "CONFIRMED",
    Event.Status.TENTATIVE: "TENTATIVE",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.POSTPONED: "TENTATIVE",
}


def vevent(event: Event, *, access=None, uid: str | None = None) -> VEvent:
    """One VEVENT in Europe/Berlin time. `access` (OnlineAccess) only for a confirmed
    registrant's own copy: feeds never pass it."""
    berlin = timezone.get_default_timezone()
    item = VEvent()
    item.add("uid", uid or f"event-{event.uid}@{settings.MESSAGE_ID_DOMAIN}")
    item.add("dtstamp", timezone.now())
    item.add("dtstart", event.starts_at.astimezone(berlin))
    item.add("dtend", (event.ends_at or event.starts_at + timedelta(hours=2)).astimezone(berlin))
    item.add("summary", event.title)
    description = event.description
    if access is not None:
        lines = [access.url, access.meeting_id and f"Meeting-ID: {access.meeting_id}",
                 access.passcode and f"Kenncode/Passcode: {access.passcode}", access.note]
        description = "\n".join(line for line in lines if line) + "\n\n" + description
    if description:
        item.add("description", description)
    location = venue_text(event)
    if access is not None and access.url:
        location = access.url if not location else f"{location} · {access.url}"
    if location:
        item.add("location", location)
    item.add("status", ICS_STATUS[event.status])
    item.add("url", event_url(event))
    item.add("last-modified", event.updated_at)
    topics = [t.name for t in event.topics.all()]
    if topics or event.tags:
        item.add("categories", topics + list(event.tags))
    if event.organisation_id:
        item.add("organizer", f"mailto:{event.contact_email}" if event.contact_email
                 else settings.SITE_URL, parameters={"cn": event.organisation.name})
    return item


def event_ics(event: Event, *, access=None) -> bytes:
    calendar = new_calendar(event.title)
    calendar.add_component(vevent(event, access=access))
    return finish(calendar)
