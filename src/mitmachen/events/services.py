"""Writes on events: create, change, cancel or postpone, access data, topics, speakers, files,
questions and ticket categories. Registrations live in `registrations.py`, series in
`series.py`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.updates import create_audited, delete_audited, update_audited
from mitmachen.events import notifications
from mitmachen.events.models import (
    Event,
    EventFile,
    OnlineAccess,
    Question,
    Registration,
    Speaker,
    TicketCategory,
    Topic,
)

EDITABLE = [
    "title", "description", "kind", "status", "status_note", "visibility", "starts_at",
    "ends_at", "place", "is_online", "venue_note", "accessibility_note", "fee", "fee_note",
    "contact_name", "contact_email", "contact_phone", "group", "cooperation", "tags",
    "registration", "capacity", "registration_opens_at", "registration_closes_at",
    "approval_required", "double_opt_in", "offer_hours", "reminder_hours",
]
MAX_REMINDERS = 5
MAX_TAGS = 20


def check_references(organisation, data: dict) -> None:
    """A place, group or cooperation must be the organisation's own (or shared with it)."""
    for name in ("place", "group"):
        value = data.get(name)
        if value is not None and value.organisation_id != organisation.pk:
            raise ValidationError({name: _("Please choose one of your organisation's entries.")})
    cooperation = data.get("cooperation")
    if cooperation is not None and not cooperation.partners.filter(pk=organisation.pk).exists():
        raise ValidationError({"cooperation": _("Your organisation is not part of it.")})


def _clean_lists(data: dict) -> None:
    if "tags" in data:
        tags = data["tags"] or []
        if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
            raise ValidationError({"tags": _("Tags are a list of words.")})
        tags = list(dict.fromkeys(t.strip()[:50] for t in tags if t.strip()))
        if len(tags) > MAX_TAGS:
            raise ValidationError({"tags": _("At most %(n)d tags.") % {"n": MAX_TAGS}})
        data["tags"] = tags
    if "reminder_hours" in data:
        hours = data["reminder_hours"] or []
        if not isinstance(hours, list) or any(
                not isinstance(h, int) or isinstance(h, bool) or not 1 <= h <= 24 * 60
                for h in hours):
            raise ValidationError({"reminder_hours": _(
                "Reminders are whole hours before the start, between 1 and 1440.")})
        if len(hours) > MAX_REMINDERS:
            raise ValidationError({"reminder_hours": _("At most %(n)d reminders.") % {
                "n": MAX_REMINDERS}})
        data["reminder_hours"] = sorted(set(hours), reverse=True)


def _topics_set(event: Event, topics) -> None:
    topics = list(topics)
    if any(t.organisation_id != event.organisation_id for t in topics):
        raise ValidationError({"topics": _("Please choose one of your organisation's topics.")})
    event.topics.set(topics)


def event_create(*, organisation, title: str, kind: str, starts_at, actor, topics=(),
                 **fields) -> Event:
    data = {"title": title, "kind": kind, "starts_at": starts_at, **fields}
    check_references(organisation, data)
    _clean_lists(data)
    with transaction.atomic():
        event = create_audited(instance=Event(organisation=organisation, **data), actor=actor)
        _topics_set(event, topics)
        transaction.on_commit(lambda: schedule_reminders(event.pk))
    return event


def event_update(*, event: Event, data: dict, actor, topics=None) -> Event:
    """Change an event. An occurrence changed here no longer follows its series."""
    data = dict(data)
    check_references(event.organisation, data)
    _clean_lists(data)
    if "status" in data and data["status"] in (Event.Status.CANCELLED, Event.Status.POSTPONED) \
            and data["status"] != event.status:
        raise ValidationError({"status": _("Use “Cancel” or “Postpone”: they notify the "
                                           "registrants.")})
    from mitmachen.events.registrations import lock_event, promote

    with transaction.atomic():
        event = lock_event(event)
        capacity = data.get("capacity", event.capacity)
        if capacity is not None and capacity < event.seats_taken:
            raise ValidationError({"capacity": _(
                "%(n)d people already hold a seat; cancel registrations first.") % {
                "n": event.seats_taken}})
        changes = update_audited(instance=event, data=data, fields=EDITABLE, actor=actor)
        topics_changed = topics is not None and {t.pk for t in topics} != set(
            event.topics.values_list("pk", flat=True))
        if topics_changed:
            _topics_set(event, topics)
        if event.series_id and not event.customised and (changes or topics_changed):
            Event.objects.filter(pk=event.pk).update(customised=True)
            event.customised = True
        if "starts_at" in changes:
            # An offer never runs past the start: moved earlier, the deadlines move with it.
            event.registrations.filter(status=Registration.Status.OFFERED,
                                       offer_expires_at__gt=event.starts_at).update(
                offer_expires_at=event.starts_at)
        # More seats, or a new date that revived offers' chances: the waiting list moves up.
        if {"capacity", "starts_at", "status"} & set(changes):
            promote(event, actor, timezone.now())
        if {"starts_at", "reminder_hours"} & set(changes):
            transaction.on_commit(lambda: schedule_reminders(event.pk))
    return event


