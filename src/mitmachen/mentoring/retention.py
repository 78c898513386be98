"""Deleting applicants' details once a programme is over, as the application form promises
("Your details are deleted after the end of the programme").

A programme is due 90 days after its end: the end of the cohort, or the day it was set to
finished if that came first. The 90 days leave time for feedback, thanks and the programme's
report. Then every application is anonymised, the pairs' shared texts and private notes go,
and the programme is closed for good: open proposals are declined, running pairs ended,
applications finished, the programme finished. What stays is what the organisation's
statistics need and names nobody: roles, statuses, hours and places offered, dates, the
number, kind and length of meetings, goals' statuses, ratings and matching scores.

`anonymise` does the same for chosen applications; the GDPR erasure (mentoring/gdpr.py) uses it
for one person.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry
from mitmachen.mentoring.models import (
    Application,
    Feedback,
    Goal,
    MatchRun,
    Meeting,
    Pairing,
    PairRule,
    PrivateNote,
    Programme,
)

RETENTION_DAYS = 90
ERASED = "—"
# What an audit entry about an anonymised application or its pair says instead of the names.
AUDIT_ERASED = "[erased]"

A = Application.Status
P = Pairing.Status
GONE = (A.WITHDRAWN, A.DECLINED, A.FINISHED)

# The application's own fields and what they become. Hours, places offered, role, status and
# the dates stay: they are the programme's figures and identify nobody.
BLANK_APPLICATION = {
    "name": ERASED, "email": "", "phone": "", "district": "", "gender": "", "goals": "",
    "experience": "", "other_commitments": "", "avoid": "", "coordinator_note": "",
    "fields": [], "bodies": [], "activities": [], "times": [], "languages": [], "needs": [],
    "offers": [], "requires": [], "user": None,
}


def ended_on(programme: Programme) -> date:
    """The day the programme ended: the end of its cohort, or the day it was finished if that
    was earlier (a finished programme may be reopened, so only the current status counts)."""
    end = programme.cohort_ends
    if programme.status == Programme.Status.FINISHED:
        finished = _finished_on(programme)
        if finished is not None and finished < end:
            end = finished
    return end


def _finished_on(programme: Programme) -> date | None:
    """When the programme was last set to finished, from the audit log (the model keeps no
    date of its own); without an entry, its last change."""
    entries = AuditEntry.objects.filter(
        object_type="mentoring.programme", object_id=str(programme.pk),
        action=AuditEntry.Action.UPDATE).order_by("-created_at", "-id").values_list(
        "created_at", "changes")
    for created_at, changes in entries:
        status = (changes or {}).get("status")
        if isinstance(status, list) and len(status) == 2 and status[1] == \
                Programme.Status.FINISHED:
            return timezone.localdate(created_at)
    return timezone.localdate(programme.updated_at)


def is_due(programme: Programme, today: date) -> bool:
    """More than RETENTION_DAYS days have passed since the programme ended."""
    return ended_on(programme) + timedelta(days=RETENTION_DAYS) < today


def purge(today: date | None = None) -> dict:
    """Anonymise every programme that is due. Safe to run again and again: a programme with
    nothing left to delete is not touched and not audited again.

    Returns {"programmes", "applications", "meetings", "notes", "feedback"}: what was done."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=RETENTION_DAYS)
    totals = dict.fromkeys(("programmes", "applications", "meetings", "notes", "feedback"), 0)
    candidates = Programme.objects.filter(
        Q(cohort_ends__lt=cutoff) | Q(status=Programme.Status.FINISHED)).order_by("pk")
    for programme in candidates:
        if not is_due(programme, today):
            continue
        done = programme_purge(programme=programme)
        if done is None:
            continue
        totals["programmes"] += 1
        for key, value in done.items():
            totals[key] += value
    return totals


def _left_over(programme: Programme) -> bool:
    pairings = Pairing.objects.filter(programme=programme)
    return (programme.applications.filter(_not_anonymised()).exists()
            or Meeting.objects.filter(pairing__in=pairings).exclude(summary="").exists()
            or PrivateNote.objects.filter(pairing__in=pairings).exists()
            or Feedback.objects.filter(pairing__in=pairings).exclude(text="").exists()
            or Goal.objects.filter(pairing__in=pairings).exclude(title=ERASED).exists()
            or programme.status != Programme.Status.FINISHED)


def _not_anonymised() -> Q:
    return ~Q(name=ERASED) | ~Q(email="") | Q(user__isnull=False)


def programme_purge(*, programme: Programme) -> dict | None:
    """Close the programme and anonymise everything in it (see the module's docstring).
    None if there was nothing left to do."""
    with transaction.atomic():
        # The programme lock first, as every mentoring service takes it: no answer, meeting or
        # withdrawal of this programme runs in between.
        programme = Programme.objects.select_for_update(of=("self",)).select_related(
            "organisation").get(pk=programme.pk)
        if not _left_over(programme):
            return None
        closed = _close(programme)
        ids = list(programme.applications.order_by("pk").values_list("pk", flat=True))
        done = anonymise(ids, pairings=Pairing.objects.filter(programme=programme))
        # Counts only: what was deleted is exactly what must not be written down again.
        changes = {key: [None, value] for key, value in (done | closed).items()}
        if "status" in closed:
            changes["status"] = [closed["status"], Programme.Status.FINISHED.value]
        audit_record(actor=None, action=AuditEntry.Action.DELETE, obj=programme,
                     organisation=programme.organisation,
                     object_repr=(_("%(title)s: personal data deleted after the end of the "
                                    "programme") % {"title": programme.title})[:200],
                     changes=changes)
    return done


