"""Messages to registrants, through the outbox, in the registrant's language.

Online access data goes only into messages to confirmed registrants (confirmation, reminders);
such messages are sensitive, so their content stays out of logs and staff lists."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mitmachen.events.models import Event, OnlineAccess, Registration


def personal_url(registration: Registration) -> str:
    from mitmachen.events.registrations import personal_token

    return settings.SITE_URL + reverse("events:personal", args=[personal_token(registration)])


def access_for(registration: Registration) -> OnlineAccess | None:
    event = registration.event
    if registration.status != Registration.Status.CONFIRMED or not event.is_online or \
            event.status in (Event.Status.CANCELLED, Event.Status.POSTPONED):
        return None
    access = OnlineAccess.objects.filter(event_id=registration.event_id).first()
    if access is None or not (access.url or access.meeting_id or access.passcode):
        return None
    return access


def _send(registration: Registration, template: str, *, with_access: bool = False,
          with_ics: bool = False, **extra) -> None:
    if not registration.email:
        return  # registered by phone without an address: staff told them on the phone
    from mitmachen.events.calendar import ICS_TYPE, event_ics
    from mitmachen.messaging.outbox import email_from_templates

    event = registration.event
    access = access_for(registration) if with_access else None
    context = {
        "registration": registration, "event": event, "organisation": event.organisation,
        "starts": timezone.localtime(event.starts_at),
        "ends": event.ends_at and timezone.localtime(event.ends_at),
        "url": personal_url(registration), "access": access, **extra,
    }
    attachments = []
    if with_ics:
        attachments.append(("event.ics", event_ics(event, access=access), ICS_TYPE))
    email_from_templates(to=registration.email, template=f"events/email/{template}",
                         context=context, language=registration.language,
                         organisation=event.organisation, contact=registration.contact,
                         sensitive=access is not None, attachments=attachments)


def confirmed(registration: Registration, promoted: bool = False) -> None:
    _send(registration, "confirmed", with_access=True, with_ics=True, promoted=promoted)


def waiting(registration: Registration) -> None:
    from mitmachen.events.registrations import waiting_position

    _send(registration, "waiting", position=waiting_position(registration))


def pending(registration: Registration) -> None:
    _send(registration, "pending")


def confirm_email(registration: Registration) -> None:
    from mitmachen.events.registrations import email_code

    _send(registration, "confirm_email",
          confirm_url=f"{personal_url(registration)}?code={email_code(registration)}")


def offered(registration: Registration) -> None:
    _send(registration, "offered", deadline=timezone.localtime(registration.offer_expires_at))


def offer_expired(registration: Registration) -> None:
    _send(registration, "offer_expired")


def declined(registration: Registration) -> None:
    _send(registration, "declined")


def cancelled(registration: Registration) -> None:
    _send(registration, "cancelled")


def access_changed(registration: Registration) -> None:
    if access_for(registration) is not None:
        _send(registration, "access_changed", with_access=True)


def reminder(registration: Registration) -> None:
    _send(registration, "reminder", with_access=True, with_ics=True)


def event_changed(registration: Registration, reason: str) -> None:
    """The event was cancelled or postponed (its status tells which)."""
    _send(registration, "event_changed", reason=reason,
          cancelled=registration.event.status == Event.Status.CANCELLED)
