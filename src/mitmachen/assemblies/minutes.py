"""Minutes: a draft generated from the record, edited by the minute-taker, printed as PDF.

The draft is plain text with light structure (headings start with "## "), so the minute-taker
can edit it in a text area without learning a markup language; the PDF renders the headings and
paragraphs and appends the attendance list and the proof of invitation from the record."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from mitmachen.assemblies import selectors
from mitmachen.assemblies.models import (
    Assembly,
    AttendanceEntry,
    Election,
    Invitation,
    Minutes,
    Participant,
    SpeakerRequest,
    Vote,
)
from mitmachen.core.audit import audit_record
from mitmachen.core.models import AuditEntry

MAX_CHARS = 200_000


def _time(value) -> str:
    return date_format(timezone.localtime(value), "TIME_FORMAT") if value else "–"


def _datetime(value) -> str:
    if not value:
        return "–"
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATE_FORMAT')}, {date_format(local, 'TIME_FORMAT')}"


def _vote_line(vote: Vote) -> str:
    counts = _("%(yes)d yes, %(no)d no, %(abstain)d abstentions") % {
        "yes": vote.yes, "no": vote.no, "abstain": vote.abstain}
    if vote.status != Vote.Status.CLOSED:
        return _("Vote “%(q)s”: not concluded.") % {"q": vote.question}
    if vote.eligible_at_open is not None:
        counts += " " + _("(%(n)d voting members present)") % {"n": vote.eligible_at_open}
    outcome = _("no decision") if vote.adopted is None else (
        _("adopted") if vote.adopted else _("rejected"))
    return _("Vote “%(q)s” (%(method)s, %(majority)s): %(counts)s; %(outcome)s.") % {
        "q": vote.question, "method": vote.get_method_display(),
        "majority": vote.get_majority_display(), "counts": counts, "outcome": outcome}


def _election_lines(election: Election) -> list[str]:
    lines = [_("Election “%(t)s” (%(kind)s, %(seats)d places, %(method)s).") % {
        "t": election.title, "kind": election.get_kind_display(), "seats": election.seats,
        "method": election.get_method_display()}]
    if election.status != Election.Status.COUNTED:
        lines.append(_("Not yet counted."))
        return lines
    lines.append(_("Ballots: %(cast)d cast, %(invalid)d invalid, %(abstain)d abstentions.") % {
        "cast": election.ballots_cast, "invalid": election.ballots_invalid,
        "abstain": election.ballots_abstain})
    for candidate in election.candidates.order_by("-votes", "nominated"):
        place = (_("place %(n)d") % {"n": candidate.place}) if candidate.place else \
            _("not elected")
        lines.append(f"- {candidate.name} ({candidate.get_category_display()}): "
                     f"{candidate.votes} – {place}")
    from mitmachen.assemblies.elections import result_notes

    result = election.result or {}
    lines += result_notes(election)  # free and released places, each with its reason
    for group in result.get("ties", []):
        lines.append(_("Equal votes: %(names)s; the order of nomination decided.") % {
            "names": ", ".join(person.get("name", "") for person in group)})
    if result:
        lines.append(_("The quota rules are met.") if result.get("quota_met") else
                     _("The quota rules are not met; see the places above."))
    return lines


def draft(assembly: Assembly) -> str:
    """The minutes as the record tells them, in the organisation's language (German)."""
    event = assembly.event
    organisation = assembly.organisation
    quorum = selectors.quorum(assembly)
    out: list[str] = [
        _("Minutes of the %(title)s of %(org)s") % {"title": event.title,
                                                    "org": organisation.name},
        "",
        _("Date: %(date)s. Place: %(place)s.") % {
            "date": _datetime(event.starts_at),
            "place": event.place.name if event.place else (event.venue_note or "–")},
        _("Opened: %(open)s. Closed: %(close)s.") % {"open": _time(assembly.opened_at),
                                                   "close": _time(assembly.closed_at)},
        _("Chair: %(chair)s. Minutes: %(minutes)s.") % {
            "chair": assembly.chair.name if assembly.chair else "–",
            "minutes": assembly.minute_taker.name if assembly.minute_taker else "–"},
        "",
        "## " + _("Invitation"),
    ]
    invitations = Invitation.objects.filter(participant__assembly=assembly,
                                            kind=Invitation.Kind.INVITATION)
    by_channel = dict(invitations.values_list("channel").annotate(n=Count("pk")))
    voters = assembly.participants.filter(kind=Participant.Kind.VOTER).count()
    if assembly.invited_at:
        out.append(_("Invited on %(date)s: %(email)d by e-mail, %(letter)d by letter, of "
                     "%(voters)d voting members.") % {
            "date": _datetime(assembly.invited_at),
            "email": by_channel.get(Invitation.Channel.EMAIL, 0),
            "letter": by_channel.get(Invitation.Channel.LETTER, 0), "voters": voters})
        from mitmachen.assemblies.services import lead_time_problem

        problem = lead_time_problem(assembly)
        out.append(problem or _("The statutory lead time of %(days)d days was kept.") % {
            "days": assembly.lead_days})
        out.append(_("The proof of invitation is attached."))
    else:
        out.append(_("No invitation is on record."))
    out += ["", "## " + _("Attendance and quorum")]
    out.append(_("Voting members on the list: %(eligible)d (reference date %(date)s).") % {
        "eligible": quorum.eligible, "date": date_format(assembly.reference_date)})
    attended = assembly.participants.filter(attendance__action=AttendanceEntry.Action.ARRIVED)
    out.append(_("Attended: %(voters)d voting members and %(guests)d guests; present now: "
                 "%(present)d.") % {
        "voters": attended.filter(kind=Participant.Kind.VOTER).distinct().count(),
        "guests": attended.filter(kind=Participant.Kind.GUEST).distinct().count(),
        "present": quorum.present})
    if quorum.required is None:
        out.append(_("The statutes require no quorum."))
    else:
        first = quorate_since(assembly, quorum.required)
        out.append(_("Quorum: %(required)d voting members.") % {"required": quorum.required}
                   + " " + (_("Quorate from %(time)s.") % {"time": _time(first)} if first
                            else _("The assembly was not quorate.")))
    for number, item in selectors.agenda(assembly):
        out += ["", f"## {number} {item.title}"]
        if item.notes.strip():
            out.append(item.notes.strip())
        spoken = item.speakers.filter(status=SpeakerRequest.Status.DONE).select_related(
            "participant").order_by("started_at", "pk")
        if spoken:
            out.append(_("Speakers: %(names)s.") % {"names": ", ".join(
                f"{s.participant.name}" + (f" ({s.get_kind_display()})"
                                           if s.kind != SpeakerRequest.Kind.REGULAR else "")
                for s in spoken)})
        from mitmachen.assemblies.speakers import action_text

        for action in item.chair_actions.select_related("request__participant"):
            out.append(_("Chair (%(time)s): %(action)s – %(reason)s") % {
                "time": _time(action.at), "action": action_text(action),
                "reason": action.reason})
        for motion in item.motions.filter(amends__isnull=True).prefetch_related(
                "amendments"):
            out.append(_("Motion %(number)s “%(title)s”, submitted by %(by)s; board's "
                         "recommendation: %(rec)s; status: %(status)s.") % {
                "number": motion.number, "title": motion.title, "by": motion.submitter_name,
                "rec": motion.get_recommendation_display() or _("none"),
                "status": motion.get_status_display()})
            for amendment in motion.amendments.all():
                out.append("  " + _("Amendment %(number)s: %(status)s.") % {
                    "number": amendment.number, "status": amendment.get_status_display()})
        for vote in item.votes.all():
            out.append(_vote_line(vote))
        for election in item.elections.all():
            out += _election_lines(election)
    loose_votes = assembly.votes.filter(item__isnull=True)
    loose_elections = assembly.elections.filter(item__isnull=True)
    if loose_votes or loose_elections:
        out += ["", "## " + _("Further votes and elections")]
        out += [_vote_line(v) for v in loose_votes]
        for election in loose_elections:
            out += _election_lines(election)
    resolutions = assembly.resolutions.all()
    if resolutions:
        out += ["", "## " + _("Resolutions")]
        out += [f"- {r.number} {r.title}: {r.result}" for r in resolutions]
    out += ["", "", _("Chair") + ": ____________________      " + _("Minutes") +
            ": ____________________"]
    return "\n".join(out)