def event_status_change(*, event: Event, to_status: str, actor, reason: str = "") -> Event:
    """Cancel, postpone, or confirm an event; registrants hear of a cancellation or delay."""
    if to_status not in Event.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    reason = (reason or "").strip()
    if "\x00" in reason or len(reason) > 300:
        raise ValidationError({"reason": _("Please use at most 300 characters.")})
    from mitmachen.events.registrations import lock_event, promote

    with transaction.atomic():
        event = lock_event(event)
        before = event.status
        if before == to_status:
            return event
        event.status = to_status
        event.status_note = reason
        event.save(update_fields=["status", "status_note", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=event,
                     changes={"status": [before, to_status], "reason": reason})
        if to_status in (Event.Status.CANCELLED, Event.Status.POSTPONED):
            active = event.registrations.filter(status__in=Registration.ACTIVE)
            for registration in active.select_related("contact").iterator():
                registration.event = event
                notifications.event_changed(registration, reason)
        else:  # back on: seats freed meanwhile go to the waiting list
            promote(event, actor, timezone.now())
    return event


def access_set(*, event: Event, actor, url: str = "", meeting_id: str = "", passcode: str = "",
               note: str = "") -> OnlineAccess:
    """Store the online access data; the audit log records that it changed, never the values."""
    access = OnlineAccess.objects.filter(event=event).first() or OnlineAccess(event=event)
    before = (access.url, access.meeting_id, access.passcode, access.note)
    access.url, access.meeting_id, access.passcode, access.note = (
        (url or "").strip(), (meeting_id or "").strip(), (passcode or "").strip(),
        (note or "").strip())
    access.full_clean()
    changed = before != (access.url, access.meeting_id, access.passcode, access.note)
    with transaction.atomic():
        access.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=event,
                     changes={"online_access": "changed"})
        if changed and event.starts_at > timezone.now():
            # Whoever is confirmed already must not miss new or changed access data.
            confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED)
            for registration in confirmed.select_related("contact").iterator():
                registration.event = event
                notifications.access_changed(registration)
    return access


def topic_create(*, organisation, name: str, actor) -> Topic:
    name = (name or "").strip()
    slug = slugify(name)[:100]
    if not slug:
        raise ValidationError({"name": _("Please enter a name.")})
    if Topic.objects.filter(organisation=organisation, slug=slug).exists():
        raise ValidationError({"name": _("This topic exists already.")})
    with transaction.atomic():
        return create_audited(instance=Topic(organisation=organisation, name=name, slug=slug),
                              actor=actor)


def speaker_add(*, event: Event, name: str, actor, affiliation: str = "",
                contribution: str = "") -> Speaker:
    with transaction.atomic():
        return create_audited(instance=Speaker(
            event=event, name=(name or "").strip(), affiliation=(affiliation or "").strip(),
            contribution=(contribution or "").strip(), position=event.speakers.count()),
            actor=actor)


def speaker_remove(*, speaker: Speaker, actor) -> None:
    with transaction.atomic():
        delete_audited(instance=speaker, actor=actor, organisation=speaker.event.organisation)


# Checked by content, not by the name or the browser's claim.
FILE_SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"PK\x03\x04": ("application/zip", None),  # .odt/.docx/.xlsx: told apart by the name
}
OFFICE_TYPES = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
FILE_MAX_BYTES = 10 * 1024 * 1024


def file_type(head: bytes, name: str) -> str | None:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for signature, (content_type, _suffix) in FILE_SIGNATURES.items():
        if head.startswith(signature):
            if content_type == "application/zip":
                return OFFICE_TYPES.get(suffix)
            return content_type
    return None


def checked_upload(upload) -> tuple[str, str]:
    """(content type, file suffix) of an uploaded PDF, image or office document of at most
    10 MB, judged by its content; ValidationError for anything else."""
    if upload is None or not upload.size:
        raise ValidationError({"file": _("Please choose a file.")})
    if upload.size > FILE_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    upload.seek(0)
    content_type = file_type(upload.read(8), upload.name or "")
    upload.seek(0)
    if content_type is None:
        raise ValidationError({"file": _(
            "Please upload a PDF, a PNG or JPEG image, or an office document (ODT, DOCX, "
            "XLSX, …).")})
    suffix = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
        content_type) or next(s for s, t in OFFICE_TYPES.items() if t == content_type)
    return content_type, suffix


