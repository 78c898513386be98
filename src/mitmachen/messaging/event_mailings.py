"""Mailings about an event: to its registrants, and event placeholders and .ics for any
mailing that names an event (an invitation to all members for the Kreismitgliederversammlung).

Registrants need not be contacts (a visitor registered with name and address only), so they
travel through the mailing as `Registrant`s, which look like contacts to the mailing code. They
gave their address for this event, so they are written to by e-mail without a newsletter
consent; a registrant with no address but a linked contact with a postal address gets a letter.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

STATUS_GROUPS = {
    "confirmed": ("confirmed",),
    "waiting": ("waiting", "offered"),
    "active": ("confirmed", "offered", "waiting", "pending"),
}
EVENT_PLACEHOLDERS = {
    "veranstaltung": "event_title", "datum": "event_date", "uhrzeit": "event_time",
    "ort": "event_venue", "link": "event_link", "anmeldung": "registration_link",
}


@dataclass
class Registrant:
    registration: object
    contact: object  # people.Contact or None

    @property
    def pk(self) -> str:
        return f"r{self.registration.pk}"

    def __getattr__(self, name):
        if name in ("first_name", "last_name", "email", "language"):
            return getattr(self.registration, name)
        if name in ("street", "postcode", "city", "messenger_phone"):
            return getattr(self.contact, name, "") if self.contact else ""
        raise AttributeError(name)

    @property
    def full_name(self) -> str:
        return self.registration.name

    @property
    def status(self) -> str:
        return self.contact.status if self.contact else ""


def event_of(mailing):
    """The event a mailing is about, checked to be the organisation's own, or None."""
    if "_event" not in mailing.__dict__:
        from mitmachen.events.models import Event

        event_id = (mailing.audience or {}).get("event_id")
        mailing.__dict__["_event"] = Event.objects.select_related(
            "organisation", "place").filter(pk=event_id, organisation=mailing.organisation
                                            ).first() if event_id else None
    return mailing.__dict__["_event"]


def check_audience(organisation, audience: dict, purpose: str = "") -> None:
    from mitmachen.events.models import Event

    event_id = audience.get("event_id")
    if event_id is not None and not Event.objects.filter(
            pk=event_id, organisation=organisation).exists():
        raise ValidationError({"event": _("Choose one of your organisation's events.")})
    if audience.get("kind") == "event":
        if event_id is None:
            raise ValidationError({"event": _("Choose an event.")})
        if audience.get("statuses") not in STATUS_GROUPS:
            raise ValidationError({"statuses": _("Choose which registrants get it.")})
        if purpose == "newsletter":
            # Registrants gave their address for this event, not for a newsletter.
            raise ValidationError({"purpose": _(
                "An event's registrants get messages about the event, not newsletters.")})


def registrants(mailing) -> list[Registrant]:
    event = event_of(mailing)
    if event is None:
        raise ValidationError(_("Choose who gets the mailing."))
    statuses = STATUS_GROUPS.get(mailing.audience.get("statuses"), ())
    rows = event.registrations.filter(status__in=statuses).select_related("contact") \
        .order_by("last_name", "first_name", "pk")
    found = []
    for registration in rows:
        registration.event = event
        contact = registration.contact if registration.contact and \
            registration.contact.erased_at is None else None
        found.append(Registrant(registration, contact))
    return found


def values(event, recipient, base_url: str) -> dict:
    """The event placeholders for one recipient (German and English names)."""
    from mitmachen.events.calendar import event_url, venue_text
    from mitmachen.events.notifications import personal_url

    starts = timezone.localtime(event.starts_at)
    time_text = formats.time_format(starts, "H:i")
    if event.ends_at:
        time_text += "–" + formats.time_format(timezone.localtime(event.ends_at), "H:i")
    english = {
        "event_title": event.title,
        "event_date": formats.date_format(starts, "l, j. F Y"),
        "event_time": time_text,
        "event_venue": venue_text(event),
        "event_link": event_url(event),
        "registration_link": personal_url(recipient.registration)
        if isinstance(recipient, Registrant) else "",
    }
    return {**english, **{german: english[name] for german, name in EVENT_PLACEHOLDERS.items()}}


def attachment(event) -> dict:
    """The event's .ics in the outbox's attachment format (never with access data)."""
    from mitmachen.events.calendar import event_ics

    return {"filename": "event.ics", "content_type": "text/calendar; charset=utf-8",
            "b64": base64.b64encode(event_ics(event)).decode()}