def quorate_since(assembly: Assembly, required: int):
    """The first moment the number of present voting members reached `required`."""
    present = 0
    for entry in AttendanceEntry.objects.filter(
            participant__assembly=assembly, participant__kind=Participant.Kind.VOTER
    ).order_by("at", "pk").only("action", "at"):
        present += 1 if entry.action == AttendanceEntry.Action.ARRIVED else -1
        if present >= required:
            return entry.at
    return None


def minutes_generate(*, assembly: Assembly, actor, replace: bool = False) -> Minutes:
    """Write the draft. An edited text is kept unless `replace` is asked for explicitly."""
    with transaction.atomic():
        Assembly.objects.select_for_update().get(pk=assembly.pk)
        existing = Minutes.objects.filter(assembly=assembly).first()
        if existing and existing.approved_at:
            raise ValidationError(_("The minutes are approved; they can no longer change."))
        if existing and not replace:
            raise ValidationError(_("A draft exists. Regenerating replaces its text; confirm "
                                    "to do so."))
        # Minutes are a document of the organisation: German, whatever the editor's UI says.
        with override("de"):
            text = draft(assembly)
        minutes = existing or Minutes(assembly=assembly)
        minutes.text, minutes.generated_at, minutes.edited_by = text, timezone.now(), None
        minutes.full_clean()
        minutes.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE if existing else
                     AuditEntry.Action.CREATE, obj=minutes, organisation=assembly.organisation,
                     changes={"generated": [None, minutes.generated_at.isoformat()]})
    return minutes