def file_add(*, event: Event, upload, title: str, actor) -> EventFile:
    """Attach a file (PDF, image or office document, at most 10 MB)."""
    content_type, suffix = checked_upload(upload)
    title = (title or "").strip() or (upload.name or "").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        attached = EventFile(event=event, title=title, content_type=content_type,
                             size=upload.size)
        # The stored name comes from the checked type, never from what the uploader typed.
        attached.file.save(f"{event.pk}-{slugify(title)[:40] or 'datei'}{suffix}", upload,
                           save=False)
        return create_audited(instance=attached, actor=actor)


def question_add(*, event: Event, label: str, actor, kind: str = Question.Kind.TEXT,
                 choices=(), required: bool = False) -> Question:
    choices = [c.strip() for c in choices if c and c.strip()]
    if kind == Question.Kind.CHOICE and len(choices) < 2:
        raise ValidationError({"choices": _("A choice needs at least two answers.")})
    with transaction.atomic():
        return create_audited(instance=Question(
            event=event, label=(label or "").strip(), kind=kind, choices=choices,
            required=required, position=event.questions.count()), actor=actor)


def category_add(*, event: Event, name: str, actor, capacity: int | None = None,
                 price=None) -> TicketCategory:
    with transaction.atomic():
        return create_audited(instance=TicketCategory(
            event=event, name=(name or "").strip(), capacity=capacity, price=price,
            position=event.categories.count()), actor=actor)


def question_remove(*, question: Question, actor) -> None:
    """Refused once anyone has registered: their answers would lose their question."""
    if question.event.registrations.exists():
        raise ValidationError(_("People have registered already; their answers to this "
                                "question would be lost."))
    with transaction.atomic():
        delete_audited(instance=question, actor=actor, organisation=question.event.organisation)


def category_remove(*, category: TicketCategory, actor) -> None:
    if category.registrations.exists():
        raise ValidationError(_("People have registered with this ticket; it cannot be "
                                "removed."))
    with transaction.atomic():
        delete_audited(instance=category, actor=actor, organisation=category.event.organisation)


def file_remove(*, attached: EventFile, actor) -> None:
    """Delete the row, and the stored file once that is committed."""
    stored = attached.file
    with transaction.atomic():
        delete_audited(instance=attached, actor=actor, organisation=attached.event.organisation)
        transaction.on_commit(lambda: stored.storage.delete(stored.name))


# --- reminders -------------------------------------------------------------------------------

def schedule_reminders(event_id: int) -> None:
    """Enqueue one task per configured reminder; each checks the event again when it runs, so
    an event that moved just leaves the old task with nothing to do."""
    from datetime import timedelta

    from mitmachen.events.tasks import event_remind

    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return
    now = timezone.now()
    for hours in event.reminder_hours:
        when = event.starts_at - timedelta(hours=hours)
        if when < now:
            continue
        try:
            event_remind.using(run_after=when).enqueue(event_id, hours)
        except Exception:  # `mitmachen events_tick` sends due reminders as well
            import logging

            logging.getLogger("mitmachen.events").exception("could not schedule a reminder")


def reminders_send(*, event: Event, hours: int, now=None) -> int:
    """Remind the confirmed registrants; safe to run twice (one ReminderSent row each)."""
    from datetime import timedelta

    from django.db import IntegrityError

    from mitmachen.events.models import ReminderSent

    now = now or timezone.now()
    event = Event.objects.select_related("organisation", "place").get(pk=event.pk)
    if hours not in event.reminder_hours or event.status in (
            Event.Status.CANCELLED, Event.Status.POSTPONED) or event.starts_at <= now \
            or event.starts_at - timedelta(hours=hours) > now:
        return 0
    sent = 0
    confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED).exclude(
        reminders__hours=hours).exclude(
        # confirmed after this reminder was due: their confirmation told them everything
        confirmed_at__gt=event.starts_at - timedelta(hours=hours))
    for registration in confirmed.iterator():
        registration.event = event
        try:
            with transaction.atomic():
                ReminderSent.objects.create(registration=registration, hours=hours)
                notifications.reminder(registration)
        except IntegrityError:
            continue  # another worker sent this one
        sent += 1
    return sent


def reminders_due(*, now=None) -> int:
    """Every reminder that is due and not yet sent (the cron safety net)."""
    from datetime import timedelta

    now = now or timezone.now()
    total = 0
    upcoming = Event.objects.filter(starts_at__gt=now, starts_at__lte=now + timedelta(days=61),
                                    registration__in=[Event.Registration.OPEN,
                                                      Event.Registration.MEMBERS,
                                                      Event.Registration.INVITED])
    for event in upcoming.exclude(reminder_hours=[]).iterator():
        for hours in event.reminder_hours:
            if event.starts_at - timedelta(hours=hours) <= now:
                total += reminders_send(event=event, hours=hours, now=now)
    return total