def _close(programme: Programme) -> dict:
    """Nothing can happen in the programme any more: open proposals are declined, running
    pairs ended, applications finished, the programme finished. Nobody is e-mailed: the
    programme ended months ago, and the addresses are about to go."""
    now = timezone.now()
    pairings = Pairing.objects.filter(programme=programme)
    declined = pairings.filter(status=P.PROPOSED).update(status=P.DECLINED, ended_at=now,
                                                         updated_at=now)
    ended = pairings.filter(status=P.ACTIVE).update(status=P.ENDED, ended_at=now,
                                                    updated_at=now)
    finished = programme.applications.exclude(status__in=GONE).update(status=A.FINISHED,
                                                                       updated_at=now)
    closed = {}
    if programme.status != Programme.Status.FINISHED:
        closed["status"] = programme.status
        programme.status = Programme.Status.FINISHED
        programme.save(update_fields=["status", "updated_at"])
    if declined or ended or finished:
        closed |= {"proposals_declined": declined, "pairs_ended": ended,
                   "applications_finished": finished}
    return closed


def anonymise(application_ids, *, pairings=None, notes_of: Q | None = None,
              feedback_of: Q | None = None) -> dict:
    """Anonymise the applications and, in `pairings` (default: every pairing one of them is
    in), delete the meeting summaries, the private notes and the feedback texts and blank the
    goals; `notes_of` and `feedback_of` narrow down whose notes and feedback texts go (default: all
    of these pairings'). Also stops the applications' personal links (a new nonce), removes
    the profiles from the matching runs' explanations and the names from the audit log. Call
    inside a transaction.

    Returns {"applications", "meetings", "notes", "feedback"}: how many were changed."""
    ids = sorted(set(application_ids))
    if pairings is None:
        pairings = Pairing.objects.filter(Q(mentee_id__in=ids) | Q(mentor_id__in=ids))
    pairing_ids = list(pairings.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()

    applications = 0
    for application in (Application.objects.select_for_update(of=("self",))
                        .filter(pk__in=ids).filter(_not_anonymised()).order_by("pk")):
        for field, value in BLANK_APPLICATION.items():
            setattr(application, field, value)
        # Every link sent before stops working (access.personal_token reads the nonce).
        application.nonce = secrets.token_hex(8)
        application.save(update_fields=[*BLANK_APPLICATION, "nonce", "updated_at"])
        applications += 1

    meetings = Meeting.objects.filter(pairing_id__in=pairing_ids)
    notes = PrivateNote.objects.filter(notes_of or Q(), pairing_id__in=pairing_ids)
    feedback = Feedback.objects.filter(feedback_of or Q(), pairing_id__in=pairing_ids)
    goals = Goal.objects.filter(pairing_id__in=pairing_ids)
    audit_ids = {
        "mentoring.application": ids, "mentoring.pairing": pairing_ids,
        "mentoring.meeting": list(meetings.values_list("pk", flat=True)),
        "mentoring.goal": list(goals.values_list("pk", flat=True)),
        "mentoring.privatenote": list(notes.values_list("pk", flat=True)),
        "mentoring.feedback": list(feedback.values_list("pk", flat=True)),
    }
    done = {
        "applications": applications,
        "meetings": meetings.exclude(summary="").update(summary="", updated_at=now),
        "notes": notes.delete()[0],
        # The rating stays for the programme's statistics; the words were the person's.
        "feedback": feedback.exclude(text="").update(text="", updated_at=now),
    }
    goals.exclude(title=ERASED).update(title=ERASED, updated_at=now)
    # Why a pair fits (shared district, fields, languages) is a piece of both profiles.
    Pairing.objects.filter(pk__in=pairing_ids).update(explanation=[])
    _runs_forget(ids)
    # The coordinator's reason for fixing or forbidding a pair is about the two people.
    PairRule.objects.filter(Q(mentee_id__in=ids) | Q(mentor_id__in=ids)).exclude(
        reason="").update(reason="", updated_at=now)
    _audit_forget(audit_ids)
    return done


def _runs_forget(ids: list[int]) -> None:
    """Empty the explanations of the stored matching runs' pairs that involve `ids` (the
    scores stay: they are the programme's figures)."""
    wanted = set(ids)
    programmes = Application.objects.filter(pk__in=ids).values("programme_id")
    for run in MatchRun.objects.select_for_update().filter(programme_id__in=programmes):
        result = run.result or {}
        changed = False
        for pair in result.get("pairs", []):
            if (pair.get("mentee") in wanted or pair.get("mentor") in wanted) and pair.get(
                    "explanation"):
                pair["explanation"] = []
                changed = True
        if changed:
            run.result = result
            run.save(update_fields=["result", "updated_at"])


def _audit_forget(audit_ids: dict[str, list[int]]) -> None:
    """The audit log keeps that something happened to an application or pair, not whose: the
    descriptions of these objects name the applicants ("Ada Muster (Mentee)")."""
    condition = Q()
    for object_type, pks in audit_ids.items():
        if pks:
            condition |= Q(object_type=object_type, object_id__in=[str(pk) for pk in pks])
    if not condition:
        return
    AuditEntry.objects.filter(condition).exclude(object_repr=AUDIT_ERASED).redact(
        object_repr=AUDIT_ERASED)