def minutes_update(*, minutes: Minutes, text: str, actor) -> Minutes:
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        raise ValidationError({"text": _("The minutes cannot be empty.")})
    if len(text) > MAX_CHARS:
        raise ValidationError({"text": _("The minutes are longer than %(n)d characters.") % {
            "n": MAX_CHARS}})
    with transaction.atomic():
        locked = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if locked.approved_at:
            raise ValidationError(_("The minutes are approved; they can no longer change."))
        before = len(locked.text)
        locked.text, locked.edited_by = text, actor
        locked.full_clean()
        locked.save()
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     organisation=locked.assembly.organisation,
                     changes={"text_length": [before, len(text)]})
    return locked


def minutes_approve(*, minutes: Minutes, actor) -> Minutes:
    with transaction.atomic():
        locked = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if locked.approved_at:
            raise ValidationError(_("The minutes are already approved."))
        if locked.assembly.status != Assembly.Status.CLOSED:
            # Approved minutes are final; the record they tell must be final first.
            raise ValidationError(_("Close the assembly before approving its minutes."))
        locked.approved_at = timezone.now()
        locked.save(update_fields=["approved_at", "updated_at"])
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     organisation=locked.assembly.organisation,
                     changes={"approved_at": [None, locked.approved_at.isoformat()]})
    return locked


def blocks(text: str) -> list[tuple[str, str]]:
    """("h", heading) and ("p", paragraph) blocks of the minutes' text, for the PDF."""
    out, paragraph = [], []
    for line in text.split("\n"):
        if line.startswith("## "):
            if paragraph:
                out.append(("p", "\n".join(paragraph)))
                paragraph = []
            out.append(("h", line[3:].strip()))
        elif not line.strip():
            if paragraph:
                out.append(("p", "\n".join(paragraph)))
                paragraph = []
        else:
            paragraph.append(line)
    if paragraph:
        out.append(("p", "\n".join(paragraph)))
    return out


def minutes_pdf(minutes: Minutes) -> bytes:
    """The minutes with the attendance list and the proof of invitation as appendices."""
    from weasyprint import HTML

    assembly = minutes.assembly
    from mitmachen.assemblies.attendance import presence_log

    times = {row.participant.pk: row.text for row in presence_log(assembly)}
    participants = list(assembly.participants.order_by("kind", "name", "pk"))
    for participant in participants:
        participant.times = times.get(participant.pk, "")
    invitations = list(Invitation.objects.filter(participant__assembly=assembly).select_related(
        "participant").order_by("participant__name", "participant_id", "kind"))
    html = render_to_string("assemblies/minutes_pdf.html", {
        "assembly": assembly, "organisation": assembly.organisation, "minutes": minutes,
        "blocks": blocks(minutes.text), "participants": participants,
        "invitations": invitations, "generated": timezone.now(),
    })
    return HTML(string=html).write_pdf()
