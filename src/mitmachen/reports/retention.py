"""Deleting expired reports for good, and warning officers before it happens.

Nothing is deleted unwarned: a report is deleted only once its officers were warned and its
date has come. A report found past its date without a warning (a shorter period set, the
command not run for a while) is warned now and kept for the warning period from today.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.reports import keystore
from mitmachen.reports.models import ChannelSettings, Report, ReportKey


def report_delete(*, report: Report, actor=None, reason: str = "") -> None:
    """Delete a report with its messages, files and notes, and destroy its shredding key, so
    that no copy of the database can decrypt it again.

    `actor` is the officer who deletes it early (None: the retention period, run by the
    system). An officer must be an officer of the organisation who holds a key to the report:
    nobody deletes what they could not read."""
    from mitmachen.reports import access

    name = report.key_name
    if actor is not None and not (
            access.may_handle(actor, report.organisation)
            and ReportKey.objects.filter(report=report, officer=actor).exists()):
        raise PermissionDenied
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=report,
                     organisation=report.organisation,
                     object_repr=(reason or _("Report %(ref)s deleted")
                                  % {"ref": report.reference})[:200])
        report.delete()
        transaction.on_commit(lambda: keystore.destroy(name))


def expire(*, today: date | None = None, organisation=None) -> tuple[int, int]:
    """Delete what has expired and warn about what expires soon. Safe to run twice.
    Returns (deleted, warned)."""
    from django.urls import reverse

    from mitmachen.messaging.outbox import email_from_templates

    today = today or timezone.localdate()
    reports = Report.objects.select_related("organisation")
    if organisation is not None:
        reports = reports.filter(organisation=organisation)
    deleted = 0
    # Warned, and the date has come (activity since a warning clears it: see services._touch).
    for report in reports.filter(warned_on__isnull=False, expires_on__lte=today):
        report_delete(report=report, reason=_("Report %(ref)s deleted: retention period ended")
                      % {"ref": report.reference})
        deleted += 1

    warn_days = dict(ChannelSettings.objects.values_list("organisation_id", "warning_days"))
    due = defaultdict(list)
    for report in reports.filter(warned_on__isnull=True):
        days = warn_days.get(report.organisation_id, 30)
        if report.expires_on - timedelta(days=days) <= today:
            if report.expires_on <= today:
                # Past its date but never warned: a full warning period from today.
                report.expires_on = today + timedelta(days=days)
            due[report.organisation].append(report)
    warned = 0
    for org, items in due.items():
        with transaction.atomic():
            for report in items:
                Report.objects.filter(pk=report.pk).update(expires_on=report.expires_on)
            holders = {}
            for report in items:
                for key in report.keys.select_related("officer"):
                    holders[key.officer.pk] = key.officer
            first = min(r.expires_on for r in items)
            for user in holders.values():
                # Only how many and from when: the e-mail says nothing about any case.
                email_from_templates(
                    to=user.email, template="reports/email/expiry_warning",
                    language=user.language, organisation=org,
                    context={"organisation": org, "count": len(items), "first": first,
                             "site_url": settings.SITE_URL,
                             "path": reverse("reports:inbox", args=[org.slug])})
            Report.objects.filter(pk__in=[r.pk for r in items]).update(warned_on=today)
            warned += len(items)
    return deleted, warned


def purge_orphan_keys() -> int:
    """Key files whose report never committed or was deleted elsewhere. A file younger than an
    hour may belong to a report whose transaction is still open."""
    orphans = keystore.names(older_than=3600)
    known = set(Report.objects.values_list("key_name", flat=True))
    orphans -= known
    for name in orphans:
        keystore.destroy(name)
    return len(orphans)
