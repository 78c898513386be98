"""Every write of the reporting channel.

Reporter-facing services take no actor and write no audit row: an audit row would keep the
moment of a report next to nothing else, which is exactly what the reporter is promised not to
leave behind. For the same reason the rows made at submission carry only its day, and the
reporter's later messages only their hour. Officers' actions are audited, without any content.

Every text is sealed for its place (crypto.seal_value): its purpose's subkey, the report's key
name and the row's kind or side. A ciphertext moved elsewhere by someone who can write to the
database does not open there, and is never shown (Opened.corrupted, ReportCorrupted).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime, make_aware
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_read, audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.core.validators import reject_nul
from mitmachen.reports import access, crypto, keystore
from mitmachen.reports.models import (
    Attachment,
    CaseEntry,
    Category,
    ChannelSettings,
    EntryKind,
    Message,
    Report,
    ReportKey,
    Status,
    Tally,
    Wish,
)

TEXT_MAX = 20000
SHORT_MAX = 500
MEDIUM_MAX = 2000
FILES_MAX = 5
FILES_TOTAL_MAX = 25 * 1024 * 1024


class ReportGone(Exception):
    """The report's shredding key is gone: it expired and was deleted."""


class ReportCorrupted(ReportGone):
    """The report's own text does not open as what it should be: damaged or tampered with.
    A kind of ReportGone, so that every page that handles a deleted report shows nothing of
    this one either."""


@dataclass
class Opened:
    """A report decrypted for one reader."""

    report: Report
    content: dict
    messages: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    # Messages, files and entries that did not open where they are (moved or damaged): left
    # out, only counted, so that a page can say that something is wrong.
    corrupted: int = 0


def channel_settings(organisation) -> ChannelSettings:
    found, _created = ChannelSettings.objects.get_or_create(organisation=organisation)
    return found


