"""GDPR: export one contact's data (JSON and PDF) and erase it."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from mitmachen.core import gdpr
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.people.models import Contact

PERSONAL_FIELDS = [
    "first_name", "last_name", "pronouns", "gender", "quota_category", "street", "postcode",
    "city", "email", "phone", "messenger_phone", "notes",
]


def export_part(contact: Contact) -> dict:
    return {
        "contact": {
            "organisation": contact.organisation.name,
            **{field: getattr(contact, field) for field in PERSONAL_FIELDS},
            "quota_category": contact.quota_category,
            "district": contact.district.name if contact.district else None,
            "birthday": contact.birthday.isoformat() if contact.birthday else None,
            "language": contact.language,
            "status": contact.status,
            "membership_number": contact.membership_number,
            "created_at": contact.created_at.isoformat(),
        },
        "membership_history": [
            {"from": c.from_status, "to": c.to_status, "date": c.date.isoformat(),
             "reason": c.reason} for c in contact.status_changes.all()
        ],
        "applications": [
            {"status": a.status, "message": a.message, "answer": a.answer,
             "created_at": a.created_at.isoformat()} for a in contact.applications.all()
        ],
        "consents": [
            {"channel": c.channel, "purpose": c.purpose, "granted": c.granted,
             "source": c.source, "text_version": c.text_version,
             "time": c.created_at.isoformat()} for c in contact.consents.all()
        ],
    }


def contact_export(*, contact: Contact, actor, fmt: str) -> bytes:
    """Everything the platform holds about the person, as JSON or as a readable PDF."""
    import json

    data = gdpr.collect(contact)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.Action.EXPORT, obj=contact,
                     object_repr=f"GDPR export ({fmt})")
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2).encode()
    from weasyprint import HTML

    html = render_to_string("people/gdpr_export.html",
                            {"data": data, "contact": contact, "now": timezone.now()})
    return HTML(string=html).write_pdf()


def contact_erase(*, contact: Contact, actor) -> None:
    """Redact the person everywhere; keep only what must stay (redacted membership history)."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        traces = [value for value in (locked.full_name, locked.email, locked.phone,
                                      locked.messenger_phone) if value]
        if len(locked.last_name) >= 4:  # searches by surname ("q=Beisp…") name the person too
            traces.append(locked.last_name)
        gdpr.erase(locked)  # before the fields are blanked: apps find data by the address too
        for field in PERSONAL_FIELDS:
            setattr(locked, field, "")
        locked.birthday = None
        locked.district = None
        locked.user = None
        locked.erased_at = timezone.now()
        locked.save()
        locked.consents.all().delete()
        locked.consent_requests.all().delete()
        locked.status_changes.update(reason="")
        locked.applications.filter(status__in=["unconfirmed", "pending"]).update(
            status="declined", decided_at=timezone.now())
        locked.applications.update(message="", answer="", consents=[])
        # The audit log keeps that something happened, not to whom.
        entries = AuditEntry.objects.filter(object_type="people.contact",
                                            object_id=str(locked.pk))
        entries.redact(object_repr="[erased]", changes={})
        for trace in traces:
            AuditEntry.objects.filter(object_repr__icontains=trace).redact(
                object_repr="[erased]")
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=locked,
                     object_repr=f"contact #{locked.pk} erased (GDPR)")
