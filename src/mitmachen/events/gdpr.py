"""A person's registrations in the GDPR export and erasure.

Registrations are found by the contact they are linked to and, for people who registered on a
public form before they were known, by the contact's e-mail address within the organisation."""

from django.db.models import Q

from mitmachen.events.models import Registration


def _registrations(contact):
    condition = Q(contact=contact)
    if contact.email:
        condition |= Q(email=contact.email.lower(), event__organisation=contact.organisation)
    return Registration.objects.filter(condition).select_related("event", "category")


def export_part(contact) -> dict:
    return {"event_registrations": [
        {"event": r.event.title, "starts_at": r.event.starts_at.isoformat(),
         "status": r.status, "name": r.name, "email": r.email, "phone": r.phone,
         "ticket": r.category.name if r.category else "", "answers": r.answers,
         "registered_at": r.created_at.isoformat(),
         "attended_at": r.attended_at.isoformat() if r.attended_at else None}
        for r in _registrations(contact)
    ]}


def erase_part(contact) -> None:
    """Past registrations keep only their status (for attendance figures); active ones are
    cancelled through the service, so their seats go to the waiting list."""
    from mitmachen.events.registrations import registration_cancel

    for registration in _registrations(contact).filter(status__in=Registration.ACTIVE):
        registration_cancel(registration=registration, actor=None, notify=False)
    _registrations(contact).update(first_name="–", last_name="", email="", phone="",
                                   answers={}, staff_note="", contact=None, user=None)