def _text(value, name: str, maximum: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({name: _("Please enter text.")})
    try:
        reject_nul(value)
    except ValidationError as exc:  # on the field, so that the form shows it next to it
        raise ValidationError({name: exc.error_list}) from None
    value = value.strip()
    if required and not value:
        raise ValidationError({name: _("Please describe what happened.") if name == "what"
                               else _("Please write something.")})
    if len(value) > maximum:
        raise ValidationError({name: _("Please keep this under %(n)d characters.")
                               % {"n": maximum}})
    return value


def _files(uploads) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of checked uploads."""
    from mitmachen.events.services import checked_upload

    if uploads is None:
        uploads = []
    # Uploaded files only: a string, bytes or a number here is a caller's mistake, and must be
    # a clear refusal rather than an AttributeError halfway through.
    if isinstance(uploads, str | bytes | dict) or not hasattr(uploads, "__iter__"):
        raise ValidationError({"files": _("The attachments could not be read. Please choose "
                                          "the files again.")})
    uploads = [u for u in uploads if u is not None]
    if not all(hasattr(u, "read") and hasattr(u, "seek") and hasattr(u, "size")
               for u in uploads):
        raise ValidationError({"files": _("The attachments could not be read. Please choose "
                                          "the files again.")})
    if len(uploads) > FILES_MAX:
        raise ValidationError({"files": _("At most %(n)d files.") % {"n": FILES_MAX}})
    if sum(u.size or 0 for u in uploads) > FILES_TOTAL_MAX:
        raise ValidationError({"files": _("The files together are larger than 25 MB.")})
    checked = []
    for upload in uploads:
        try:
            content_type, suffix = checked_upload(upload)
        except ValidationError as exc:
            raise ValidationError({"files": exc.message_dict.get("file", exc.messages)}) from None
        name = (upload.name or "").rsplit("/", 1)[-1].replace("\x00", "")[:150] or f"file{suffix}"
        upload.seek(0)
        checked.append((name, content_type, upload.read()))
    return checked


def _side(from_reporter: bool) -> str:
    return "reporter" if from_reporter else "officer"


def _seal_payload(key: bytes, report: Report, content: dict) -> bytes:
    return crypto.seal_value(key, "payload", report=report.key_name, kind="report",
                             value=content)


def _open_payload(key: bytes, report: Report) -> dict:
    content = crypto.open_value(key, "payload", report.payload, report=report.key_name,
                                kind="report")
    if not isinstance(content, dict):
        raise crypto.DecryptionError("not a report")
    return content


def _seal_message(key: bytes, report: Report, *, from_reporter: bool, text: str) -> bytes:
    side = _side(from_reporter)
    return crypto.seal_value(key, f"{side}_message", report=report.key_name, kind=side,
                             value=text)


def _open_message(key: bytes, report: Report, message: Message) -> str:
    side = _side(message.from_reporter)
    text = crypto.open_value(key, f"{side}_message", message.body, report=report.key_name,
                             kind=side)
    if not isinstance(text, str):
        raise crypto.DecryptionError("not a message")
    return text


def _seal_entry(key: bytes, report: Report, kind: str, text: str) -> bytes:
    return crypto.seal_value(key, "entry", report=report.key_name, kind=kind, value=text)


def _open_entry(key: bytes, report: Report, entry: CaseEntry) -> str:
    text = crypto.open_value(key, "entry", entry.body, report=report.key_name, kind=entry.kind)
    if not isinstance(text, str):
        raise crypto.DecryptionError("not an entry")
    return text


def _open_meta(key: bytes, report: Report, attachment: Attachment) -> dict:
    meta = crypto.open_value(key, "file_meta", attachment.meta, report=report.key_name,
                             kind=_side(attachment.from_reporter))
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str)
                                             for k in ("name", "type", "id")):
        raise crypto.DecryptionError("not a file")
    return meta


def _open_file(key: bytes, report: Report, attachment: Attachment, meta: dict) -> bytes:
    # The bytes carry the id their name and type carry: two files' contents cannot be swapped.
    return crypto.open_bytes(key, "file_content", attachment.content, report=report.key_name,
                             kind=f"{_side(attachment.from_reporter)}:{meta['id']}")


def _day_start(day: date) -> datetime:
    return make_aware(datetime.combine(day, time.min))


def _hour_start() -> datetime:
    return localtime().replace(minute=0, second=0, microsecond=0)


def _content_key(report: Report, report_key: bytes) -> bytes:
    shred = keystore.read(report.key_name)
    if shred is None:
        raise ReportGone
    return crypto.content_key(report_key, shred)


def _attach(report, message, files, key, *, from_reporter: bool) -> None:
    side = _side(from_reporter)
    for name, content_type, data in files:
        file_id = uuid.uuid4().hex
        Attachment.objects.create(
            report=report, message=message, from_reporter=from_reporter,
            meta=crypto.seal_value(key, "file_meta", report=report.key_name, kind=side,
                                   value={"name": name, "type": content_type, "id": file_id}),
            content=crypto.seal_bytes(key, "file_content", report=report.key_name,
                                      kind=f"{side}:{file_id}", data=data),
            size=len(data))


def _touch(report: Report, *, today: date | None = None) -> None:
    """Activity moves the deletion date back and clears an earlier warning."""
    today = today or timezone.localdate()
    days = channel_settings(report.organisation).retention_days
    report.last_activity_on = today
    report.expires_on = today + timedelta(days=days)
    report.warned_on = None


def _tally(organisation, year: int, quarter: int, category: str, delta: int) -> None:
    row, _created = Tally.objects.select_for_update().get_or_create(
        organisation=organisation, year=year, quarter=quarter, category=category)
    Tally.objects.filter(pk=row.pk).update(count=F("count") + delta)


def _notify(report: Report, template: str, users) -> None:
    from mitmachen.messaging.outbox import email_from_templates

    url = reverse("reports:inbox", args=[report.organisation.slug])
    for user in users:
        email_from_templates(to=user.email, template=template, language=user.language,
                             context={"organisation": report.organisation, "path": url,
                                      "site_url": settings.SITE_URL},
                             organisation=report.organisation)


# --- the reporter --------------------------------------------------------------------------

def report_submit(*, organisation, what, when="", where="", who="", wish="", category="",
                  contact="", files=()) -> tuple[Report, str]:
    """File a report. Returns it with the receipt, which is shown once and never stored."""
    content = {
        "what": _text(what, "what", TEXT_MAX, required=True),
        "when": _text(when, "when", SHORT_MAX),
        "where": _text(where, "where", SHORT_MAX),
        "who": _text(who, "who", MEDIUM_MAX),
        "contact": _text(contact, "contact", SHORT_MAX),
    }
    if wish not in Wish.values:
        raise ValidationError({"wish": _("Please choose what you would like us to do.")})
    content["wish"] = wish
    category = category or Category.OTHER
    if category not in Category.values:
        raise ValidationError({"category": _("Please choose a category from the list.")})
    checked = _files(files)
    closed = ValidationError(_("This organisation has not opened its reporting channel yet."))
    # A cheap refusal before anything is locked; the list that counts is read after the lock.
    if not access.channel_open(organisation):
        raise closed

    receipt = crypto.new_receipt()
    report_key = crypto.random_key()
    today = timezone.localdate()
    # Every row made here carries the day, not the moment: the moment of a report, next to an
    # access log elsewhere, could point to the reporter.
    day = _day_start(today)
    with transaction.atomic():
        settings_row, created = ChannelSettings.objects.select_for_update().get_or_create(
            organisation=organisation)
        if created:
            ChannelSettings.objects.filter(pk=settings_row.pk).update(created_at=day,
                                                                      updated_at=day)
        # After the lock, inside the transaction: a reader approved or removed a moment ago
        # counts for this report.
        readers = access.readers_of(organisation)
        if not readers:
            raise closed
        # A counter, not the highest existing number: a deleted report's number never returns.
        number = max(settings_row.last_number, Report.objects.filter(
            organisation=organisation).aggregate(n=Max("number"))["n"] or 0) + 1
        # An update of the counter only: the row's updated_at would be the report's moment.
        ChannelSettings.objects.filter(pk=settings_row.pk).update(last_number=number)
        report = Report(organisation=organisation, number=number, category=category,
                        received_on=today, last_activity_on=today,
                        expires_on=today + timedelta(days=settings_row.retention_days),
                        receipt_lookup=crypto.receipt_lookup(receipt),
                        receipt_wrap=crypto.seal(crypto.receipt_key(receipt), report_key),
                        payload=b"")
        shred = keystore.create(report.key_name)
        # If the transaction fails, the orphaned key file decrypts nothing; purge removes it.
        key = crypto.content_key(report_key, shred)
        report.payload = _seal_payload(key, report, content)
        report.save()
        for reader in readers:
            ReportKey.objects.create(report=report, officer=reader.user,
                                     wrapped=crypto.wrap_for(bytes(reader.public_key),
                                                             report_key))
        _attach(report, None, checked, key, from_reporter=True)
        Report.objects.filter(pk=report.pk).update(created_at=day, updated_at=day)
        report.created_at = report.updated_at = day
        ReportKey.objects.filter(report=report).update(created_at=day)
        Attachment.objects.filter(report=report).update(created_at=day, updated_at=day)
        _tally(organisation, today.year, report.quarter, category, +1)
        _notify(report, "reports/email/new_report", [r.user for r in readers])
    return report, receipt


def reporter_open(*, organisation, receipt) -> tuple[Report, bytes]:
    """The report behind a receipt and its key; ValidationError for a wrong receipt."""
    wrong = ValidationError({"receipt": _("We found no report with this receipt code. Please "
                                          "check it and try again.")})
    if not isinstance(receipt, str) or len(receipt) > 100:
        raise wrong
    canonical = crypto.normalise_receipt(receipt)
    if canonical is None:
        raise wrong
    report = Report.objects.filter(organisation=organisation,
                                   receipt_lookup=crypto.receipt_lookup(canonical)).first()
    if report is None:
        raise wrong
    try:
        report_key = crypto.unseal(crypto.receipt_key(canonical), bytes(report.receipt_wrap))
        _content_key(report, report_key)
    except (crypto.DecryptionError, ReportGone):
        raise wrong from None
    return report, report_key


def reporter_view(*, report: Report, report_key: bytes) -> Opened:
    opened = _decrypt(report, report_key, entries=False)
    if report.unread_by_reporter:
        Report.objects.filter(pk=report.pk).update(unread_by_reporter=False)
    return opened


def reporter_reply(*, report: Report, report_key: bytes, text, files=()) -> Message:
    text = _text(text, "text", TEXT_MAX, required=True)
    checked = _files(files)
    key = _content_key(report, report_key)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        message = Message.objects.create(
            report=report, from_reporter=True,
            body=_seal_message(key, report, from_reporter=True, text=text))
        _attach(report, message, checked, key, from_reporter=True)
        # The hour is enough for the officers to follow the conversation; the minute is not
        # kept, and the report's own updated_at stays as it is.
        hour = _hour_start()
        Message.objects.filter(pk=message.pk).update(created_at=hour, updated_at=hour)
        message.created_at = message.updated_at = hour
        Attachment.objects.filter(message=message).update(created_at=hour, updated_at=hour)
        _touch(report)
        report.unread_by_officers = True
        report.save(update_fields=["last_activity_on", "expires_on", "warned_on",
                                   "unread_by_officers"])
        holders = [k.officer for k in report.keys.select_related("officer")]
        _notify(report, "reports/email/new_message", holders)
    return message


# --- officers ------------------------------------------------------------------------------

def _officer_key(report: Report, officer, private_key: bytes) -> bytes:
    if not access.may_handle(officer, report.organisation):
        raise PermissionDenied
    return access.report_key(report, officer, private_key)


def _decrypt(report: Report, report_key: bytes, *, entries: bool) -> Opened:
    key = _content_key(report, report_key)
    try:
        opened = Opened(report=report, content=_open_payload(key, report))
    except crypto.DecryptionError:
        raise ReportCorrupted from None
    for message in report.messages.select_related("author"):
        try:
            text = _open_message(key, report, message)
        except crypto.DecryptionError:
            opened.corrupted += 1
            continue
        opened.messages.append({"id": message.pk, "from_reporter": message.from_reporter,
                                "author": message.author, "at": message.created_at,
                                "text": text})
    for attachment in report.attachments.defer("content"):
        try:
            meta = _open_meta(key, report, attachment)
        except crypto.DecryptionError:
            opened.corrupted += 1
            continue
        opened.attachments.append({"id": attachment.pk, "message_id": attachment.message_id,
                                   "from_reporter": attachment.from_reporter,
                                   "name": meta["name"], "type": meta["type"],
                                   "size": attachment.size})
    if entries:
        for entry in report.entries.select_related("author"):
            try:
                text = _open_entry(key, report, entry)
            except crypto.DecryptionError:
                opened.corrupted += 1
                continue
            opened.entries.append({"kind": entry.kind, "label": entry.get_kind_display(),
                                   "author": entry.author, "at": entry.created_at,
                                   "text": text})
    return opened


def report_open(*, report: Report, officer, private_key: bytes) -> Opened:
    """The whole case for an officer; logged as a read (without content)."""
    report_key = _officer_key(report, officer, private_key)
    opened = _decrypt(report, report_key, entries=True)
    if report.unread_by_officers:
        Report.objects.filter(pk=report.pk).update(unread_by_officers=False)
    audit_read(actor=officer, obj=report, what=str(report))
    return opened


def attachment_open(*, attachment: Attachment, officer=None, private_key: bytes | None = None,
                    report_key: bytes | None = None) -> tuple[str, str, bytes]:
    """(name, type, bytes), for an officer or for the reporter (with the report key)."""
    report = attachment.report
    if report_key is None:
        report_key = _officer_key(report, officer, private_key)
        audit_read(actor=officer, obj=report, what=_("Attachment of %(report)s")
                   % {"report": report})
    key = _content_key(report, report_key)
    try:
        meta = _open_meta(key, report, attachment)
        return meta["name"], meta["type"], _open_file(key, report, attachment, meta)
    except crypto.DecryptionError:
        raise ReportCorrupted from None


def _entry(report, officer, key, kind: str, text: str) -> CaseEntry:
    return CaseEntry.objects.create(report=report, author=officer, kind=kind,
                                    body=_seal_entry(key, report, kind, text))


def officer_reply(*, report: Report, officer, private_key: bytes, text, files=()) -> Message:
    text = _text(text, "text", TEXT_MAX, required=True)
    checked = _files(files)
    key = _content_key(report, _officer_key(report, officer, private_key))
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        message = Message.objects.create(
            report=report, from_reporter=False, author=officer,
            body=_seal_message(key, report, from_reporter=False, text=text))
        _attach(report, message, checked, key, from_reporter=False)
        _touch(report)
        report.unread_by_reporter = True
        if report.status == Status.NEW:
            # The first answer starts the case; the record says so like any other change.
            _entry(report, officer, key, EntryKind.STATUS, _("%(old)s → %(new)s") % {
                "old": Status.NEW.label, "new": Status.IN_PROGRESS.label}
                + ": " + _("first answer to the reporter"))
            report.status = Status.IN_PROGRESS
        report.save()
        audit_record(actor=officer, action=AuditEntry.Action.CREATE, obj=message,
                     organisation=report.organisation, object_repr=str(report))
    return message


NOTE_KINDS = {EntryKind.NOTE, EntryKind.MEASURE, EntryKind.DECISION}


def entry_add(*, report: Report, officer, private_key: bytes, kind: str, text) -> CaseEntry:
    """A note, a measure or a decision in the case record."""
    if not isinstance(kind, str) or kind not in NOTE_KINDS:
        raise ValidationError({"kind": _("Please choose note, measure or decision.")})
    text = _text(text, "text", TEXT_MAX, required=True)
    key = _content_key(report, _officer_key(report, officer, private_key))
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        entry = _entry(report, officer, key, kind, text)
        if kind == EntryKind.MEASURE and report.status in {Status.NEW, Status.IN_PROGRESS}:
            report.status = Status.MEASURES
        _touch(report)
        report.save()
        audit_record(actor=officer, action=AuditEntry.Action.CREATE, obj=entry,
                     organisation=report.organisation, object_repr=str(report),
                     changes={"kind": [None, kind]})
    return entry


def report_update(*, report: Report, officer, private_key: bytes, status=None, category=None,
                  deadline: date | None | str = "", reason="") -> Report:
    """Status, category and deadline; each change enters the case record with its reason."""
    reason = _text(reason, "reason", MEDIUM_MAX)
    key = _content_key(report, _officer_key(report, officer, private_key))
    if status is not None and status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if category is not None and category not in Category.values:
        raise ValidationError({"category": _("Please choose a category from the list.")})
    if deadline not in ("", None) and not isinstance(deadline, date):
        raise ValidationError({"deadline": _("Please enter a date.")})
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        changes = {}
        if status is not None and status != report.status:
            changes["status"] = [report.status, status]
            _entry(report, officer, key, EntryKind.STATUS, _("%(old)s → %(new)s") % {
                "old": Status(report.status).label, "new": Status(status).label}
                + (f": {reason}" if reason else ""))
            report.status = status
        if category is not None and category != report.category:
            changes["category"] = [report.category, category]
            year, quarter = report.received_on.year, report.quarter
            _tally(report.organisation, year, quarter, report.category, -1)
            _tally(report.organisation, year, quarter, category, +1)
            _entry(report, officer, key, EntryKind.DECISION, _("Category: %(old)s → %(new)s")
                   % {"old": Category(report.category).label, "new": Category(category).label}
                   + (f": {reason}" if reason else ""))
            report.category = category
        if deadline != "" and deadline != report.deadline:
            changes["deadline"] = [str(report.deadline or ""), str(deadline or "")]
            _entry(report, officer, key, EntryKind.DEADLINE,
                   (_("Deadline: %(date)s") % {"date": deadline.isoformat()} if deadline
                    else _("Deadline removed")) + (f": {reason}" if reason else ""))
            report.deadline = deadline
        if not changes:
            return report
        _touch(report)
        report.save()
        audit_record(actor=officer, action=AuditEntry.Action.UPDATE, obj=report,
                     changes=changes)
    return report


def _days(value, name: str) -> int:
    """A whole number of days (a form's string of digits counts); the range is the model's."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({name: _("Please enter a whole number of days.")})
    return value


def settings_update(*, organisation, actor, retention_days, warning_days,
                    introduction="") -> ChannelSettings:
    """The retention period, the warning before deletion and the form's introduction. Only a
    reader may change them: a period shortened by someone who cannot read the reports would
    delete what they never saw. No report becomes due at once: each keeps at least the warning
    period from today (retention.expire warns first, then deletes)."""
    if not access.is_reader(actor, organisation):
        raise PermissionDenied
    # Checked before anything is read or created: bad input leaves no settings row behind.
    introduction = _text(introduction, "introduction", 4000)
    retention_days = _days(retention_days, "retention_days")
    warning_days = _days(warning_days, "warning_days")
    with transaction.atomic():
        row = ChannelSettings.objects.select_for_update().get_or_create(
            organisation=organisation)[0]
        before = {"retention_days": row.retention_days, "warning_days": row.warning_days,
                  "introduction": row.introduction}
        row.retention_days, row.warning_days = retention_days, warning_days
        row.introduction = introduction
        row.full_clean()
        if row.warning_days >= row.retention_days:
            raise ValidationError({"warning_days": _("The warning must come before the "
                                                     "deletion.")})
        row.save()
        # The new period applies to every report, counted from its last activity, but never
        # sooner than a full warning period from today. A report whose date moves is warned
        # again for its new date.
        earliest = timezone.localdate() + timedelta(days=row.warning_days)
        for report in Report.objects.filter(organisation=organisation).select_for_update():
            expires = max(report.last_activity_on + timedelta(days=row.retention_days),
                          earliest)
            if expires != report.expires_on:
                report.expires_on = expires
                report.warned_on = None
                report.save(update_fields=["expires_on", "warned_on", "updated_at"])
        after = {"retention_days": row.retention_days, "warning_days": row.warning_days,
                 "introduction": row.introduction}
        from mitmachen.core.audit import changes_between

        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=row,
                     organisation=organisation, changes=changes_between(before, after))
    return row
